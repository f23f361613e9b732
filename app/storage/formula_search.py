"""`GET /imgs` as SQL: the page, the count and the facets of the images a compiled formula matches.

The WHERE clause and the WITH clause it reads come from app/search/formula_sql.py with their
bound parameters; every other piece of SQL here is assembled from the fixed names below, never
from input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import msgspec
import numpy

from app.search.formula_sql import ORIENTATION, CompiledFormula, Sql
from app.storage.database import Database
from app.storage.images_store import ImageRow, image_from_row

# Sortable fields of the search dialect → their SQL.
SORTABLE: dict[str, str] = {
    "image_id": "i.external_id",
    "public_uuid": "i.public_uuid",
    "src": "i.src",
    "url_img_watermark": "i.url_img_watermark",
    "url_img_thumbnail": "i.url_img_thumbnail",
    "title": "i.title",
    "headline": "i.headline",
    "caption": "i.description",
    "alt_text": "i.alt_text",
    "ai_generated": "i.ai_generated",
    "model_release": "i.model_release",
    "property_release": "i.property_release",
    "nsfw": "i.nsfw",
    "status": "i.status",
    "date": "substr(i.creation_date, 1, 10)",
    "location": "i.location",
    "city": "i.city",
    "country": "i.country",
    "event": "i.event",
    "author": "i.creator",
    "provider": "i.provider",
    "shot": "i.shot",
    "scene": "i.scene",
    "technique": "i.technique",
    "medium": "i.medium",
    "width": "i.width",
    "height": "i.height",
    "n_faces": "i.n_faces",
    "aspect_ratio": "(CAST(i.width AS REAL) / i.height)",
}

_FLAGS = ("ai_generated", "model_release", "property_release", "nsfw")
_STRINGS = {
    "status": "i.status",
    "location": "i.location",
    "city": "i.city",
    "country": "i.country",
    "event": "i.event",
    "author": "i.creator",
    "provider": "i.provider",
    "shot": "i.shot",
    "scene": "i.scene",
    "medium": "i.medium",
    "technique": "i.technique",
}
_LISTS = ("categories", "collections")
FACETS = frozenset({*_FLAGS, *_STRINGS, *_LISTS, "orientation", "keywords"})

# Ties in any sort: newest first, then by public uuid (imgs.md).
_TIES = "i.created_at DESC, i.public_uuid"
# The account has every image of the file (one statement reads it with what depends on it, in
# the same snapshot): two probes of an index on account_id, whatever the number of images.
_ALONE = (
    "(NOT EXISTS (SELECT 1 FROM images WHERE account_id < ?)"
    " AND NOT EXISTS (SELECT 1 FROM images WHERE account_id > ?))"
)

# How a keyword shows in a facet, its namespace before it.
_KEYWORD_TEXT = "min(CASE WHEN k.namespace = '' THEN k.value ELSE k.namespace || ':' || k.value END)"
# The last code point: past it keyword codes are U+FFFD (migration 0010_keyword_codes).
_LAST_CODE = 0x10FFFF


# How far each index range is counted to choose the driving one: a few milliseconds at most.
_PROBE_LIMIT = 20_000


async def driven(db: Database, formula: CompiledFormula) -> CompiledFormula:
    """The formula driven by the index of the fewest images among its indexed `&&` terms.

    SQLite knows only the average images per value: for `a=jane doe && country:"Portugal"` it
    took the author (5 556 on average, 41 623 for her) over the country (12 500 on average,
    9 942 for Portugal) and read every one of her images for its country. Each term's range is
    counted from its index (to _PROBE_LIMIT); the smallest drives, and the others are looked up
    in their own indexes image by image (IndexedTerm.unindexed), which SQLite cannot drive by.
    When every range reaches the limit, none is small and SQLite's choice stands."""
    if not formula.indexed:
        return formula
    account = formula.account_id
    probes = [
        Sql(
            f"(SELECT count(*) FROM (SELECT 1 FROM images AS i WHERE i.account_id = ? AND {term.probe.text}"
            f" LIMIT {_PROBE_LIMIT}))",
            (account, *term.probe.params),
        )
        for term in formula.indexed
    ]
    sql = "SELECT " + ", ".join(probe.text for probe in probes)
    row = await db.fetch_one(sql, tuple(param for probe in probes for param in probe.params))
    if row is None:
        raise RuntimeError("a SELECT without FROM returned no row")
    sizes = [int(size) for size in row]
    if min(sizes) >= _PROBE_LIMIT:
        return formula
    chosen = sizes.index(min(sizes))
    where = Sql(formula.where, formula.params)
    for number, term in enumerate(formula.indexed):
        if number != chosen:
            where = term.unindexed(where)
    return replace(formula, where=where.text, params=where.params)


@dataclass(frozen=True, slots=True)
class Counted:
    matches: int
    images: int | None  # the account's, when asked for


async def page(
    db: Database,
    formula: CompiledFormula,
    order: Sql | None,
    *,
    limit: int,
    offset: int,
    counted: Counted | None = None,
    similarity: bool = False,
) -> list[ImageRow]:
    """`order` is the sort (without the ties), with `similarity` when it is the formula's
    order_by(); None: newest first, for which `counted` (with the account's images) lets the
    page be read in that order from the index (see _newest_first)."""
    if counted is not None and counted.matches <= offset:
        return []
    order_text = f"{order.text}, {_TIES}" if order is not None else _TIES
    order_params = order.params if order is not None else ()
    source, where, params = "images AS i", formula.where, formula.params
    if order is None and counted is not None and _newest_first(counted, offset + limit):
        source, where, params = (
            "images AS i INDEXED BY images_newest",
            formula.walk_where,
            formula.walk_params,
        )
    fulltext = formula.fulltext(scored=similarity)
    sql = f"{fulltext.text} SELECT i.* FROM {source} WHERE {where} ORDER BY {order_text} LIMIT ? OFFSET ?"
    rows = await db.fetch_all(sql, (*fulltext.params, *params, *order_params, limit, offset))
    return [image_from_row(row) for row in rows]


def _newest_first(counted: Counted, window: int) -> bool:
    """Whether to walk the account's images newest first, testing each, until the page is full,
    rather than find every match and sort them. SQLite cannot tell: it takes a set of ids for a
    few rows. With m matches among n images spread over time, the walk tests about
    window × n / m images, the sort reads and sorts m rows after building the sets; measured on
    the 100 000-image library, a match sorted costs two images tested or more (5–12 µs against
    3–5), hence the walk when window × n / m < 2 m (for a page of 50, from about 1 600 matches)."""
    if counted.images is None:
        return False
    return window * counted.images < 2 * counted.matches * counted.matches


def sort_by(field: str, direction: Literal["asc", "desc"]) -> Sql:
    """A field of SORTABLE (the caller checked it), missing values last either way."""
    return Sql(f"{SORTABLE[field]} {direction.upper()} NULLS LAST")


async def count(db: Database, formula: CompiledFormula, *, with_images: bool = False) -> Counted:
    """The matches; `with_images`: and the account's images (an index range, unless it has them all).

    Where the account has every image and the formula is a set of ids (formula_sql.IdSet), the
    count is that set's, read from the side tables alone: checking the account of each of
    38 000 full-text matches took four times as long as finding them."""
    account = formula.account_id
    matches = Sql(f"(SELECT count(*) FROM images AS i WHERE {formula.where})", formula.params)
    if formula.ids is not None:
        ids = formula.ids.select
        each = "*" if formula.ids.distinct else "DISTINCT image_id"
        matches = Sql(
            f"(CASE WHEN {_ALONE} THEN (SELECT count({each}) FROM ({ids.text})) ELSE {matches.text} END)",
            (account, account, *ids.params, *matches.params),
        )
    images = Sql("NULL")
    if with_images:
        images = Sql(
            f"(CASE WHEN {_ALONE} THEN (SELECT count(*) FROM images)"
            " ELSE (SELECT count(*) FROM images WHERE account_id = ?) END)",
            (account, account, account),
        )
    fulltext = formula.fulltext()
    row = await db.fetch_one(
        f"{fulltext.text} SELECT {matches.text} AS matches, {images.text} AS images",
        (*fulltext.params, *matches.params, *images.params),
    )
    if row is None:
        raise RuntimeError("a SELECT without FROM returned no row")
    return Counted(int(row["matches"]), None if row["images"] is None else int(row["images"]))


async def facet(db: Database, formula: CompiledFormula, name: str, limit: int) -> dict[str, int]:
    """`{value: count}` over the whole match, largest first, at most `limit` values."""
    where, params = formula.where, formula.params
    if name in _FLAGS:
        sql = (
            f"SELECT CASE WHEN i.{name} THEN 'true' ELSE 'false' END AS value, count(*) AS n "
            f"FROM images AS i WHERE {where} AND i.{name} IS NOT NULL GROUP BY value"
        )
    elif name == "orientation":
        sql = (
            f"SELECT {ORIENTATION} AS value, count(*) AS n FROM images AS i "
            f"WHERE {where} AND {ORIENTATION} IS NOT NULL GROUP BY value"
        )
    elif name in _STRINGS:
        column = _STRINGS[name]
        sql = (
            f"SELECT {column} AS value, count(*) AS n FROM images AS i "
            f"WHERE {where} AND {column} IS NOT NULL AND {column} != '' GROUP BY value"
        )
    elif name in _LISTS:
        sql = (
            f"SELECT j.value AS value, count(DISTINCT i.image_id) AS n "
            f"FROM images AS i, json_each(i.{name}) AS j WHERE {where} GROUP BY j.value"
        )
    elif name == "keywords":
        coded = await _keyword_facet(db, formula, limit)
        if coded is not None:
            return coded
        # count(*): the key (image_id, namespace, value_folded) makes each image count once.
        sql = (
            f"SELECT {_KEYWORD_TEXT} AS value, count(*) AS n "
            f"FROM images AS i JOIN image_keywords AS k ON k.image_id = i.image_id WHERE {where} "
            "GROUP BY k.namespace, k.value_folded"
        )
    else:
        raise ValueError(f"unknown facet {name!r}")  # the name becomes SQL text: checked first
    fulltext = formula.fulltext()
    rows = await db.fetch_all(
        f"{fulltext.text} {sql} ORDER BY n DESC, value LIMIT ?", (*fulltext.params, *params, limit)
    )
    return {str(row["value"]): int(row["n"]) for row in rows}


async def _keyword_facet(db: Database, formula: CompiledFormula, limit: int) -> dict[str, int] | None:
    """The keyword facet counted from each image's string of keyword codes: one row per image
    and a count of characters, instead of grouping every keyword row by its text (14 222 images,
    99 000 rows: 160-180 ms, of which the grouping is 140). None when the library has more
    keyword spellings than code points.

    Spellings of one keyword ("Sunset", "sunset") have codes of their own: their counts are
    added and the first spelling in code point order shows, as SQL's min() would. Codes are never
    changed or deleted, so reading their texts in a second statement is as good as in the first."""
    fulltext = formula.fulltext()
    row = await db.fetch_one(
        f"{fulltext.text} SELECT CASE WHEN (SELECT max(code) FROM keyword_codes) <= {_LAST_CODE} THEN ("
        "SELECT coalesce(group_concat(c.codes, ''), '') FROM images AS i"
        f" JOIN image_keyword_codes AS c ON c.image_id = i.image_id WHERE {formula.where}"
        ") ELSE '' END AS codes, (SELECT max(code) FROM keyword_codes) AS last_code",
        (*fulltext.params, *formula.params),
    )
    if row is None:
        raise RuntimeError("a SELECT without FROM returned no row")
    if row["last_code"] is not None and row["last_code"] > _LAST_CODE:
        return None
    counted = _count_codes(row["codes"])
    if not counted:
        return {}
    spellings = await db.fetch_all(
        "SELECT code, namespace, value, value_folded FROM keyword_codes"
        " WHERE code IN (SELECT value FROM json_each(?))",
        (msgspec.json.encode(list(counted)).decode(),),
    )
    keywords: dict[tuple[str, str], tuple[int, str]] = {}
    for spelling in spellings:
        key = (spelling["namespace"], spelling["value_folded"])
        text = f"{key[0]}:{spelling['value']}" if key[0] else spelling["value"]
        images = counted[spelling["code"]]
        if key in keywords:
            shown_images, shown = keywords[key]
            images, text = images + shown_images, min(text, shown)
        keywords[key] = (images, text)
    ranked = sorted(keywords.values(), key=lambda keyword: (-keyword[0], keyword[1]))
    return {text: images for images, text in ranked[:limit]}


def _count_codes(codes: str) -> dict[int, int]:
    """How many times each code point occurs in `codes`: as UTF-32 code units, sorted and
    counted by numpy (0.6 ms for 99 000 codes, where collections.Counter took 17: a Python
    object for every character)."""
    units = numpy.frombuffer(codes.encode("utf-32-le"), dtype="<u4")
    found, counts = numpy.unique(units, return_counts=True)
    return dict(zip(found.tolist(), counts.tolist(), strict=True))
