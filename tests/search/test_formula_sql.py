"""The formula compiled to SQL, run on a real migrated SQLite file holding hand-made images."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from app.schemas.keywords import parse_keyword
from app.search.formula_ast import Formula
from app.search.formula_sql import CompiledFormula, IndexedTerm, Sql, compile_formula
from app.search.image_similarity import Neighbours, PhashIndex, similarity_references
from app.search.query_formula import parse_formula
from app.search.sql_functions import SQL_FUNCTIONS, register_functions
from app.storage import images_store
from app.storage.database import Database
from app.storage.migrations import migrate
from tests.search.formulas import formulas

ACCOUNT, OTHER_ACCOUNT = 1, 2
P = 0x0F0F_0F0F_0F0F_0F0F  # sunset's pHash; the others are a few bits away from it


def flipped(phash: int, bits: int) -> int:
    """`phash` with its `bits` lowest bits flipped, as a signed 64-bit integer."""
    value = phash ^ ((1 << bits) - 1)
    return value - (1 << 64) if value >= 1 << 63 else value


# Distances from sunset: copy 0, 99 1 (the sign bit), sunrise 3, river 10, city 18, 100 30.
IMAGES: list[dict[str, Any]] = [
    dict(
        external_id="sunset", title="Sunset over the river", description="Golden light on the water",
        creation_date="2020-05-13", width=600, height=400, n_faces=0, ai_generated=False, nsfw=False,
        model_release=True, property_release=False, city="Paris", country="France", creator="Jane Doe",
        status="Active", categories=["Nature", "Travel"], collections=["Exclusive"], phash=P,
        colours=[{"name": "orange", "share": 0.4}], keywords=["beach", "Dog", "place:Paris"],
    ),
    dict(
        external_id="sunrise", title="Sunrise at the beach", creation_date="2020-05-31T23:30:00Z",
        width=400, height=600, n_faces=2, ai_generated=True, nsfw=False, city="São Paulo",
        country="Brazil", creator="jane doe", status="Active", categories=["nature"],
        collections=["Archive", "Exclusive"], phash=flipped(P, 3),
        colours=[{"name": "yellow", "share": 0.3}], keywords=["beach"],
    ),
    dict(
        external_id="river", title="River crossing", description="A dog swims across",
        creation_date="2020-06-01", width=500, height=500, n_faces=1, nsfw=True, creator=" Jané Doe ",
        categories=["Nature"], phash=flipped(P, 10), keywords=["Dog", "river"],
    ),
    dict(
        external_id="city", title="Night city", headline="City lights", creation_date="2019-12-31",
        width=1920, height=1080, n_faces=0, ai_generated=False, nsfw=False, country="United States",
        creator="John Smith", status="Withdrawn", collections=["Archive"], phash=flipped(P, 18),
        keywords=["night", "City"],
    ),
    dict(external_id="100", title="Numbered hundred", creation_date="2021-01-01", width=1000, height=750,
         phash=flipped(P, 30)),
    dict(external_id="99", title="Numbered ninety-nine", creation_date="2019-01-15", width=800, height=600,
         phash=P - (1 << 63)),
    dict(external_id="1000", title="Unprocessed"),
    dict(
        external_id="quote", title='It\'s "quoted"; -- drop', description="O'Brien", city="a;b",
        keywords=["it's"], categories=['x"y'],
    ),
    dict(
        external_id="cafe", title="Café crème", city="Zürich", creator="Zoë", keywords=["Café"],
        categories=["Food", "nature", "Été"], width=300, height=200,
    ),
    dict(
        external_id="alpha", title="Alpha", status="RDA Only", src="https://example.com/a.jpg",
        property_release=True, model_release=False, collections=["Exclusive", "Archive"],
    ),
    dict(external_id="exact", title="Beach dog", keywords=["beach", "dog"], categories=["Travel", "Nature"]),
    dict(
        external_id="gradient", title="Gradient test", width=2000, height=1000, n_faces=5,
        colours=[{"name": "blue", "share": 0.9}], keywords=["ns:Gradient"],
        creation_date="2018-07-04T08:00:00+02:00",
    ),
    dict(external_id="bare"),
    dict(external_id="copy", title="Copy of a picture", phash=P, width=300, height=200),
]  # fmt: skip
ELSEWHERE = dict(
    external_id="sunset", title="Sunset elsewhere", phash=P, keywords=["beach"], width=600, height=400
)
ALL = {image["external_id"] for image in IMAGES}
LANDSCAPE = {"sunset", "city", "100", "99", "cafe", "gradient", "copy"}


async def _build(path: Path) -> None:
    db = Database(path, readers=1)
    await db.open()
    try:
        await migrate(db)
        async with db.write() as tx:
            for account_id in (ACCOUNT, OTHER_ACCOUNT):
                await tx.execute(
                    "INSERT INTO accounts (account_id, public_uuid, name, created_at) VALUES (?, ?, ?, ?)",
                    (account_id, f"uuid-{account_id}", f"account-{account_id}", "2024-01-01T00:00:00.000Z"),
                )
            for account_id, image in [*((ACCOUNT, image) for image in IMAGES), (OTHER_ACCOUNT, ELSEWHERE)]:
                fields = dict(image)
                keywords = [parse_keyword(text, "keywords") for text in fields.pop("keywords", [])]
                await images_store.insert(tx, account_id, fields, keywords)
    finally:
        await db.close()


async def _resolve(path: Path, formula: Formula | None) -> dict[str, Neighbours | None]:
    db = Database(path, readers=1)
    await db.open()
    try:
        return await PhashIndex().resolve(db, ACCOUNT, formula)
    finally:
        await db.close()


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    path = tmp_path_factory.mktemp("formula") / "darkroom.sqlite"
    asyncio.run(_build(path))
    connection = sqlite3.connect(path)
    for function in SQL_FUNCTIONS:
        connection.create_function(function.name, function.arity, function.implementation, deterministic=True)
    yield Library(path, connection)
    connection.close()


def walked(compiled: CompiledFormula) -> CompiledFormula:
    """The formula as the newest-first walk tests it."""
    return replace(compiled, where=compiled.walk_where, params=compiled.walk_params)


def unindexed(compiled: CompiledFormula, term: IndexedTerm) -> CompiledFormula:
    """The formula with `term` looked up image by image (formula_search.driven)."""
    where = term.unindexed(Sql(compiled.where, compiled.params))
    return replace(compiled, where=where.text, params=where.params)


class Library:
    """The database file, and a connection with the formula's SQL functions registered."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.connection = connection

    def compile(self, q: str) -> CompiledFormula:
        formula = parse_formula(q)
        neighbours = asyncio.run(_resolve(self.path, formula)) if similarity_references(formula) else {}
        return compile_formula(formula, account_id=ACCOUNT, neighbours=neighbours)

    def ids(self, compiled: CompiledFormula) -> set[str]:
        fulltext = compiled.fulltext()
        rows = self.connection.execute(
            f"{fulltext.text} SELECT i.external_id FROM images AS i WHERE {compiled.where}",
            (*fulltext.params, *compiled.params),
        )
        return {row[0] for row in rows}

    def search(self, q: str) -> set[str]:
        compiled = self.compile(q)
        found = self.ids(compiled)
        assert self.ids(walked(compiled)) == found
        return found

    def id_set(self, compiled: CompiledFormula) -> set[str]:
        """The images of the account in `compiled.ids`; rows of a set said distinct are."""
        assert compiled.ids is not None
        select, fulltext = compiled.ids.select, compiled.fulltext()
        found = [
            row[0]
            for row in self.connection.execute(
                f"{fulltext.text} {select.text}", (*fulltext.params, *select.params)
            )
        ]
        if compiled.ids.distinct:
            assert len(found) == len(set(found))
        marks = ", ".join("?" for _ in found)
        sql = f"SELECT external_id FROM images WHERE account_id = ? AND image_id IN ({marks})"
        rows = self.connection.execute(sql, (ACCOUNT, *found))
        return {row[0] for row in rows}

    def ranked(self, q: str, *, descending: bool = False) -> list[str]:
        compiled = self.compile(q)
        order, fulltext = compiled.order_by(descending=descending), compiled.fulltext(scored=True)
        sql = (
            f"{fulltext.text} SELECT i.external_id FROM images AS i WHERE {compiled.where}"
            f" ORDER BY {order.text}, i.external_id"
        )
        params = (*fulltext.params, *compiled.params, *order.params)
        return [row[0] for row in self.connection.execute(sql, params)]


CASES: list[tuple[str, set[str]]] = [
    # text: any word / every word / the phrase, prefixes, accents, colour tags, every text field
    ("t~sun", {"sunset", "sunrise"}),
    ("t~~sun beach", {"sunset", "sunrise"}),
    ("t~~~over the river", {"sunset"}),
    ("t~~~the sunset", set()),
    ("t~paris", {"sunset"}),
    ("t~creme", {"cafe"}),
    ("text~ZURICH", {"cafe"}),
    ("t~orange", {"sunset"}),
    ("t~~golden orange", {"sunset"}),
    ("t~~~yellow", {"sunrise"}),
    ("t~nature", {"sunset", "sunrise", "river", "cafe", "exact"}),
    ("t~exclusive", {"sunset", "sunrise", "alpha"}),
    ("t~lights", {"city"}),
    ("t~zoe", {"cafe"}),
    ("t~zzz", set()),
    ("!t~beach", ALL - {"sunset", "sunrise", "exact"}),
    ("t~elsewhere", set()),
    # image: that image, and the three similarity levels (distances from sunset above)
    ("i=river", {"river"}),
    ("i~~~sunset", {"sunset", "copy", "99", "sunrise"}),
    ("i~~sunset", {"sunset", "copy", "99", "sunrise", "river"}),
    ("i~sunset", {"sunset", "copy", "99", "sunrise", "river", "city"}),
    ("!i~~sunset", ALL - {"sunset", "copy", "99", "sunrise", "river"}),
    ("i~~~99", {"99", "sunset", "copy", "sunrise"}),
    ("i~nope", set()),
    ("!i~nope", ALL),
    ("i~1000", set()),
    # dates: partial dates are ranges; timestamps count by their day
    ("d=2020-5", {"sunset", "sunrise"}),
    ("d<2020", {"city", "99", "gradient"}),
    ("d>2020-5", {"river", "100"}),
    ("d<=2020", {"sunset", "sunrise", "river", "city", "99", "gradient"}),
    ("d>=2020-5-31", {"sunrise", "river", "100"}),
    ("d=2020-05-31", {"sunrise"}),
    ("date = 2018-7-4", {"gradient"}),
    ("!d<2020", ALL - {"city", "99", "gradient"}),
    # numbers
    ("w>=1000", {"city", "100", "gradient"}),
    ("w∩600,500", {"sunset", "river"}),
    ("h<500", {"sunset", "cafe", "copy"}),
    ("r=1.78", {"city"}),
    ("r=1.33", {"100", "99"}),
    ("r>1.5", {"city", "gradient"}),
    ("r^=1.5,2", {"sunset", "cafe", "copy", "gradient"}),
    ("n>=1", {"sunrise", "river", "gradient"}),
    ("n=0", {"sunset", "city"}),
    ("!n=0", ALL - {"sunset", "city"}),
    # orientation and booleans; a missing value is false, so its negation is true
    ("o=landscape", LANDSCAPE),
    ("o=Portrait", {"sunrise"}),
    ("o=square", {"river"}),
    ("!o=landscape", ALL - LANDSCAPE),
    ("ai=true", {"sunrise"}),
    ("ai=no", {"sunset", "city"}),
    ("!ai=true", ALL - {"sunrise"}),
    ("nsfw=1", {"river"}),
    ("!nsfw=true", ALL - {"river"}),
    ("mr=yes", {"sunset"}),
    ("model_release=false", {"alpha"}),
    ("pr=TRUE", {"alpha"}),
    ("property_release=0", {"sunset"}),
    # ids: numbers compare as numbers, other ids as text
    ("id<100", {"99"}),
    ("id>=100", ALL - {"99"}),
    ("id∩sunset,100", {"sunset", "100"}),
    ("id=0100", set()),
    ("id>b", ALL - {"alpha", "100", "99", "1000"}),
    # strings
    ("a=jane doe", {"sunset", "sunrise", "river"}),
    ("a==jane doe", {"sunset", "sunrise"}),
    ("a===Jane Doe", {"sunset"}),
    ("a~jo", {"city"}),
    ("a~~doe jan", {"sunset", "sunrise", "river"}),
    ("author~~~jane doe", {"sunset", "sunrise", "river"}),
    ("a~~~doe jane", set()),
    ("a<k", {"sunset", "sunrise", "river", "city"}),
    ('country="United States"', {"city"}),
    ("country:united states", {"city"}),
    ("city=sao paulo", {"sunrise"}),
    ("city=ZURICH", {"cafe"}),
    ("s=withdrawn", {"city"}),
    ("status===RDA Only", {"alpha"}),
    ("status==rda only", {"alpha"}),
    ("src===https://example.com/a.jpg", {"alpha"}),
    ("caption~dog", {"river"}),
    ("!caption~dog", ALL - {"river"}),
    ("headline~~~city lights", {"city"}),
    ("title>=s", {"sunset", "sunrise", "1000"}),
    # lists
    ("k=beach", {"sunset", "sunrise", "exact"}),
    ("k=beach,dog", {"sunset", "exact"}),
    ("k==Dog", {"sunset", "river"}),
    ("k∩river,night", {"river", "city"}),
    ("k=Place:paris", {"sunset"}),
    ("k=paris", set()),
    ("k~par", {"sunset"}),
    ("k~cit", {"city"}),
    ("k===beach,dog", {"exact"}),
    ("k===Dog,beach,place:Paris", {"sunset"}),
    ("k===beach", {"sunrise"}),
    ("k=ns:gradient", {"gradient"}),
    ("cat=nature", {"sunset", "sunrise", "river", "cafe", "exact"}),
    ("cat==nature", {"sunrise", "cafe"}),
    ("cat===Nature,Travel", {"sunset", "exact"}),
    ("cat===nature,travel", set()),
    ("col∩Exclusive,Archive", {"sunset", "sunrise", "city", "alpha"}),
    ("cat=ÉTÉ", {"cafe"}),
    ("cat∩été,travel", {"sunset", "cafe", "exact"}),
    ("cat=ete", set()),
    ("!cat∩été", ALL - {"cafe"}),
    ("col~arch", {"sunrise", "city", "alpha"}),
    ("!col=exclusive", ALL - {"sunset", "sunrise", "alpha"}),
    # precedence: ! before && before ||
    ("k=beach || ai=true && nsfw=false", {"sunset", "sunrise", "exact"}),
    ("(k=beach || ai=true) && nsfw=false", {"sunset", "sunrise"}),
    ("!k=beach && o=landscape", LANDSCAPE - {"sunset"}),
    ("!(k=beach && o=landscape)", ALL - {"sunset"}),
    ("!!k=beach", {"sunset", "sunrise", "exact"}),
    # the spec's examples
    ("t~sunset river && d>=2020-01-01", {"sunset", "river"}),
    ("i~~sunset && ai=false", {"sunset"}),
    ("(k=beach,dog || col∩Exclusive,Archive) && o=landscape && !nsfw=true", {"sunset", "city"}),
    ('a=jane doe && country:"France"', {"sunset"}),
    ("", ALL),
]


@pytest.mark.parametrize(("q", "expected"), CASES, ids=[q or "(empty)" for q, _ in CASES])
def test_formula_results(library: Library, q: str, expected: set[str]) -> None:
    compiled = library.compile(q)
    if compiled.ids is not None:
        assert library.id_set(compiled) == expected
    assert library.search(q) == expected


@pytest.mark.parametrize(
    "q",
    [
        "a=jane doe && o=landscape && s=active",
        "loc=x && city=paris && country:France && e=x && prov=x && shot=x && scene=x && tech=x && med=x",
        'o=landscape && country:"United States" && !o=portrait',
    ],
)
def test_an_indexed_term_looked_up_in_its_index_finds_the_same_images(library: Library, q: str) -> None:
    compiled = library.compile(q)
    assert len(compiled.indexed) >= 2
    for term in compiled.indexed:
        assert library.ids(unindexed(compiled, term)) == library.ids(compiled)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("a=jane doe && o=square", {"river"}),  # " Jané Doe "
        ("city=zurich && o=landscape", {"cafe"}),  # Zürich
        ("city=sao paulo && a=jane doe", {"sunrise"}),  # São Paulo
        ("a=jane doe && o=landscape", {"sunset"}),  # "Jane Doe": its folded key
    ],
)
def test_text_that_is_not_ascii_is_found_by_the_look_into_the_index(
    library: Library, q: str, expected: set[str]
) -> None:
    # A seek looks for the folded key, then, if the account has text that is not ASCII in that
    # column, for its char(1) key and the Python fold: both halves found, whichever term drives.
    compiled = library.compile(q)
    assert library.ids(compiled) == expected
    for term in compiled.indexed:
        assert library.ids(unindexed(compiled, term)) == expected


@pytest.mark.parametrize(
    ("q", "is_set"),
    [
        ("t~sun", True),
        ("t~~sun beach || k=dog", True),
        ("t~~golden orange", False),  # a colour word: SQLite tests the words on coloured images only
        ("k∩beach,night && (col∩archive || cat=nature,travel)", True),
        ("t~sun && o=landscape", False),
        ("!t~beach", False),
        ("i~sunset", False),
        ("", False),
    ],
)
def test_sets_of_ids_are_found_where_every_filter_is_one(library: Library, q: str, is_set: bool) -> None:
    assert (library.compile(q).ids is not None) == is_set


@pytest.mark.parametrize(
    ("q", "expected", "value"),
    [
        ('title==="It\'s \\"quoted\\"; -- drop"', {"quote"}, 'It\'s "quoted"; -- drop'),
        ("caption=o'brien", {"quote"}, "o'brien"),
        ("city===a;b", {"quote"}, "a;b"),
        ("k=it's", {"quote"}, "it's"),
        ('cat==x"y', {"quote"}, 'x"y'),
        ("t~~~it's", {"quote"}, "it"),
        ("id=x' OR '1'='1", set(), "x' OR '1'='1"),
        ('t~"\\"); DROP TABLE images; --"', {"quote"}, "DROP TABLE"),
    ],
)
def test_values_are_bound_never_pasted(library: Library, q: str, expected: set[str], value: str) -> None:
    compiled = library.compile(q)
    assert value not in compiled.where
    assert library.ids(compiled) == expected
    assert library.search("") == ALL  # nothing was dropped


@pytest.mark.parametrize(
    ("q", "index"),
    [
        ("a=jane doe", "images_creator_folded"),
        ("status=active", "images_status_folded"),
        ("o=portrait", "images_orientation"),
        ("col∩exclusive,archive", "SEARCH e USING PRIMARY KEY (field=? AND folded=?)"),
        ("t~orange", "SEARCH c USING PRIMARY KEY (name=?)"),
    ],
)
def test_filters_read_their_indexes(library: Library, q: str, index: str) -> None:
    # The compiler's expressions must be the migration's, letter for letter, or the index is
    # silently not used: every image is read instead.
    compiled = library.compile(q)
    fulltext = compiled.fulltext()
    sql = f"EXPLAIN QUERY PLAN {fulltext.text} SELECT count(*) FROM images AS i WHERE {compiled.where}"
    plan = " / ".join(row[3] for row in library.connection.execute(sql, (*fulltext.params, *compiled.params)))
    assert index in plan, plan


def test_similar_images_rank_by_distance(library: Library) -> None:
    assert library.ranked("i~sunset") == ["copy", "sunset", "99", "sunrise", "river", "city"]
    assert library.ranked("i~sunset", descending=True) == ["city", "river", "sunrise", "99", "copy", "sunset"]


def test_text_ranks_by_bm25_and_unranked_images_come_last(library: Library) -> None:
    ranked = library.ranked("t~beach || i=city")
    assert ranked[-1] == "city"  # matched by the other filter only: no rank
    assert ranked[-2] == "sunset"  # "beach" only as a keyword; the others have it in the title too
    assert set(ranked[:2]) == {"sunrise", "exact"}


@pytest.mark.parametrize(
    ("q", "queries"),
    [
        ("t~beach", 1),
        ("t~beach && !t~beach", 1),  # one query, however often the formula names it
        ("t~~golden orange", 3),  # a colour word: the whole text, then each word
        ("t~beach || t~~sunset harbour", 2),
    ],
)
def test_each_full_text_query_runs_once_in_a_ranked_page(library: Library, q: str, queries: int) -> None:
    # The where clause and the ranking read one materialized set: with a set of its own, the
    # ranking ran each ranked query a second time.
    compiled = library.compile(q)
    assert len(compiled.fulltext_queries) == queries
    order, fulltext = compiled.order_by(), compiled.fulltext(scored=True)
    sql = (
        f"EXPLAIN QUERY PLAN {fulltext.text} SELECT i.* FROM images AS i"
        f" WHERE {compiled.where} ORDER BY {order.text}"
    )
    plan = [
        row[3] for row in library.connection.execute(sql, (*fulltext.params, *compiled.params, *order.params))
    ]
    assert sum(step.startswith("SCAN images_fts") for step in plan) == queries, plan
    # Anywhere else, the matches without their score: BM25 is most of a ranked query's cost.
    assert "bm25" in fulltext.text and "bm25" not in compiled.fulltext().text


@pytest.mark.parametrize(
    ("q", "expected"),
    [("t~x", True), ("i~sunset", True), ("i=sunset", False), ("!t~x", False), ("w>1", False), ("", False)],
)
def test_has_similarity(library: Library, q: str, expected: bool) -> None:
    assert library.compile(q).has_similarity is expected


def test_unresolved_image_references_are_a_programming_error() -> None:
    with pytest.raises(LookupError):
        compile_formula(parse_formula("i~x"), account_id=ACCOUNT)


async def test_the_phash_index_follows_writes(tmp_path: Path) -> None:
    db = Database(tmp_path / "d.sqlite", readers=1)
    await db.open()
    try:
        await migrate(db)
        async with db.write() as tx:
            await tx.execute("INSERT INTO accounts VALUES (1, 'u', 'a', '2024-01-01T00:00:00.000Z')")
            base = await images_store.insert(tx, ACCOUNT, {"external_id": "base", "phash": P})
            near = await images_store.insert(tx, ACCOUNT, {"external_id": "near", "phash": flipped(P, 4)})
        index = PhashIndex()
        formula = parse_formula("i~~~base")
        found = (await index.resolve(db, ACCOUNT, formula))["base"]
        assert found is not None and found.distances == {base.image_id: 0, near.image_id: 4}
        async with db.write() as tx:
            await images_store.update(tx, near.image_id, {"phash": flipped(P, 40)})
            late = await images_store.insert(tx, ACCOUNT, {"external_id": "late", "phash": flipped(P, 2)})
            await images_store.update(tx, base.image_id, {"phash": None})
        assert (await index.resolve(db, ACCOUNT, formula))["base"] is None
        found = (await index.resolve(db, ACCOUNT, parse_formula("i~late")))["late"]
        assert found is not None and found.distances == {late.image_id: 0}
    finally:
        await db.close()


async def test_colour_and_list_lookups_follow_writes(tmp_path: Path) -> None:
    db = Database(tmp_path / "d.sqlite", readers=1, on_connect=register_functions)
    await db.open()

    async def found(q: str) -> set[str]:
        compiled = compile_formula(parse_formula(q), account_id=ACCOUNT)
        fulltext = compiled.fulltext()
        rows = await db.fetch_all(
            f"{fulltext.text} SELECT i.external_id FROM images AS i WHERE {compiled.where}",
            (*fulltext.params, *compiled.params),
        )
        return {row["external_id"] for row in rows}

    try:
        await migrate(db)
        async with db.write() as tx:
            await tx.execute("INSERT INTO accounts VALUES (1, 'u', 'a', '2024-01-01T00:00:00.000Z')")
            red = [{"name": "red", "share": 0.5}]
            one = await images_store.insert(
                tx, ACCOUNT, {"external_id": "one", "colours": red, "collections": ["Été"]}
            )
            two = await images_store.insert(
                tx, ACCOUNT, {"external_id": "two", "colours": red, "categories": ["A"]}
            )
        assert (await found("t~red"), await found("col=été"), await found("cat∩a")) == (
            {"one", "two"},
            {"one"},
            {"two"},
        )
        async with db.write() as tx:
            await images_store.update(
                tx, one.image_id, {"colours": [{"name": "blue", "share": 1}], "collections": []}
            )
            await images_store.update(tx, two.image_id, {"categories": ["B", "a"], "collections": ["ÉTÉ"]})
        assert (await found("t~red"), await found("t~blue")) == ({"two"}, {"one"})
        assert (await found("col=été"), await found("cat=a && cat=b")) == ({"two"}, {"two"})
        async with db.write() as tx:
            await images_store.delete(tx, two.image_id)
            three = await images_store.insert(tx, ACCOUNT, {"external_id": "three"})
        assert three.image_id == two.image_id  # the row id came back: nothing of "two" may stay
        assert (await found("t~red"), await found("col=été"), await found("cat=a")) == (set(), set(), set())
    finally:
        await db.close()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(formulas(max_leaves=5))
def test_every_formula_compiles_to_sql_that_runs(library: Library, formula: Formula) -> None:
    neighbours = {external_id: Neighbours(P, {1: 0, 2: 7}) for external_id in similarity_references(formula)}
    compiled = compile_formula(formula, account_id=ACCOUNT, neighbours=neighbours)
    assert library.ids(compiled) <= ALL
    assert library.ids(walked(compiled)) == library.ids(compiled)
    for term in compiled.indexed:
        assert library.ids(unindexed(compiled, term)) == library.ids(compiled)
    if compiled.ids is not None:
        assert library.id_set(compiled) == library.ids(compiled)
    order, fulltext = compiled.order_by(), compiled.fulltext(scored=True)
    if compiled.has_similarity:
        sql = (
            f"{fulltext.text} SELECT i.image_id FROM images AS i WHERE {compiled.where} ORDER BY {order.text}"
        )
        library.connection.execute(sql, (*fulltext.params, *compiled.params, *order.params)).fetchall()
