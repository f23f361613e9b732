"""The SQL of `GET /v1/images`: the plans that keep a filtered search fast on a large library
(measured by bench/library.py)."""

from __future__ import annotations

from app.search import fulltext
from app.storage import image_search
from app.storage.image_search import ImageFilters
from app.storage.images_store import Keyword
from tests.conftest import Harness


async def plan(server: Harness, filters: ImageFilters) -> list[str]:
    sql, params = image_search.statement(await server.account_id(), filters, limit=51, offset=0)
    rows = await server.runtime.db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
    return [row["detail"] for row in rows]


async def test_a_ranked_search_reads_the_keyword_list_once_and_scans_the_matches(server: Harness) -> None:
    filters = ImageFilters(
        text=fulltext.parse("harbour boat"),
        keyword=Keyword(None, "Sunset"),
        creation_date=("2010-01-01", "2016-12-31~"),
    )
    steps = await plan(server, filters)
    # FTS5 gets the MATCH alone ("M"); handed the keyword's ids as well ("=M"), it would look
    # each one up in the full-text index, fifty times slower on 100 000 images.
    assert steps[0].startswith("SCAN images_fts VIRTUAL TABLE INDEX 0:M")
    assert "LIST SUBQUERY 1" in steps
    assert "SEARCH i USING INTEGER PRIMARY KEY (rowid=?)" in steps
