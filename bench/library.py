"""The library benchmark: a filtered `GET /v1/images` and a 5 000-image move in a 100 000-image library.

The library is built straight into SQLite before the server starts (the FTS index is kept by
the schema's triggers, so it is the one the server would have built), cached in
`bench/.cache/library/` and copied for every run. Darkroom then runs as a real server on a
loopback port, and in the same run:

- **list**: sequential `GET /v1/images?query=…&keyword=…&creation_date_from=…&creation_date_to=…`
  requests, rotating through a few term, keyword and date-range combinations, against the very
  SQL `app.storage.image_search` builds for them, run with `sqlite3` on the same file;
- **move**: `POST /v1/sets/{uuid}/images` with `move_from` for 5 000 images, back and forth
  between two sets, followed with `Prefer: wait` until finished, against the statements the
  `set_images_move` operation runs, run with `sqlite3` on a copy of the database.

Goals: the list's p50 ≤ 30 ms and ≤ 2× the raw SQL's p50; the move ≤ 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import httpx

from app.accounts.tokens import create_token
from app.schemas.base import convert_query
from app.schemas.images import ImageListQuery
from app.storage import image_search
from app.storage.database import PRAGMAS, READER_PRAGMAS, Database
from app.storage.image_search import ImageFilters
from app.storage.migrations import available_migrations, migrate
from app.storage.queries import QUERIES
from app.storage.sets_store import SNAPSHOTS_KEPT
from app.timestamps import format_time, now_text, parse_time

HOST = "127.0.0.1"
LIST_P50_GOAL_MS, LIST_RATIO_GOAL, MOVE_GOAL_S = 30.0, 2.0, 1.0
BENCH_DIR = Path(__file__).resolve().parent
CACHE = BENCH_DIR / ".cache" / "library"
RESULTS = BENCH_DIR / "results" / "library.json"
DATABASE_NAME = "darkroom.sqlite3"
TERMINAL = {"succeeded", "failed", "canceled"}

# --- the library ----------------------------------------------------------------------------

# Bump when the generated library changes, so that a stale cache is not reused.
_GENERATION = 1

# Title and description words, most common first: drawn with Zipf-like weights, so that a few
# terms are in a large share of the library and most are rare, as in real captions.
_WORDS_TEXT = """
the a of and in at on with by from light morning evening old new small large red blue green
white black golden dark bright quiet street harbour city river lake mountain forest beach sea
sky cloud sunset sunrise night winter summer spring autumn rain snow fog mist storm wind tree
trees field road bridge tower church market house window door wall garden park square station
train boat ship ferry fishing fisherman woman man child children family dog cat horse bird birds
portrait landscape detail view panorama reflection shadow shadows silhouette crowd festival
concert wedding party dinner kitchen cafe restaurant shop workshop studio office factory farm
village town coast cliff cliffs island valley hill hills desert dune dunes canyon glacier waterfall
stream pond meadow vineyard orchard olive lemon orange apple flower flowers rose tulip sunflower
leaf leaves branch roots stone stones rock rocks sand wave waves tide pier lighthouse harbourside
dock crane warehouse alley lane avenue boulevard roof roofs chimney balcony staircase corridor
hall library museum gallery theatre cinema stadium arena school university hospital airport
runway plane car cars bus tram bicycle motorcycle truck tractor lorry taxi traffic signal sign
neon lamp lantern candle fire smoke steam ice frost dew puddle umbrella coat hat scarf boots
market-stall vendor baker butcher fishmonger musician dancer painter sculptor climber runner
swimmer surfer skier sailor soldier priest monk nun student teacher doctor nurse farmer shepherd
sheep cow cows goat goats pig chicken duck swan heron gull gulls crow owl eagle fox deer bear
wolf rabbit squirrel butterfly bee insect spider fish crab shell shells coral reef whale dolphin
seal penguin lion elephant giraffe zebra monkey tiger camel statue fountain monument ruins castle
fortress palace temple mosque cathedral chapel cemetery graveyard tomb cross bell bells clock
"""
_WORDS = _WORDS_TEXT.split()

_KEYWORDS_TEXT = """
Sunset Sunrise Harbour Beach Mountains Forest City Street Portrait Landscape Architecture
Night Winter Summer Autumn Spring Snow Rain Fog Clouds Sea River Lake Bridge Boats Market
Festival Wedding Family Children Dogs Cats Birds Wildlife Flowers Garden Food Travel Black-and-white
Colour Aerial Macro Panorama Reflection Silhouette Crowd Music Dance Sport Cycling Running
Sailing Surfing Skiing Climbing Hiking Camping Cars Trains Planes Industry Farm Village Coast
Island Desert Canyon Glacier Waterfall Castle Church Museum Ruins Statue Fountain Lighthouse
Neon Umbrella Fire Smoke Ice Stars Moon Milky-way Storm Lightning Golden-hour Blue-hour Minimal
Abstract Texture Pattern Symmetry Shadows Light Motion Long-exposure Documentary Street-food
"""
_KEYWORDS = _KEYWORDS_TEXT.split()

# Namespaced keywords: (namespace, values).
_NAMESPACES = {
    "place": ["Lisbon", "Porto", "Marseille", "Naples", "Genoa", "Bergen", "Oslo", "Galway", "Cork",
              "Brest", "Hamburg", "Gdansk", "Split"],
    "person": ["Ana", "Bruno", "Clara", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
               "Karin", "Luca", "Mina", "Nils", "Olga"],
    "project": ["Coastlines", "Markets", "Night-trains", "Harbours-at-dawn", "Winter-light",
                "Family-archive"],
}  # fmt: skip
_CITIES = [
    ("Lisbon", "Portugal"), ("Porto", "Portugal"), ("Marseille", "France"), ("Brest", "France"),
    ("Naples", "Italy"), ("Genoa", "Italy"), ("Bergen", "Norway"), ("Oslo", "Norway"),
    ("Galway", "Ireland"), ("Cork", "Ireland"), ("Hamburg", "Germany"), ("Gdansk", "Poland"),
]  # fmt: skip
_CAMERAS = ("IMG_{:04d}.JPG", "DSC{:05d}.jpg", "P{:07d}.JPG", "_MG_{:04d}.CR2.jpg")

# When the images were added (created_at) and when the photos were taken (creation_date).
_ADDED_FROM, _ADDED_DAYS = datetime(2019, 1, 1, tzinfo=UTC), 6 * 365
_TAKEN_FROM, _TAKEN_DAYS = datetime(2004, 1, 1, tzinfo=UTC), 21 * 365


_SYLLABLES = ["ka", "lo", "mer", "tin", "sa", "ve", "ri", "don", "bel", "ar", "ost", "un", "fa", "ge", "hal",
              "ni", "por", "qui", "ru", "sel", "tor", "vi", "wen", "za"]  # fmt: skip


def _vocabulary() -> list[str]:
    """The words above, then a long tail of rarer made-up ones (names, places, jargon): real
    captions draw on thousands of words, so that most terms are in few images."""
    rng = random.Random(0)
    tail: dict[str, None] = {}
    while len(tail) < 6000:
        tail["".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4)))] = None
    return _WORDS + [word for word in tail if word not in _WORDS]


def _zipf_weights(count: int, offset: int = 1) -> list[float]:
    """Zipf-like: the word of rank r is drawn in proportion to 1 / (r + offset). Cumulative, as
    `random.choices` takes them (given plain weights, it would add them up on every call)."""
    return list(accumulate(1 / (rank + offset) for rank in range(count)))


@dataclass(frozen=True, slots=True)
class LibraryShape:
    images: int
    batch: int = 10_000


def _image_rows(
    rng: random.Random, first_id: int, count: int, account_id: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """`count` image rows from `first_id` on, and their keyword rows."""
    words = _vocabulary()
    word_weights = _zipf_weights(len(words))
    # Flatter: the most common keyword is on about one image in six, a median one on one in twenty.
    keyword_weights = _zipf_weights(len(_KEYWORDS), offset=20)
    images, keywords = [], []
    for image_id in range(first_id, first_id + count):
        added = _ADDED_FROM + timedelta(seconds=rng.uniform(0, _ADDED_DAYS * 86400))
        taken = _TAKEN_FROM + timedelta(seconds=rng.uniform(0, _TAKEN_DAYS * 86400))
        # Creation dates are stored as dates or as timestamps, as the API accepts both.
        creation_date = taken.date().isoformat() if rng.random() < 0.3 else format_time(taken)
        title = " ".join(rng.choices(words, cum_weights=word_weights, k=rng.randint(2, 7))).capitalize()
        description = " ".join(rng.choices(words, cum_weights=word_weights, k=rng.randint(8, 40))) + "."
        city, country = rng.choice(_CITIES) if rng.random() < 0.6 else (None, None)
        rating = rng.choice((None, 0, 1, 2, 3, 3, 4, 4, 5))
        filename = rng.choice(_CAMERAS).format(rng.randrange(10_000))
        moment = format_time(added)
        images.append(
            (image_id, str(uuid.uuid4()), account_id, title, description, creation_date, rating,
             city, country, filename, 4000, 3000, "jpeg", moment, moment)
        )  # fmt: skip
        plain = rng.choices(_KEYWORDS, cum_weights=keyword_weights, k=rng.randint(2, 10))
        chosen: set[tuple[str | None, str]] = {(None, value) for value in plain}
        for namespace, values in _NAMESPACES.items():
            if rng.random() < 0.4:
                chosen.add((namespace, rng.choice(values)))
        for position, (space, value) in enumerate(sorted(chosen, key=str)):
            keywords.append((image_id, space or "", value, value.casefold(), position))
    return images, keywords


_INSERT_IMAGE = (
    "INSERT INTO images (image_id, public_uuid, account_id, title, description, creation_date,"
    " rating, city, country, filename, width, height, format, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_KEYWORD = QUERIES["insert_keyword"]


async def _prepare_schema(path: Path) -> tuple[int, str]:
    """Migrations and the account with its token, through the application's own code."""
    db = Database(path)
    await db.open()
    try:
        await migrate(db)
        created = await create_token(db, account="default", name="bench")
        row = await db.fetch_one("SELECT account_id FROM accounts WHERE name = 'default'")
        if row is None:
            raise RuntimeError("the account was not created")
        return int(row["account_id"]), created.token
    finally:
        await db.close()


# The trigger that refreshes an image's FTS keywords from all its keyword rows, on each insert.
_KEYWORDS_TRIGGER = "image_keywords_fts_insert"


def _insert_batch(
    connection: sqlite3.Connection, images: list[tuple[Any, ...]], keywords: list[tuple[Any, ...]]
) -> None:
    """One transaction. The keywords trigger rebuilds the image's whole FTS keywords column each
    time it fires, so it is left out for all but each image's last keyword row: the schema's own
    trigger then writes the final column once per image, not once per keyword."""
    (trigger_sql,) = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (_KEYWORDS_TRIGGER,)
    ).fetchone()
    last_of_image = {row[0]: index for index, row in enumerate(keywords)}
    last = set(last_of_image.values())
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.executemany(_INSERT_IMAGE, images)
        connection.execute(f"DROP TRIGGER {_KEYWORDS_TRIGGER}")
        connection.executemany(_INSERT_KEYWORD, (row for i, row in enumerate(keywords) if i not in last))
        connection.execute(trigger_sql)
        connection.executemany(_INSERT_KEYWORD, (keywords[i] for i in sorted(last)))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def build_library(path: Path, shape: LibraryShape) -> str:
    """A fresh database at `path` holding the library; the token."""
    account_id, token = asyncio.run(_prepare_schema(path))
    rng = random.Random(1)
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = OFF")
        for first in range(1, shape.images + 1, shape.batch):
            count = min(shape.batch, shape.images + 1 - first)
            _insert_batch(connection, *_image_rows(rng, first, count, account_id))
            print(f"  {first + count - 1} images", flush=True)
        (unindexed,) = connection.execute("SELECT count(*) FROM images_fts WHERE keywords = ''").fetchone()
        if unindexed:
            raise RuntimeError(f"{unindexed} images have no keywords in the FTS index")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return token


def schema_version() -> int:
    return len(available_migrations())


def library_key(shape: LibraryShape, version: int | None = None) -> str:
    return f"g{_GENERATION}-s{schema_version() if version is None else version}-{shape.images}"


def older_cache(directory: Path, key_of: Callable[[int], str]) -> Path | None:
    """The cached folder of the newest earlier schema version, if any."""
    for version in range(schema_version() - 1, 0, -1):
        found = directory / key_of(version)
        if (found / DATABASE_NAME).exists():
            return found
    return None


def migrate_copy(source: Path, target: Path) -> None:
    """`target` (a new folder) holds a copy of the cached folder `source`, migrated to this
    schema: minutes less than building again, and the same library."""
    shutil.copytree(source, target)
    print(f"migrating a copy of {source} (schema {schema_version()})", flush=True)
    started = time.perf_counter()
    asyncio.run(_migrate(target / DATABASE_NAME))
    print(f"migrated in {time.perf_counter() - started:.0f} s", flush=True)


async def _migrate(path: Path) -> None:
    db = Database(path)
    await db.open()
    try:
        await migrate(db)
        await db.execute_script("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")
    finally:
        await db.close()


def cached_library(shape: LibraryShape) -> tuple[Path, str]:
    """The library's database file and token, built on the first run and kept in the cache.

    The key holds the schema version: a migration added since (a new index, say) is then
    in the cached file instead of being applied by every run's server at start-up; it is
    applied once to a copy of the cache of the earlier version, when there is one."""
    key = library_key(shape)
    directory = CACHE / key
    path, token_path = directory / DATABASE_NAME, directory / "token"
    if not token_path.exists():
        shutil.rmtree(directory, ignore_errors=True)
        partial = CACHE / f"{key}.part"
        shutil.rmtree(partial, ignore_errors=True)
        older = older_cache(CACHE, lambda version: library_key(shape, version))
        if older is not None and (older / "token").exists():
            migrate_copy(older, partial)
        else:
            partial.mkdir(parents=True)
            print(f"building the library ({shape.images} images) in {directory}", flush=True)
            started = time.perf_counter()
            token = build_library(partial / DATABASE_NAME, shape)
            (partial / "token").write_text(token)
            print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        partial.rename(directory)
    return path, token_path.read_text()


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(data_dir: Path, *, workers: int | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Darkroom on a free loopback port over `data_dir` (made if missing): the process and its
    base URL. Its log is `<data_dir>.log` beside the directory."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "app", "serve", "--data-dir", str(data_dir)]
    command += ["--host", HOST, "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}.log"
    # The default settings, whatever this shell has set.
    env = {name: value for name, value in os.environ.items() if not name.startswith("DARKROOM_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, cwd=BENCH_DIR.parent, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}: {log_path.read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start in 60 s: {log_path.read_text()}")
            time.sleep(0.1)
        yield process, base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of proc(5); the split starts at field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The most memory a process has held so far (VmHWM, Linux), in MB: with the pages of
    files it maps, which are the system's file cache, shared (see anonymous_rss_mb)."""
    return _status_mb(pid, "VmHWM")


def anonymous_rss_mb(pid: int) -> float:
    """The memory a process holds now that is its own (RssAnon, Linux), in MB."""
    return _status_mb(pid, "RssAnon")


def _status_mb(pid: int, name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {name} for process {pid}")


def connect(path: Path, *, reader: bool = False) -> sqlite3.Connection:
    """A connection set up as the server sets up its own (app.storage.database): `reader`, as
    its readers (read-only, the file memory-mapped), for the hand-written SQL of a search."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in (*PRAGMAS, *(READER_PRAGMAS if reader else ())):
        connection.execute(pragma)
    return connection


# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListCase:
    query: str
    keyword: str
    creation_date_from: str
    creation_date_to: str

    @property
    def params(self) -> dict[str, str]:
        return {
            "query": self.query,
            "keyword": self.keyword,
            "creation_date_from": self.creation_date_from,
            "creation_date_to": self.creation_date_to,
        }

    @property
    def page_size(self) -> int:
        return convert_query(self.params, ImageListQuery).limit

    def statement(self, account_id: int) -> tuple[str, tuple[Any, ...]]:
        """The SQL the server runs for this request, from the server's own code."""
        query = convert_query(self.params, ImageListQuery)
        return image_search.statement(account_id, query.filters(), limit=query.limit + 1, offset=query.offset)

    def counts(self, connection: sqlite3.Connection, account_id: int) -> tuple[int, int]:
        """How many images the text query selects alone, and with the other filters."""
        filters = convert_query(self.params, ImageListQuery).filters()
        found = []
        for chosen in (ImageFilters(text=filters.text), filters):
            sql, args = image_search.statement(account_id, chosen, limit=-1, offset=0)
            found.append(connection.execute(f"SELECT count(*) FROM ({sql})", args).fetchone()[0])
        return found[0], found[1]


# Terms from common to rare, plain keywords and namespaced ones, ranges from a year to twenty.
CASES = [
    ListCase("harbour", "Boats", "2010-01-01", "2016-12-31"),
    ListCase("fishing boat", "Sea", "2008-01-01", "2020-12-31"),
    ListCase("+old street", "place:Lisbon", "2012-06-01", "2018-06-30"),
    ListCase("lighthouse", "Coast", "2015-01-01", "2015-12-31"),
    ListCase("winter light", "Snow", "2004-01-01", "2024-12-31"),
    ListCase("market*", "Travel", "2006-01-01", "2012-12-31"),
    ListCase('"golden light"', "Golden-hour", "2010-01-01", "2020-12-31"),
    ListCase("ferry -night", "Harbour", "2005-01-01", "2019-12-31"),
]


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@dataclass
class Timings:
    """Per request or statement: wall seconds, and the CPU seconds where they are known."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


@dataclass
class ListResults:
    http: Timings
    raw: Timings
    server_cpu: float  # seconds of the server process over all the requests
    by_case: dict[ListCase, tuple[Timings, Timings]]
    matches: dict[ListCase, tuple[int, int]]  # images the text selects, and all the filters


def _raw_page(
    connection: sqlite3.Connection, sql: str, args: Sequence[Any]
) -> tuple[list[str], float, float]:
    """Run the statement to its last row; the page's uuids, wall and CPU seconds."""
    started, cpu = time.perf_counter(), time.thread_time()
    rows = connection.execute(sql, args).fetchall()
    wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
    return [row["public_uuid"] for row in rows], wall, cpu


def measure_list(
    client: httpx.Client, server_pid: int, connection: sqlite3.Connection, account_id: int, requests: int
) -> ListResults:
    """`requests` HTTP requests, the cases in turn, each followed by its statement run raw.
    Every page must be the same both ways."""
    statements = {case: case.statement(account_id) for case in CASES}
    by_case = {case: (Timings(), Timings()) for case in CASES}
    for case in CASES:  # warm both up: pages in the cache, statements prepared
        for _ in range(3):
            client.get("/v1/images", params=case.params).raise_for_status()
            _raw_page(connection, *statements[case])
    http, raw = Timings(), Timings()
    server_cpu = cpu_seconds(server_pid)
    for number in range(requests):
        case = CASES[number % len(CASES)]
        started = time.perf_counter()
        answer = client.get("/v1/images", params=case.params)
        seconds = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"GET /v1/images answered {answer.status_code}: {answer.text}")
        uuids, raw_seconds, raw_cpu = _raw_page(connection, *statements[case])
        served = [image["public_uuid"] for image in answer.json()]
        if not served or served != uuids[: case.page_size]:
            raise RuntimeError(f"the server's page differs from the raw SQL's for {case}")
        for timings in (http, by_case[case][0]):
            timings.wall.append(seconds)
        for timings in (raw, by_case[case][1]):
            timings.wall.append(raw_seconds)
            timings.cpu.append(raw_cpu)
    server_cpu = cpu_seconds(server_pid) - server_cpu
    matches = {case: case.counts(connection, account_id) for case in CASES}
    return ListResults(http, raw, server_cpu, by_case, matches)


# --- the move -------------------------------------------------------------------------------

MOVED = 5000


@dataclass(frozen=True, slots=True)
class Written:
    operation: dict[str, Any]  # as it finished
    accepted: float  # seconds until the 202
    wall: float  # seconds until the finished operation was seen


def write(client: httpx.Client, method: str, url: str, body: dict[str, Any]) -> Written:
    """An accepted write, followed with `Prefer: wait` to its end."""
    started = time.perf_counter()
    answer = client.request(method, url, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    accepted = time.perf_counter() - started
    if answer.status_code != 202:
        raise RuntimeError(f"{method} {url} answered {answer.status_code}: {answer.text}")
    operation: dict[str, Any] = answer.json()
    while operation["status"] not in TERMINAL:
        polled = client.get(f"/v1/operations/{operation['uuid']}", headers={"Prefer": "wait=30"})
        polled.raise_for_status()
        operation = polled.json()
    wall = time.perf_counter() - started
    if operation["status"] != "succeeded":
        raise RuntimeError(f"{method} {url}: the operation {operation['status']}: {operation.get('error')}")
    return Written(operation, accepted, wall)


def seconds_between(operation: dict[str, Any], start: str, end: str) -> float:
    """From one of the operation's times to another (they are stored to the millisecond)."""
    return (parse_time(operation[end]) - parse_time(operation[start])).total_seconds()


class Steps:
    """Wall seconds of the named steps of one run, each from the end of the previous one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._last
        self._last = now


def raw_move(
    connection: sqlite3.Connection, account_id: int, to_id: int, from_id: int, ids: str
) -> dict[str, float]:
    """The statements of the `set_images_move` operation, in the order it runs them, in one
    transaction (app/operations/types/set_membership.py); the seconds of each step."""
    steps = Steps()
    connection.execute("BEGIN IMMEDIATE")
    for set_id in (to_id, from_id):
        connection.execute(QUERIES["set_by_id"], (set_id,)).fetchall()
    if connection.execute(QUERIES["missing_image_indexes"], (ids, account_id)).fetchall():
        raise RuntimeError("images are missing")
    steps.done("checks")
    for set_id in (to_id, from_id):
        snapshot = {"public_uuid": str(uuid.uuid4()), "set_id": set_id, "operation_type": "set_images_move"}
        cursor = connection.execute(QUERIES["insert_snapshot"], {**snapshot, "created_at": now_text()})
        connection.execute(QUERIES["copy_members_to_snapshot"], (cursor.lastrowid, set_id))
        connection.execute(QUERIES["prune_snapshots"], (set_id, SNAPSHOTS_KEPT))
    steps.done("snapshots")
    (first,) = connection.execute(QUERIES["next_member_position"], (to_id,)).fetchone()
    added = connection.execute(
        QUERIES["add_members"], {"set_id": to_id, "first": first, "image_ids": ids, "source": from_id}
    ).rowcount
    steps.done("add")
    removed = connection.execute(QUERIES["remove_members"], (from_id, ids)).rowcount
    steps.done("remove")
    for set_id in (to_id, from_id):
        connection.execute(QUERIES["touch_set"], (now_text(), set_id))
    connection.execute("COMMIT")
    steps.done("commit")
    if added != removed:
        raise RuntimeError(f"the raw move added {added} and removed {removed}")
    return steps.seconds


@dataclass
class MoveResults:
    add_wall: float  # the first 5 000 images into the first set, through the API
    accepted: list[float] = field(default_factory=list)  # POST to its 202
    queued: list[float] = field(default_factory=list)  # started_at − created_at
    operation: list[float] = field(default_factory=list)  # finished_at − started_at
    wall: list[float] = field(default_factory=list)  # POST to the finished operation seen
    raw_steps: list[dict[str, float]] = field(default_factory=list)
    # CPU seconds: the server's from the POST to the finished operation seen, the raw statements'
    server_cpu: list[float] = field(default_factory=list)
    raw_cpu: list[float] = field(default_factory=list)

    @property
    def raw(self) -> list[float]:
        return [sum(steps.values()) for steps in self.raw_steps]


def measure_move(
    client: httpx.Client, server_pid: int, live: Path, copy: Path, account_id: int, rounds: int
) -> MoveResults:
    """Two sets; 5 000 images into the first; then moved to the other and back, `rounds` times,
    each move through the API and then raw on a copy of the database made before the first."""
    with closing(connect(live)) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            "SELECT image_id, public_uuid FROM images WHERE account_id = ?", (account_id,)
        )
        chosen = random.Random(5).sample(list(rows), MOVED)
    uuids = [row["public_uuid"] for row in chosen]
    ids = json.dumps([row["image_id"] for row in chosen])
    sets = [
        write(client, "POST", "/v1/sets", {"name": name}).operation["result"]["set_public_uuid"]
        for name in ("Bench A", "Bench B")
    ]
    add_wall = write(client, "POST", f"/v1/sets/{sets[0]}/images", {"image_public_uuids": uuids}).wall
    with closing(sqlite3.connect(live)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    results = MoveResults(add_wall)
    with closing(connect(copy)) as connection:
        set_ids = [
            connection.execute("SELECT set_id FROM sets WHERE public_uuid = ?", (public_uuid,)).fetchone()[0]
            for public_uuid in sets
        ]
        for number in range(rounds):
            to, source_index = (1, 0) if number % 2 == 0 else (0, 1)
            body = {"image_public_uuids": uuids, "move_from": sets[source_index]}
            server_cpu = cpu_seconds(server_pid)
            written = write(client, "POST", f"/v1/sets/{sets[to]}/images", body)
            results.server_cpu.append(cpu_seconds(server_pid) - server_cpu)
            operation = written.operation
            if operation["result"]["removed"] != MOVED:
                raise RuntimeError(f"the move removed {operation['result']['removed']} images")
            results.accepted.append(written.accepted)
            results.queued.append(seconds_between(operation, "created_at", "started_at"))
            results.operation.append(seconds_between(operation, "started_at", "finished_at"))
            results.wall.append(written.wall)
            raw_cpu = time.thread_time()
            results.raw_steps.append(
                raw_move(connection, account_id, set_ids[to], set_ids[source_index], ids)
            )
            results.raw_cpu.append(time.thread_time() - raw_cpu)
            print(
                f"  move {number + 1}: operation {results.operation[-1] * 1000:.0f} ms,"
                f" wall {written.wall * 1000:.0f} ms, raw SQL {results.raw[-1] * 1000:.0f} ms",
                flush=True,
            )
    return results


# --- the report -----------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def summary(library: dict[str, Any], listed: ListResults, moved: MoveResults) -> dict[str, Any]:
    requests = len(listed.http.wall)
    http_p50, raw_p50 = percentile(listed.http.wall, 0.5), percentile(listed.raw.wall, 0.5)
    return {
        **library,
        "list": {
            "requests": requests,
            "http_p50_ms": http_p50 * 1000,
            "http_p99_ms": percentile(listed.http.wall, 0.99) * 1000,
            "raw_p50_ms": raw_p50 * 1000,
            "raw_p99_ms": percentile(listed.raw.wall, 0.99) * 1000,
            "ratio_p50": http_p50 / raw_p50,
            # CPU per request: the server process's (everything it did for the request) and the
            # raw statement's; steadier than wall times on a shared machine.
            "server_cpu_mean_ms": listed.server_cpu / requests * 1000,
            "raw_cpu_mean_ms": statistics.fmean(listed.raw.cpu) * 1000,
            "raw_cpu_p50_ms": percentile(listed.raw.cpu, 0.5) * 1000,
            "cases": [
                {
                    **case.params,
                    "text_matches": listed.matches[case][0],
                    "matches": listed.matches[case][1],
                    "http_p50_ms": percentile(http.wall, 0.5) * 1000,
                    "raw_p50_ms": percentile(raw.wall, 0.5) * 1000,
                    "raw_cpu_p50_ms": percentile(raw.cpu, 0.5) * 1000,
                }
                for case, (http, raw) in listed.by_case.items()
            ],
        },
        "move": {
            "images": MOVED,
            "add_wall_s": moved.add_wall,
            **{
                f"{name}_s": {"median": statistics.median(values), "runs": values}
                for name, values in (
                    ("accepted", moved.accepted),
                    ("queued", moved.queued),
                    ("operation", moved.operation),
                    ("wall", moved.wall),
                    ("raw", moved.raw),
                    ("server_cpu", moved.server_cpu),
                    ("raw_cpu", moved.raw_cpu),
                )
            },
            "raw_steps_median_s": {
                name: statistics.median(steps[name] for steps in moved.raw_steps)
                for name in moved.raw_steps[0]
            },
        },
    }


def report(results: dict[str, Any]) -> None:
    listed, moved = results["list"], results["move"]
    print()
    print(
        f"Library: {results['images']} images, {results['keywords']} keyword rows,"
        f" {results['database_mb']:.0f} MB; {results['cpus']} CPUs, load average"
        f" {results['load_before']:.2f} before the run"
    )
    print()
    print(
        f"GET /v1/images with query + keyword + creation date range: {listed['requests']} sequential"
        f" requests over {len(listed['cases'])} cases, each followed by its SQL run raw"
    )
    print(f"{'':10}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms, mean':>14}")
    for name, key, cpu in (("HTTP", "http", "server_cpu_mean_ms"), ("raw SQL", "raw", "raw_cpu_mean_ms")):
        print(f"{name:10}{listed[f'{key}_p50_ms']:9.1f}{listed[f'{key}_p99_ms']:9.1f}{listed[cpu]:14.1f}")
    met_p50 = listed["http_p50_ms"] <= LIST_P50_GOAL_MS
    met_ratio = listed["ratio_p50"] <= LIST_RATIO_GOAL
    print(f"HTTP p50 {listed['http_p50_ms']:.1f} ms (goal ≤ {LIST_P50_GOAL_MS:g} ms: {_verdict(met_p50)})")
    ratio = listed["ratio_p50"]
    print(f"HTTP / raw SQL at p50: {ratio:.2f} (goal ≤ {LIST_RATIO_GOAL:g}: {_verdict(met_ratio)})")
    cpu_ratio = listed["server_cpu_mean_ms"] / listed["raw_cpu_mean_ms"]
    print(f"CPU per request, server / raw SQL: {cpu_ratio:.2f}")
    print(f"the SQL's CPU time at p50: {listed['raw_cpu_p50_ms']:.1f} ms")
    print()
    head = f"{'query':>16} {'keyword':>14} {'creation dates':>23} {'text':>6} {'all':>5}"
    print(f"{head}  p50 ms: HTTP, raw, raw CPU")
    for case in listed["cases"]:
        dates = f"{case['creation_date_from']}..{case['creation_date_to']}"
        print(
            f"{case['query']:>16} {case['keyword']:>14} {dates:>23} {case['text_matches']:6d}"
            f" {case['matches']:5d}  {case['http_p50_ms']:6.1f} {case['raw_p50_ms']:6.1f}"
            f" {case['raw_cpu_p50_ms']:6.1f}"
        )
    print()
    runs = len(moved["wall_s"]["runs"])
    print(f"Move of {moved['images']} images between two sets, median of {runs} (ms):")
    for name, label in (
        ("accepted", "POST answered 202"),
        ("queued", "queued (started_at − created_at)"),
        ("operation", "operation (finished_at − started_at)"),
        ("wall", "wall (POST to the finished operation)"),
        ("raw", "raw SQL, the operation's statements"),
        ("server_cpu", "CPU of the server, POST to finished"),
        ("raw_cpu", "CPU of the raw SQL"),
    ):
        print(f"  {label:40}{moved[f'{name}_s']['median'] * 1000:6.0f}")
    steps = ", ".join(f"{name} {seconds * 1000:.0f}" for name, seconds in moved["raw_steps_median_s"].items())
    print(f"  raw SQL by step: {steps}")
    met = moved["wall_s"]["median"] <= MOVE_GOAL_S
    print(f"  goal ≤ {MOVE_GOAL_S:g} s wall: {_verdict(met)}")
    print(f"  (the first add of the {moved['images']}, wall: {moved['add_wall_s'] * 1000:.0f} ms)")


# --- main -----------------------------------------------------------------------------------


def library_facts(path: Path, account_id: int) -> dict[str, Any]:
    with closing(sqlite3.connect(path)) as connection:
        (images,) = connection.execute(
            "SELECT count(*) FROM images WHERE account_id = ?", (account_id,)
        ).fetchone()
        (keywords,) = connection.execute("SELECT count(*) FROM image_keywords").fetchone()
    return {
        "images": images,
        "keywords": keywords,
        "database_mb": path.stat().st_size / 1e6,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000, help="images in the library")
    parser.add_argument("--requests", type=int, default=400, help="timed list requests")
    parser.add_argument("--moves", type=int, default=6, help="timed moves, back and forth")
    options = parser.parse_args()
    if options.images < MOVED or options.requests < len(CASES) or options.moves < 1:
        parser.error(f"at least {MOVED} images, {len(CASES)} requests and one move")

    cached, token = cached_library(LibraryShape(options.images))
    with tempfile.TemporaryDirectory(prefix="darkroom-library-") as temporary:
        work = Path(temporary)
        data_dir = work / "data"
        data_dir.mkdir()
        live = data_dir / DATABASE_NAME
        shutil.copyfile(cached, live)
        with closing(sqlite3.connect(live)) as connection:
            (account_id,) = connection.execute(
                "SELECT account_id FROM accounts WHERE name = 'default'"
            ).fetchone()
        library = library_facts(live, account_id)
        headers = {"Authorization": f"Bearer {token}"}
        with (
            server(data_dir) as (process, base),
            httpx.Client(base_url=base, headers=headers, timeout=60) as client,
        ):
            with closing(connect(live, reader=True)) as connection:
                connection.row_factory = sqlite3.Row
                print(f"list: {options.requests} requests", flush=True)
                listed = measure_list(client, process.pid, connection, account_id, options.requests)
            print(f"move: {options.moves} moves of {MOVED} images", flush=True)
            moved = measure_move(client, process.pid, live, work / "copy.sqlite3", account_id, options.moves)
    results = summary(library, listed, moved)
    report(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
