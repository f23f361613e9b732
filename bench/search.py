"""The search benchmark: ten query formulas through `GET /imgs` against hand-written SQL, and a
10 000-item metadata `PATCH /imgs`, on a 100 000-image library.

The library is the one bench/library.py builds (titles, descriptions, keywords with namespaces,
cities, countries, dates over twenty years, FTS kept by the schema's triggers), copied and
given what the search dialect reads besides, in one bulk UPDATE before the server starts:
external ids, authors, headlines, statuses, categories and collections, the four booleans,
sizes in three orientations, and a pHash per image, random, with a few near-duplicates of
some reference images at known distances. Cached in `bench/.cache/search/`, copied per run.

Darkroom then runs as a real server on a loopback port and, in the same run:

- **search**: sequential `GET /imgs?q=…` requests, the formulas in turn, each followed by the
  SQL one would write by hand for the same answer (page, count, facets, the page's keywords
  and versions), run with `sqlite3` on the same file; every page must be the same both ways;
- **batch**: one `PATCH /imgs?wait=false` of 10 000 items changing title, keywords and city of
  existing images, followed on `/ops/{op_id}` with `Prefer: wait` to its end.

Goals: every formula's p50 ≤ 50 ms and ≤ 2× its hand-written SQL's p50.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy
from library import (
    DATABASE_NAME,
    LibraryShape,
    anonymous_rss_mb,
    cached_library,
    connect,
    cpu_seconds,
    library_key,
    migrate_copy,
    older_cache,
    peak_rss_mb,
    server,
)
from numpy.typing import NDArray

from app.search.sql_functions import SQL_FUNCTIONS

P50_GOAL_MS, RATIO_GOAL = 50.0, 2.0
BENCH_DIR = Path(__file__).resolve().parent
CACHE = BENCH_DIR / ".cache" / "search"
RESULTS = BENCH_DIR / "results" / "search.json"
PAGE = 50
BATCH_ITEMS = 10_000

# --- the library's search fields ------------------------------------------------------------

# Bump when the generated fields change, so that a stale cache is not reused.
_GENERATION = 1

_AUTHORS = ["Jane Doe", "John Smith", "Ana Silva", "Marc Dubois", "Giulia Rossi", "Ola Nordmann",
            "Sean Murphy", "Lena Schmidt", "Piotr Nowak", "Ivo Horvat", "Maria Santos", "Paul Martin",
            "Sofia Costa", "Karl Berg", "Aoife Byrne", "Tom Weber", "Eva Lund", "Luis Pereira"]  # fmt: skip
_CATEGORIES = ["Nature", "Travel", "People", "Architecture", "Food", "Sport", "News", "Culture",
               "Business", "Science", "Transport", "Animals"]  # fmt: skip
_COLLECTIONS = ["Exclusive", "Archive", "Editorial", "Premium", "Creative", "Heritage", "Best of",
                "Spring 2024", "Coastal", "Street"]  # fmt: skip
_HEADLINES = ["Morning at the harbour", "A city wakes up", "Old town market", "Storm over the coast",
              "Winter light", "Festival night", "Life on the river", "Fishing boats return"]  # fmt: skip
_SIGNED = 1 << 63

# Near-duplicates: every REFERENCE_STEP-th image is a reference; the images right after it get
# its pHash with this many bits flipped (same picture, lightly edited, similar).
REFERENCE_STEP = 5000
_FLIPS = (0, 1, 2, 4, 9, 12, 16, 18, 19)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= _SIGNED else value


def _flip(phash: int, bits: int, rng: random.Random) -> int:
    mask = sum(1 << bit for bit in rng.sample(range(64), bits))
    return _signed((phash & ((1 << 64) - 1)) ^ mask)


def _search_fields(image_ids: list[int]) -> list[tuple[Any, ...]]:
    rng = random.Random(7)
    author_weights = [12] + [1] * (len(_AUTHORS) - 1)  # Jane Doe on 12 images in 29 (41 %)
    rows, hashes = [], {}
    for image_id in image_ids:
        reference = image_id - image_id % REFERENCE_STEP
        offset = image_id - reference
        if reference and 1 <= offset <= len(_FLIPS):
            phash = _flip(hashes[reference], _FLIPS[offset - 1], rng)
        else:
            phash = _signed(rng.getrandbits(64))
        hashes[image_id] = phash
        shape = rng.random()
        long, short = rng.choice(((6000, 4000), (4000, 3000), (5472, 3648), (3840, 2160)))
        width, height = (long, short) if shape < 0.6 else (short, long) if shape < 0.95 else (short, short)
        categories = rng.sample(_CATEGORIES, rng.choice((0, 1, 1, 2, 3)))
        collections = rng.sample(_COLLECTIONS, rng.choice((0, 0, 1, 1, 2)))

        def flag(share: float) -> int | None:
            return None if rng.random() < 0.1 else int(rng.random() < share)

        rows.append(
            (f"img-{image_id}", rng.choices(_AUTHORS, weights=author_weights)[0], rng.choice(_HEADLINES),
             rng.choice(("Active",) * 8 + ("Withdrawn", "Reserved")), json.dumps(categories),
             json.dumps(collections), flag(0.1), flag(0.05), flag(0.5), flag(0.3), width, height, phash,
             image_id)
        )  # fmt: skip
    return rows


_UPDATE = (
    "UPDATE images SET external_id = ?, creator = ?, headline = ?, status = ?, categories = ?,"
    " collections = ?, ai_generated = ?, nsfw = ?, model_release = ?, property_release = ?,"
    " width = ?, height = ?, phash = ? WHERE image_id = ?"
)


def cached_search_library(images: int) -> tuple[Path, str]:
    """bench/library.py's library with the search fields, built once and kept in the cache
    (after a new migration: a copy of the cache of the earlier schema, migrated)."""
    shape = LibraryShape(images)
    library, token = cached_library(shape)
    key = f"g{_GENERATION}-{library.parent.name}"
    directory = CACHE / key
    path = directory / DATABASE_NAME
    older = older_cache(CACHE, lambda version: f"g{_GENERATION}-{library_key(shape, version)}")
    if not path.exists() and older is not None:
        partial = CACHE / f"{key}.part"
        shutil.rmtree(partial, ignore_errors=True)
        migrate_copy(older, partial)
        partial.rename(directory)
    if not path.exists():
        partial = CACHE / f"{key}.part"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        print(f"adding the search fields in {directory}", flush=True)
        started = time.perf_counter()
        with (
            closing(sqlite3.connect(library)) as source,
            closing(sqlite3.connect(partial / DATABASE_NAME)) as target,
        ):
            source.backup(target)
        with closing(sqlite3.connect(partial / DATABASE_NAME, isolation_level=None)) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = OFF")
            ids = [row[0] for row in connection.execute("SELECT image_id FROM images ORDER BY image_id")]
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(_UPDATE, _search_fields(ids))  # the FTS trigger keeps images_fts
            connection.execute("COMMIT")
            connection.execute("ANALYZE")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial.rename(directory)
        print(f"added in {time.perf_counter() - started:.0f} s", flush=True)
    return path, token


# --- the formulas and their hand-written SQL ------------------------------------------------

_ORDER = "ORDER BY i.created_at DESC, i.public_uuid"
_FTS = "{title description keywords metadata}"


@dataclass
class Timings:
    """Wall seconds of one formula's requests, or of its hand-written SQL."""

    wall: list[float] = field(default_factory=list)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.wall)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@dataclass
class Raw:
    """A hand-written answer: the page's statement, the count's, each facet's; arguments after
    the account id. `similar` (max distance) makes the ids within it the first argument of each."""

    page: str
    count: str
    args: tuple[Any, ...] = ()
    facets: dict[str, str] = field(default_factory=dict)
    similar: int | None = None


@dataclass
class Case:
    name: str
    params: dict[str, Any]
    raw: Raw
    http: Timings = field(default_factory=Timings)
    sql: Timings = field(default_factory=Timings)
    matches: int = 0


def _folded(column: str) -> str:
    """The key of the column's index of folded values (migration 0009): lower case, trimmed,
    for ASCII text; every string of this library is ASCII, so it is the whole test."""
    return (
        f"(CASE WHEN typeof({column}) = 'text' AND length({column}) = length(CAST({column} AS BLOB))"
        f" THEN trim(lower({column}), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))"
        f" WHEN {column} IS NOT NULL THEN char(1) END)"
    )


def _where(condition: str) -> tuple[str, str]:
    """Page and count of `images AS i` under `condition`, newest first."""
    return (
        f"SELECT i.* FROM images AS i WHERE i.account_id = ? AND {condition} {_ORDER} LIMIT {PAGE}",
        f"SELECT count(*) FROM images AS i WHERE i.account_id = ? AND {condition}",
    )


def _fts_where(expression: str) -> tuple[str, str]:
    return _where(f"i.image_id IN (SELECT rowid FROM images_fts WHERE images_fts MATCH '{expression}')")


def _similar(max_distance: int) -> Raw:
    """The pHash scan done as the server does it, in memory (see `measure`); the SQL gets the ids."""
    within = "i.image_id IN (SELECT value FROM json_each(?))"
    return Raw(
        f"SELECT i.* FROM images AS i WHERE i.account_id = ? AND {within}"
        f" ORDER BY hamming(i.phash, ?), i.created_at DESC, i.public_uuid LIMIT {PAGE}",
        f"SELECT count(*) FROM images AS i WHERE i.account_id = ? AND {within}",
        similar=max_distance,
    )


def cases(reference: str) -> list[Case]:
    red_boat = f"{_FTS} : (red* AND boat*)"
    return [
        Case("t~harbour", {"q": "t~harbour"}, Raw(*_fts_where(f"{_FTS} : (harbour*)"))),
        Case(
            "t~~red boat, sort_by=similarity",
            {"q": "t~~red boat", "sort_by": "similarity"},
            Raw(
                "SELECT i.* FROM images_fts AS f JOIN images AS i ON i.image_id = f.rowid"
                f" WHERE i.account_id = ? AND images_fts MATCH '{red_boat}'"
                f" ORDER BY bm25(images_fts, 10.0, 5.0, 8.0, 2.0, 3.0), i.created_at DESC, i.public_uuid"
                f" LIMIT {PAGE}",
                "SELECT count(*) FROM images_fts AS f JOIN images AS i ON i.image_id = f.rowid"
                f" WHERE i.account_id = ? AND images_fts MATCH '{red_boat}'",
            ),
        ),
        Case(
            "d>=2020-01-01 && d<2021",
            {"q": "d>=2020-01-01 && d<2021"},
            Raw(*_where("i.creation_date >= '2020-01-01' AND i.creation_date < '2021-01-01'")),
        ),
        Case(
            "k=beach,sunset",
            {"q": "k=beach,sunset"},
            Raw(
                *_where(
                    "i.image_id IN (SELECT image_id FROM image_keywords WHERE namespace = ''"
                    " AND value_folded = 'beach' INTERSECT SELECT image_id FROM image_keywords"
                    " WHERE namespace = '' AND value_folded = 'sunset')"
                )
            ),
        ),
        Case(
            "k∩place:lisbon,place:porto,place:naples && o=landscape",
            {"q": "k∩place:lisbon,place:porto,place:naples && o=landscape"},
            Raw(
                *_where(
                    "i.image_id IN (SELECT image_id FROM image_keywords WHERE namespace = 'place'"
                    " AND value_folded IN ('lisbon', 'porto', 'naples')) AND i.width > i.height"
                )
            ),
        ),
        Case(
            "col∩Exclusive,Archive && !nsfw=true",
            {"q": "col∩Exclusive,Archive && !nsfw=true"},
            Raw(
                *_where(
                    "i.image_id IN (SELECT image_id FROM image_list_elements WHERE field = 'collections'"
                    " AND folded IN ('exclusive', 'archive')) AND coalesce(i.nsfw, 0) = 0"
                )
            ),
        ),
        Case(
            'a=jane doe && country:"Portugal"',
            {"q": 'a=jane doe && country:"Portugal"'},
            Raw(*_where(f"{_folded('creator')} = 'jane doe' AND {_folded('country')} = 'portugal'")),
        ),
        Case(
            "d>=2022, facets=keywords,country",
            {"q": "d>=2022", "facets": ["keywords", "country"]},
            Raw(
                *_where("i.creation_date >= '2022-01-01'"),
                facets={
                    "keywords": "SELECT min(CASE WHEN k.namespace = '' THEN k.value"
                    " ELSE k.namespace || ':' || k.value END) AS value, count(*) AS n"
                    " FROM images AS i JOIN image_keywords AS k ON k.image_id = i.image_id"
                    " WHERE i.account_id = ? AND i.creation_date >= '2022-01-01'"
                    " GROUP BY k.namespace, k.value_folded ORDER BY n DESC, value LIMIT 100",
                    "country": "SELECT i.country AS value, count(*) AS n FROM images AS i"
                    " WHERE i.account_id = ? AND i.creation_date >= '2022-01-01' AND i.country != ''"
                    " GROUP BY i.country ORDER BY n DESC, value LIMIT 100",
                },
            ),
        ),
        Case(
            f"i~{reference}, sort_by=similarity",
            {"q": f"i~{reference}", "sort_by": "similarity"},
            _similar(20),
        ),
        Case(
            f"i~~~{reference}, sort_by=similarity",
            {"q": f"i~~~{reference}", "sort_by": "similarity"},
            _similar(6),
        ),
    ]


# --- the search -----------------------------------------------------------------------------


@dataclass
class Hashes:
    """The pHashes in memory, as app/search/image_similarity.py keeps them (numpy arrays),
    loaded once."""

    image_ids: NDArray[numpy.int64]
    hashes: NDArray[numpy.uint64]
    reference: int  # the reference image's pHash, unsigned

    def within(self, max_distance: int) -> list[int]:
        distances = numpy.bitwise_count(self.hashes ^ numpy.uint64(self.reference))
        return sorted(self.image_ids[distances <= max_distance].tolist())


def load_hashes(connection: sqlite3.Connection, account_id: int, reference: str) -> Hashes:
    rows = connection.execute(
        "SELECT image_id, phash FROM images WHERE account_id = ? AND phash IS NOT NULL", (account_id,)
    ).fetchall()
    image_ids = numpy.array([image_id for image_id, _ in rows], dtype=numpy.int64)
    hashes = numpy.array([phash & ((1 << 64) - 1) for _, phash in rows], dtype=numpy.uint64)
    (phash,) = connection.execute(
        "SELECT phash FROM images WHERE account_id = ? AND external_id = ?", (account_id, reference)
    ).fetchone()
    return Hashes(image_ids, hashes, phash & ((1 << 64) - 1))


def run_raw(
    connection: sqlite3.Connection, raw: Raw, account_id: int, hashes: Hashes
) -> tuple[list[str], int, dict[str, dict[str, int]], float]:
    """The hand-written answer: the page's ids, the count, the facets, and the wall seconds."""
    started = time.perf_counter()
    args: tuple[Any, ...] = (account_id, *raw.args)
    page_args = args
    if raw.similar is not None:
        ids = json.dumps(hashes.within(raw.similar))
        args = (account_id, ids)
        page_args = (*args, _signed(hashes.reference))
    rows = connection.execute(raw.page, page_args).fetchall()
    (count,) = connection.execute(raw.count, args).fetchone()
    facets = {
        name: {str(value): n for value, n in connection.execute(sql, args)}
        for name, sql in raw.facets.items()
    }
    page_ids = json.dumps([row["image_id"] for row in rows])
    keywords = connection.execute(
        "SELECT image_id, namespace, value FROM image_keywords"
        " WHERE image_id IN (SELECT value FROM json_each(?)) ORDER BY image_id, position",
        (page_ids,),
    ).fetchall()
    versions = connection.execute(
        "SELECT * FROM image_versions WHERE image_id IN (SELECT value FROM json_each(?))", (page_ids,)
    ).fetchall()
    seconds = time.perf_counter() - started
    del keywords, versions
    return [row["external_id"] for row in rows], count, facets, seconds


def get_imgs(client: httpx.Client, params: dict[str, Any]) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    answer = client.get("/imgs", params=params)
    seconds = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"GET /imgs {params} answered {answer.status_code}: {answer.text}")
    body: dict[str, Any] = answer.json()
    return body, seconds


def measure_search(
    client: httpx.Client,
    server_pid: int,
    connection: sqlite3.Connection,
    account_id: int,
    all_cases: list[Case],
    hashes: Hashes,
    runs: int,
) -> float:
    """`runs` rounds of every case, HTTP then raw; the server's CPU seconds. Each answer is
    checked against the raw one: the same page, the same count, the same facets."""
    for case in all_cases:  # warm-up: pages in the cache, statements prepared, the hashes loaded
        for _ in range(3):
            get_imgs(client, case.params)
            run_raw(connection, case.raw, account_id, hashes)
    server_cpu = cpu_seconds(server_pid)
    for number in range(runs):
        for case in all_cases:
            body, seconds = get_imgs(client, case.params)
            ids, count, facets, raw_seconds = run_raw(connection, case.raw, account_id, hashes)
            if number == 0:
                served = [image["image_id"] for image in body["results"]]
                if served != ids or body["count"] != count or body["facets"] != facets:
                    raise RuntimeError(
                        f"{case.name}: the server answered {served[:5]}…, {body['count']},"
                        f" {str(body['facets'])[:200]}; the raw SQL {ids[:5]}…, {count}, {str(facets)[:200]}"
                    )
                case.matches = count
            case.http.wall.append(seconds)
            case.sql.wall.append(raw_seconds)
        if (number + 1) % 50 == 0:
            print(f"  {number + 1} rounds", flush=True)
    return cpu_seconds(server_pid) - server_cpu


def sql_hamming_scan(
    connection: sqlite3.Connection, account_id: int, hashes: Hashes, rounds: int = 5
) -> float:
    """The similarity filter as plain SQL over every row (the registered `hamming`), for
    comparison: the median wall seconds of a count."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        connection.execute(
            "SELECT count(*) FROM images WHERE account_id = ? AND hamming(phash, ?) <= 20",
            (account_id, _signed(hashes.reference)),
        ).fetchone()
        timings.append(time.perf_counter() - started)
    return sorted(timings)[len(timings) // 2]


# --- the batch ------------------------------------------------------------------------------


def measure_batch(client: httpx.Client, rounds: int) -> list[dict[str, Any]]:
    """`rounds` PATCH /imgs of BATCH_ITEMS items each (title, keywords, city), followed to the end."""
    rng = random.Random(11)
    total = client.get("/imgs", params={"limit": 1}).json()["count"]
    results = []
    for number in range(rounds):
        chosen = rng.sample(range(1, total + 1), BATCH_ITEMS)
        items = [
            {
                "id": f"img-{image_id}",
                "title": f"Batch {number} title {image_id}",
                "keywords": ["Batch", f"round-{number}", "place:Lisbon"],
                "city": rng.choice(("Lisbon", "Porto", "Bergen", "Cork")),
            }
            for image_id in chosen
        ]
        started = time.perf_counter()
        answer = client.patch("/imgs", params={"wait": "false"}, json=items)
        accepted = time.perf_counter() - started
        if answer.status_code != 202:
            raise RuntimeError(f"PATCH /imgs answered {answer.status_code}: {answer.text[:500]}")
        operation: dict[str, Any] = answer.json()
        while not operation["finished"]:
            polled = client.get(f"/ops/{operation['op_id']}", headers={"Prefer": "wait=60"})
            polled.raise_for_status()
            operation = polled.json()
        seconds = time.perf_counter() - started
        if not operation["success"] or operation["num_good"] != BATCH_ITEMS:
            raise RuntimeError(f"the batch did not succeed: {json.dumps(operation)[:500]}")
        result = {
            "items": BATCH_ITEMS,
            "wall_s": seconds,
            "accepted_s": accepted,
            "exec_ms": operation["exec_ms"],
            "items_per_s": BATCH_ITEMS / seconds,
        }
        results.append(result)
        print(
            f"  batch {number + 1}: {seconds:.2f} s ({result['items_per_s']:.0f} items/s),"
            f" accepted in {accepted:.2f} s, exec_ms {operation['exec_ms']}",
            flush=True,
        )
    return results


# --- the report -----------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def summary(
    facts: dict[str, Any],
    all_cases: list[Case],
    server_cpu: float,
    hamming_s: float,
    batch: list[dict[str, Any]],
) -> dict[str, Any]:
    requests = sum(len(case.http.wall) for case in all_cases)
    rows = []
    for case in all_cases:
        http50, raw50 = case.http.percentile(0.5), case.sql.percentile(0.5)
        rows.append(
            {
                "formula": case.name,
                "params": case.params,
                "matches": case.matches,
                "http_p50_ms": http50 * 1000,
                "http_p99_ms": case.http.percentile(0.99) * 1000,
                "raw_p50_ms": raw50 * 1000,
                "raw_p99_ms": case.sql.percentile(0.99) * 1000,
                "ratio_p50": http50 / raw50,
            }
        )
    return {
        **facts,
        "requests": requests,
        "server_cpu_ms_per_request": server_cpu / requests * 1000,
        "formulas": rows,
        "sql_hamming_scan_ms": hamming_s * 1000,
        "batch": batch,
    }


def report(results: dict[str, Any]) -> None:
    print()
    print(
        f"Library: {results['images']} images, {results['database_mb']:.0f} MB; {results['cpus']} CPUs,"
        f" load average {results['load_before']:.2f} before the run"
    )
    print(
        f"GET /imgs, {results['requests']} sequential requests, each followed by its hand-written SQL;"
        f" server CPU {results['server_cpu_ms_per_request']:.1f} ms per request,"
        f" peak RSS {results['server_peak_rss_mb']:.0f} MB (the mapped database file included),"
        f" {results['server_anonymous_rss_mb']:.0f} MB of its own after the searches"
    )
    print()
    header = f"{'formula':<58}{'matches':>8}{'HTTP p50':>9}{'p99':>7}{'raw p50':>9}{'p99':>7}{'ratio':>7}"
    print(header)
    all_met = True
    for row in results["formulas"]:
        met = row["http_p50_ms"] <= P50_GOAL_MS and row["ratio_p50"] <= RATIO_GOAL
        all_met &= met
        print(
            f"{row['formula']:<58}{row['matches']:>8}{row['http_p50_ms']:>9.1f}{row['http_p99_ms']:>7.1f}"
            f"{row['raw_p50_ms']:>9.1f}{row['raw_p99_ms']:>7.1f}{row['ratio_p50']:>7.2f}"
            + ("" if met else "  MISSED")
        )
    print(f"goals (p50 ≤ {P50_GOAL_MS:g} ms and ≤ {RATIO_GOAL:g}× raw, every formula): {_verdict(all_met)}")
    print(
        "(the similarity filter as plain SQL, hamming() over every row:"
        f" {results['sql_hamming_scan_ms']:.0f} ms; both sides above scan the hashes in memory instead)"
    )
    print()
    for number, batch in enumerate(results["batch"], 1):
        print(
            f"PATCH /imgs of {batch['items']} items (title, keywords, city), run {number}:"
            f" {batch['wall_s']:.2f} s to the finished operation, {batch['items_per_s']:.0f} items/s"
        )


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000, help="images in the library")
    parser.add_argument("--runs", type=int, default=200, help="timed requests per formula")
    parser.add_argument("--batches", type=int, default=3, help="timed 10 000-item PATCH requests")
    parser.add_argument(
        "--only", help="run the formulas whose name holds this text (results are then not saved)"
    )
    options = parser.parse_args()
    if options.images < max(BATCH_ITEMS, REFERENCE_STEP + len(_FLIPS)):
        parser.error(f"at least {BATCH_ITEMS} images")

    load_before = os.getloadavg()[0]
    cached, token = cached_search_library(options.images)
    reference = f"img-{REFERENCE_STEP}"
    with tempfile.TemporaryDirectory(prefix="darkroom-search-") as temporary:
        data_dir = Path(temporary) / "data"
        data_dir.mkdir()
        live = data_dir / DATABASE_NAME
        shutil.copyfile(cached, live)
        with closing(sqlite3.connect(live)) as connection:
            (account_id,) = connection.execute(
                "SELECT account_id FROM accounts WHERE name = 'default'"
            ).fetchone()
        facts = {
            "images": options.images,
            "database_mb": live.stat().st_size / 1e6,
            "cpus": os.cpu_count(),
            "load_before": load_before,
        }
        all_cases = [case for case in cases(reference) if options.only is None or options.only in case.name]
        headers = {"Authorization": f"Bearer {token}"}
        with (
            server(data_dir) as (process, base),
            httpx.Client(base_url=base, headers=headers, timeout=120) as client,
            closing(connect(live, reader=True)) as connection,
        ):
            connection.row_factory = sqlite3.Row
            for function in SQL_FUNCTIONS:
                connection.create_function(
                    function.name, function.arity, function.implementation, deterministic=True
                )
            hashes = load_hashes(connection, account_id, reference)
            print(f"search: {options.runs} rounds of {len(all_cases)} formulas", flush=True)
            server_cpu = measure_search(
                client, process.pid, connection, account_id, all_cases, hashes, options.runs
            )
            facts["server_peak_rss_mb"] = peak_rss_mb(process.pid)
            facts["server_anonymous_rss_mb"] = anonymous_rss_mb(process.pid)
            hamming_s = sql_hamming_scan(connection, account_id, hashes)
            print(f"batch: {options.batches} PATCH /imgs of {BATCH_ITEMS} items", flush=True)
            batch = measure_batch(client, options.batches)
    results = summary(facts, all_cases, server_cpu, hamming_s, batch)
    report(results)
    if options.only is None:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
