"""The filtered, ranked list of an account's images: `GET /v1/images` as one SQL statement.

Filters stack (AND). Every value is a bound parameter; the SQL text is assembled only from the
fixed fragments below. With a full-text query the order is relevance (BM25), else newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.search.fulltext import FullTextQuery
from app.storage import images_store
from app.storage.database import Database
from app.storage.images_store import ImageRow, Keyword

# BM25 weights of the images_fts columns: title, description, keywords, filename, metadata.
_BM25 = "bm25(images_fts, 10.0, 5.0, 8.0, 2.0, 3.0)"

EXIF_TEXT_PROPERTIES = frozenset({"make", "model", "lens"})
EXIF_NUMBER_PROPERTIES = frozenset({"iso", "focal_length", "f_number", "exposure_time"})


@dataclass(slots=True)
class ImageFilters:
    text: FullTextQuery | None = None
    keyword: Keyword | None = None
    namespace: str | None = None
    rating: int | None = None
    min_rating: int | None = None
    exif: tuple[str, str] | None = None
    created_at: tuple[str | None, str | None] = (None, None)
    updated_at: tuple[str | None, str | None] = (None, None)
    creation_date: tuple[str | None, str | None] = (None, None)
    has_geo: bool | None = None
    bbox: tuple[float, float, float, float] | None = None
    set_id: int | None = None
    sha256: str | None = None


@dataclass(slots=True)
class _Where:
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)


def _where(account_id: int, filters: ImageFilters) -> tuple[_Where, bool]:
    where = _Where()
    where.add("i.account_id = ?", account_id)
    ranked = False
    if filters.text is not None:
        match = filters.text.match_expression()
        exclusion = filters.text.exclusion_expression()
        if match is not None:
            where.add("images_fts MATCH ?", match)
            ranked = True
        elif exclusion is not None:
            where.add(
                "i.image_id NOT IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)",
                exclusion,
            )
        else:
            where.add("0")  # nothing searchable in the query: it matches nothing
    if filters.keyword is not None and ranked:
        # The full-text matches drive the query, and there may be tens of thousands of them. The
        # keyword's images, read once from their index into a list, rule most of them out before
        # the image row is read or BM25 computed (a correlated EXISTS, run for every match after
        # its row, was 2-3 times slower on 100 000 images). The `+` keeps SQLite from handing the
        # list to FTS5, which would look each id up in the full-text index: 50 times slower.
        where.add(
            "+images_fts.rowid IN (SELECT k.image_id FROM image_keywords AS k"
            " WHERE k.namespace = ? AND k.value_folded = ?)",
            filters.keyword.namespace or "",
            filters.keyword.folded,
        )
    elif filters.keyword is not None:
        where.add(
            "EXISTS (SELECT 1 FROM image_keywords AS k WHERE k.image_id = i.image_id"
            " AND k.namespace = ? AND k.value_folded = ?)",
            filters.keyword.namespace or "",
            filters.keyword.folded,
        )
    if filters.namespace is not None:
        where.add(
            "EXISTS (SELECT 1 FROM image_keywords AS k WHERE k.image_id = i.image_id AND k.namespace = ?)",
            filters.namespace,
        )
    if filters.rating is not None:
        where.add("i.rating = ?", filters.rating)
    if filters.min_rating is not None:
        where.add("i.rating >= ?", filters.min_rating)
    if filters.exif is not None:
        name, value = filters.exif
        if name not in EXIF_NUMBER_PROPERTIES | EXIF_TEXT_PROPERTIES:
            raise ValueError(f"unknown EXIF property {name!r}")  # the name becomes SQL text
        if name in EXIF_NUMBER_PROPERTIES:
            where.add(f"json_extract(i.exif, '$.{name}') = ?", float(value))
        else:
            where.add(f"lower(json_extract(i.exif, '$.{name}')) = lower(?)", value)
    for column, (low, high) in (
        ("created_at", filters.created_at),
        ("updated_at", filters.updated_at),
        ("creation_date", filters.creation_date),
    ):
        if low is not None:
            where.add(f"i.{column} >= ?", low)
        if high is not None:
            where.add(f"i.{column} <= ?", high)
    if filters.has_geo is not None:
        where.add("i.lat IS NOT NULL" if filters.has_geo else "i.lat IS NULL")
    if filters.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        where.add("i.lat BETWEEN ? AND ?", min_lat, max_lat)
        if min_lon <= max_lon:
            where.add("i.lon BETWEEN ? AND ?", min_lon, max_lon)
        else:  # the box crosses the antimeridian
            where.add("(i.lon >= ? OR i.lon <= ?)", min_lon, max_lon)
    if filters.sha256 is not None:
        where.add("i.sha256 = ?", filters.sha256)
    if filters.set_id is not None:
        where.add(
            "EXISTS (SELECT 1 FROM set_images AS s WHERE s.image_id = i.image_id AND s.set_id = ?)",
            filters.set_id,
        )
    return where, ranked


def statement(
    account_id: int, filters: ImageFilters, *, limit: int, offset: int
) -> tuple[str, tuple[Any, ...]]:
    """The SQL of a page of the list and its parameters (benchmarks run it on their own too)."""
    where, ranked = _where(account_id, filters)
    joined = " JOIN images_fts ON images_fts.rowid = i.image_id" if ranked else ""
    order = f"{_BM25}, " if ranked else ""
    sql = (
        f"SELECT i.* FROM images AS i{joined} WHERE {' AND '.join(where.clauses)} "
        f"ORDER BY {order}i.created_at DESC, i.image_id DESC LIMIT ? OFFSET ?"
    )
    return sql, (*where.params, limit, offset)


async def search(
    db: Database, account_id: int, filters: ImageFilters, *, limit: int, offset: int
) -> list[ImageRow]:
    rows = await db.fetch_all(*statement(account_id, filters, limit=limit, offset=offset))
    return [images_store.image_from_row(row) for row in rows]
