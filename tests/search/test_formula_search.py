"""`GET /imgs` as SQL: the count's shortcuts and the page read in index order give the answers
of the plain statements, for an account alone in its file and for one beside another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.schemas.keywords import parse_keyword
from app.search.formula_sql import CompiledFormula, compile_formula
from app.search.query_formula import parse_formula
from app.search.sql_functions import register_functions
from app.storage import formula_search, images_store, keywords_store
from app.storage.database import Database
from app.storage.migrations import migrate

ACCOUNT, OTHER_ACCOUNT = 1, 2
WORDS = ["sunset beach", "harbour boats", "sunset harbour", "river", "beach dog"]
FORMULAS = [
    "",
    "t~sun",
    "t~~sunset harbour",
    "k=beach",
    "k∩dog,river || t~boats",
    "k=beach,dog",
    "t~beach && !k=dog",
    "o=landscape && col∩archive",
    "t~nothing",
    'a=jane doe && country:"Portugal"',
    "o=landscape && a=jane doe && t~sunset",
]


async def _library(path: Path, accounts: tuple[int, ...]) -> Database:
    """30 images per account, titled and keyworded in turn, ten to a creation moment (ties)."""
    db = Database(path, readers=2, on_connect=register_functions)
    await db.open()
    await migrate(db)
    async with db.write() as tx:
        for account_id in accounts:
            await tx.execute(
                "INSERT INTO accounts (account_id, public_uuid, name, created_at) VALUES (?, ?, ?, ?)",
                (account_id, f"uuid-{account_id}", f"account-{account_id}", "2024-01-01T00:00:00.000Z"),
            )
            for number in range(30):
                title = WORDS[number % len(WORDS)]
                fields = {
                    "external_id": f"{account_id}-{number}",
                    "title": title,
                    "width": 600 if number % 2 else 400,
                    "height": 400,
                    "collections": ["Archive"] if number % 3 else [],
                    "creator": "Jane Doe" if number % 5 else "John Smith",  # 24 of 30
                    "country": "Portugal" if number % 10 == 1 else "Spain",  # 3 of 30, all Jane Doe's
                }
                keywords = [parse_keyword(word, "keywords") for word in title.split()]
                image = await images_store.insert(tx, account_id, fields, keywords)
                await tx.execute(
                    "UPDATE images SET created_at = ? WHERE image_id = ?",
                    (f"2024-01-0{number // 10 + 1}T00:00:00.000Z", image.image_id),
                )
    return db


@pytest.fixture(params=[(ACCOUNT,), (ACCOUNT, OTHER_ACCOUNT)], ids=["alone", "beside-another"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    database = await _library(tmp_path / "d.sqlite", request.param)
    try:
        yield database
    finally:
        await database.close()


async def _plain_count(db: Database, compiled: CompiledFormula) -> int:
    fulltext = compiled.fulltext()
    row = await db.fetch_one(
        f"{fulltext.text} SELECT count(*) AS n FROM images AS i WHERE {compiled.where}",
        (*fulltext.params, *compiled.params),
    )
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("q", FORMULAS)
async def test_the_count_is_the_plain_count(db: Database, q: str) -> None:
    compiled = compile_formula(parse_formula(q), account_id=ACCOUNT)
    counted = await formula_search.count(db, compiled, with_images=True)
    assert counted == formula_search.Counted(await _plain_count(db, compiled), 30)
    assert (await formula_search.count(db, compiled)).images is None


@pytest.mark.parametrize("q", FORMULAS)
async def test_pages_read_newest_first_from_the_index_are_the_sorted_pages(db: Database, q: str) -> None:
    compiled = compile_formula(parse_formula(q), account_id=ACCOUNT)
    matches = await _plain_count(db, compiled)
    walk = formula_search.Counted(matches, 1)  # few images, many matches: the index walk
    sort = formula_search.Counted(matches, 10**9)  # the other way round: the sort
    for offset in range(0, 32, 4):
        pages = [
            await formula_search.page(db, compiled, None, limit=4, offset=offset, counted=counted)
            for counted in (walk, sort, None)
        ]
        ids = [[image.external_id for image in images] for images in pages]
        assert ids[0] == ids[1] == ids[2]
        assert len(ids[0]) == max(0, min(4, matches - offset))


async def test_the_indexed_term_of_fewest_images_drives(db: Database) -> None:
    compiled = compile_formula(
        parse_formula('a=jane doe && country:"Portugal" && k=harbour'), account_id=ACCOUNT
    )
    author, country = compiled.indexed
    driven = await formula_search.driven(db, compiled)
    assert author.seek.text in driven.where and country.seek.text not in driven.where
    assert await _plain_count(db, driven) == await _plain_count(db, compiled) == 3
    alone = compile_formula(parse_formula("a=jane doe && k=harbour"), account_id=ACCOUNT)
    assert alone.indexed == () and await formula_search.driven(db, alone) is alone


async def _plain_keyword_facet(db: Database, compiled: CompiledFormula, limit: int) -> dict[str, int]:
    fulltext = compiled.fulltext()
    rows = await db.fetch_all(
        f"{fulltext.text} SELECT min(CASE WHEN k.namespace = '' THEN k.value"
        " ELSE k.namespace || ':' || k.value END) AS value, count(*) AS n"
        f" FROM images AS i JOIN image_keywords AS k ON k.image_id = i.image_id WHERE {compiled.where}"
        " GROUP BY k.namespace, k.value_folded ORDER BY n DESC, value LIMIT ?",
        (*fulltext.params, *compiled.params, limit),
    )
    return {row["value"]: row["n"] for row in rows}


async def _codes_are_rebuilt_codes(db: Database) -> None:
    """Each image's string of codes holds exactly the codes of its keyword rows."""
    rows = await db.fetch_all(
        "SELECT k.image_id, group_concat(char(c.code), '') AS codes FROM image_keywords AS k"
        " JOIN keyword_codes AS c ON c.namespace = k.namespace AND c.value = k.value GROUP BY k.image_id"
    )
    expected = {row["image_id"]: sorted(row["codes"]) for row in rows}
    kept = await db.fetch_all("SELECT image_id, codes FROM image_keyword_codes WHERE codes != ''")
    assert {row["image_id"]: sorted(row["codes"]) for row in kept} == expected


async def _write_keywords(db: Database) -> None:
    """Spellings of one keyword on different images, namespaces, removals, a rename by UPDATE
    and an INSERT OR REPLACE (no writer does either today: the triggers must not care), a
    deletion."""
    async with db.write() as tx:
        await images_store.add_keywords(
            tx, 1, [parse_keyword("Sunset", "keywords"), parse_keyword("place:Porto", "keywords")]
        )
        await images_store.add_keywords(tx, 2, [parse_keyword("SUNSET", "keywords")])
        await images_store.add_keywords(tx, 3, [parse_keyword("place:porto", "keywords")])
        assert await keywords_store.remove(tx, 1, parse_keyword("beach", "keywords"))
        await tx.execute("UPDATE image_keywords SET value = 'Dog' WHERE image_id = 5 AND value = 'dog'")
        # A writer's own conflict clause applies to the triggers' statements too.
        await tx.execute(
            "INSERT OR REPLACE INTO image_keywords (image_id, namespace, value, value_folded, position)"
            " VALUES (7, '', 'sunset', 'sunset', 9)"
        )
        await images_store.delete(tx, 6)


@pytest.mark.parametrize("q", FORMULAS)
async def test_the_keyword_facet_is_the_grouped_keyword_rows(db: Database, q: str) -> None:
    await _write_keywords(db)
    await _codes_are_rebuilt_codes(db)
    compiled = compile_formula(parse_formula(q), account_id=ACCOUNT)
    for limit in (2, 100):
        facet = await formula_search.facet(db, compiled, "keywords", limit)
        plain = await _plain_keyword_facet(db, compiled, limit)
        assert list(facet.items()) == list(plain.items())


async def test_past_the_last_code_point_the_keyword_facet_groups_rows(db: Database) -> None:
    async with db.write() as tx:
        await tx.execute(
            "INSERT INTO keyword_codes (code, namespace, value, value_folded) VALUES (1114111, '', 'x', 'x')"
        )
        await images_store.add_keywords(tx, 1, [parse_keyword("beyond", "keywords")])
    row = await db.fetch_one("SELECT max(code) AS last FROM keyword_codes")
    assert row is not None and row["last"] == 1114112
    compiled = compile_formula(parse_formula(""), account_id=ACCOUNT)
    facet = await formula_search.facet(db, compiled, "keywords", 100)
    assert facet["beyond"] == 1
    assert facet == await _plain_keyword_facet(db, compiled, 100)


async def test_migration_0010_codes_the_keywords_a_library_already_has(db: Database) -> None:
    await _write_keywords(db)
    # The library as it was before migration 0010, with its keyword rows.
    await db.execute_script(
        "DROP TRIGGER image_keyword_codes_insert; DROP TRIGGER image_keyword_codes_delete;"
        " DROP TRIGGER image_keyword_codes_update; DROP TRIGGER image_keyword_codes_image_delete;"
        " DROP TABLE keyword_codes; DROP TABLE image_keyword_codes;"
        " DELETE FROM schema_migrations WHERE version = 10;"
    )
    assert await migrate(db) == [10]
    await _codes_are_rebuilt_codes(db)
    compiled = compile_formula(parse_formula(""), account_id=ACCOUNT)
    assert await formula_search.facet(db, compiled, "keywords", 100) == await _plain_keyword_facet(
        db, compiled, 100
    )


_DOCUMENT = "title, description, keywords, filename, metadata"


async def _fulltext_is_every_document(db: Database) -> None:
    rows = await db.fetch_all(f"SELECT rowid, {_DOCUMENT} FROM images_fts ORDER BY rowid")
    documents = await db.fetch_all(f"SELECT image_id, {_DOCUMENT} FROM images_fts_document ORDER BY image_id")
    assert rows and [tuple(row) for row in rows] == [tuple(document) for document in documents]


async def test_migration_0011_indexes_the_documents_again_with_longer_prefixes(db: Database) -> None:
    await _write_keywords(db)
    # The index as it was before migration 0011, prefixes of two and three letters.
    await db.execute_script(
        "DROP TABLE images_fts;"
        f" CREATE VIRTUAL TABLE images_fts USING fts5 ({_DOCUMENT},"
        " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');"
        f" INSERT INTO images_fts (rowid, {_DOCUMENT}) SELECT image_id, {_DOCUMENT} FROM images_fts_document;"
        " DELETE FROM schema_migrations WHERE version = 11;"
    )
    assert await migrate(db) == [11]
    row = await db.fetch_one("SELECT sql FROM sqlite_master WHERE name = 'images_fts'")
    assert row is not None and "prefix = '2 3 4 5'" in row["sql"]
    await _fulltext_is_every_document(db)
    # The triggers keep the new table as they kept the old one.
    async with db.write() as tx:
        await images_store.add_keywords(tx, 2, [parse_keyword("xylophones", "keywords")])
    await _fulltext_is_every_document(db)
    compiled = compile_formula(parse_formula("t~xylo"), account_id=ACCOUNT)
    assert await formula_search.count(db, compiled) == formula_search.Counted(1, None)
