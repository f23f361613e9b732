"""The load test: many clients mixing reads, searches, writes and polls for a fixed time while
uploads of camera-sized photos keep the processor busy, with no 5xx allowed.

Darkroom runs as a real server (`python -m app serve` on a loopback port, a fresh data dir, one
processor worker per core). A few photos are uploaded first, so that there are images to read,
search and change. Then, for `--duration` seconds:

- **uploads**: this process keeps `--uploads` photos in the server at once through the ticket
  flow (each one new bytes), so that every worker is busy for the whole run;
- **clients**: `--clients` keep-alive connections in a separate process (asyncio on uvloop
  with a minimal HTTP/1.1 client: httpx would cost more CPU than the server it loads), each
  sending one request after another, drawn at random: a poll with `If-None-Match` of a live
  operation (the running uploads, found by listing them) or of one of its own writes, an
  image, a search (`GET /imgs` with a query formula), a page of `GET /v1/images`, a title
  change (`PATCH /v1/images/{uuid}`).

The report gives requests, throughput and p50/p99 per route as the clients saw them and as the
server's access log timed them (the difference is time spent queued in a busy process), the
statuses, the CPU share of the server's own process (its event loop) and of the client process
(near 100 %, the client is the bottleneck and the latencies partly its own), and the poll p99
against the goal of 50 ms. Any 5xx or socket error makes the exit status 1. The photos come
from bench/ingest.py's cache (bench/.cache/ingest/, made on its first run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from ingest import CPUS, TERMINAL, photos, server, tree_cpu_seconds, with_comment
from library import HOST, cpu_seconds

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "load.json"
POLL_GOAL_MS = 50.0
POLL = "GET /v1/operations/{uuid}"
# What each client sends, with its share of the requests.
MIX = {
    POLL: 45,
    "GET /v1/images/{uuid}": 20,
    "GET /imgs": 15,
    "GET /v1/images": 8,
    "PATCH /v1/images/{uuid}": 12,
}
SEARCHES = ["", "o=landscape", "w>3000", "t~photo", "o=portrait && w<4000", "d>=2020 || t~bench"]
# Access-log paths to the routes they belong to, for the server's own timings.
_TEMPLATES = [
    (re.compile(r"^/v1/operations/[^/]+$"), "/v1/operations/{uuid}"),
    (re.compile(r"^/v1/images/[^/]+$"), "/v1/images/{uuid}"),
]


# --- the client process -------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; answers with a Content-Length or chunked."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.fixed = f"Host: {host}:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        length = f"Content-Length: {len(body)}\r\n" if body else ""
        self.writer.write(f"{method} {target} HTTP/1.1\r\n{self.fixed}{extra}{length}\r\n".encode() + body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0][9:12])
        answer = {
            name.lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:] if line)
        }
        if "content-length" in answer:
            content = await self.reader.readexactly(int(answer["content-length"]))
        elif answer.get("transfer-encoding") == "chunked":
            content = await self._chunks()
        else:
            content = b""
        return status, answer, content

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size + 2))
        await self.reader.readuntil(b"\r\n")
        return b"".join(part[:-2] for part in parts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    socket_errors: Counter[str] = field(default_factory=Counter)

    def note(self, route: str, status: int, seconds: float) -> None:
        self.latencies[route].append(seconds * 1000)
        self.statuses[route][status] += 1


class Clients:
    """The mixed load of one process: `clients` connections until `deadline`."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.images: list[str] = job["images"]
        self.tally = Tally()
        self.live: list[str] = []  # operations queued or running, as last listed
        self.recent: list[str] = []  # this process's own writes
        self.etags: dict[str, str] = {}
        self.rng = random.Random(job["seed"])
        self.routes = list(MIX)
        self.weights = list(MIX.values())

    def connect(self) -> Connection:
        return Connection(HOST, self.job["port"], {"Authorization": f"Bearer {self.job['token']}"})

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.job["seconds"]
        tasks = [self.client(deadline) for _ in range(self.job["clients"])]
        await asyncio.gather(self.follow_live(deadline), *tasks)

    async def follow_live(self, deadline: float) -> None:
        """What a dashboard does: lists the unfinished operations every half second."""
        connection = self.connect()
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            found = []
            for status in ("running", "queued"):
                sent = time.perf_counter()
                code, _, body = await connection.request("GET", f"/v1/operations?status={status}&limit=50")
                self.tally.note("GET /v1/operations", code, time.perf_counter() - sent)
                if code == 200:
                    found += [operation["uuid"] for operation in json.loads(body)]
            self.live = found
            await asyncio.sleep(0.5)
        connection.close()

    async def client(self, deadline: float) -> None:
        connection = self.connect()
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            route = self.rng.choices(self.routes, self.weights)[0]
            try:
                await self.one(connection, route)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                self.tally.socket_errors[f"{route}: {type(error).__name__}"] += 1
                connection.close()
                connection = self.connect()
        connection.close()

    async def one(self, connection: Connection, route: str) -> None:
        image = self.rng.choice(self.images)
        headers: dict[str, str] = {}
        body = b""
        if route == POLL:
            pool = self.live if self.live and self.rng.random() < 0.7 else self.recent or self.live
            if not pool:
                return
            operation = self.rng.choice(pool)
            method, target = "GET", f"/v1/operations/{operation}"
            if operation in self.etags:
                headers["If-None-Match"] = self.etags[operation]
        elif route == "GET /v1/images/{uuid}":
            method, target = "GET", f"/v1/images/{image}"
        elif route == "GET /imgs":
            q = httpx.QueryParams({"q": self.rng.choice(SEARCHES), "limit": 20})
            method, target = "GET", f"/imgs?{q}"
        elif route == "GET /v1/images":
            method, target = "GET", f"/v1/images?limit=20&offset={self.rng.randrange(len(self.images))}"
        else:
            method, target = "PATCH", f"/v1/images/{image}"
            headers = {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
            body = json.dumps({"title": f"load {self.rng.randrange(10**6)}"}).encode()
        sent = time.perf_counter()
        status, answer, content = await connection.request(method, target, headers, body)
        self.tally.note(route, status, time.perf_counter() - sent)
        if route == POLL:
            self.tally.latencies[f"{POLL} {status}"].append(self.tally.latencies[route][-1])
        if route == POLL and "etag" in answer:
            self.etags[target.rsplit("/", 1)[1]] = answer["etag"]
        elif route.startswith("PATCH") and status == 202:
            self.recent = [*self.recent[-49:], json.loads(content)["uuid"]]


def run_client_job(job: str) -> None:
    import uvloop

    clients = Clients(json.loads(job))
    started, cpu = time.perf_counter(), time.process_time()
    uvloop.run(clients.run())
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    tally = clients.tally
    print(
        json.dumps(
            {
                "latencies": tally.latencies,
                "statuses": {route: dict(counts) for route, counts in tally.statuses.items()},
                "socket_errors": dict(tally.socket_errors),
                "seconds": wall,
                "cpu_share": cpu / wall,
            }
        )
    )


# --- uploads ----------------------------------------------------------------------------------


def upload(client: httpx.Client, name: str, data: bytes) -> dict[str, Any]:
    """Ticket, upload, then polls every quarter second with If-None-Match until the operation
    ends: short polls, not held ones, so that the access log's poll timings are all alike."""
    ticket = client.post(
        "/v1/uploads", json={"filename": name}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    ticket.raise_for_status()
    form = ticket.json()
    sent = client.post(form["upload_url"], data=form["fields"], files={form["file_field"]: (name, data)})
    sent.raise_for_status()
    operation: dict[str, Any] = sent.json()
    etag = None
    while operation["status"] not in TERMINAL:
        time.sleep(0.25)
        headers = {"If-None-Match": etag} if etag else {}
        answer = client.get(f"/v1/operations/{operation['uuid']}", headers=headers)
        if answer.status_code == 200:
            operation, etag = answer.json(), answer.headers["ETag"]
        elif answer.status_code != 304:
            answer.raise_for_status()
    return operation


@dataclass
class Uploads:
    """`window` uploads in flight until told to stop, each photo new bytes."""

    base: str
    token: str
    sources: Sequence[Path]
    window: int
    done: int = 0
    failed: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, stop_after: int | None = None) -> None:
        contents = [source.read_bytes() for source in self.sources]
        headers = {"Authorization": f"Bearer {self.token}"}
        limits = httpx.Limits(max_connections=self.window)
        with (
            httpx.Client(base_url=self.base, headers=headers, timeout=300, limits=limits) as client,
            ThreadPoolExecutor(self.window) as threads,
        ):

            def loop() -> None:
                while not self._stop.is_set():
                    with self._lock:
                        index = self._count
                        self._count += 1
                    if stop_after is not None and index >= stop_after:
                        return
                    data = with_comment(contents[index % len(contents)], f"load {index} {uuid.uuid4()}")
                    try:
                        operation = upload(client, f"load-{index:05d}.jpg", data)
                    except (httpx.HTTPError, RuntimeError) as error:
                        self.failed.append(f"upload {index}: {error}")
                        continue
                    if operation["status"] != "succeeded":
                        self.failed.append(f"upload {index}: {operation['status']} {operation.get('error')}")
                        continue
                    with self._lock:
                        self.done += 1
                        self.images.append(operation["result"]["image_public_uuid"])

            for future in [threads.submit(loop) for _ in range(self.window)]:
                future.result()

    def stop(self) -> None:
        self._stop.set()


# --- the server's side ---------------------------------------------------------------------------


def server_timings(log: Path, since: float, until: float) -> dict[str, list[float]]:
    """Durations from the access log, by route, of the requests that ended in [since, until]
    (wall-clock seconds: the log's `asctime` is local time to the millisecond)."""
    timings: dict[str, list[float]] = defaultdict(list)
    for line in log.read_text(errors="replace").splitlines():
        start = line.find("{")
        if "darkroom.access" not in line or start < 0:
            continue
        stamp = time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S")) + int(line[20:23]) / 1000
        if not since <= stamp <= until:
            continue
        entry = json.loads(line[start:])
        path = entry["path"].split("?", 1)[0]
        template = next((name for pattern, name in _TEMPLATES if pattern.match(path)), path)
        route = f"{entry['method']} {template}"
        timings[route].append(float(entry["duration_ms"]))
        if route == POLL:
            # A 304 comes from memory, a 200 reads the row: their tails tell different stories.
            timings[f"{POLL} {entry['status']}"].append(float(entry["duration_ms"]))
    return timings


# --- the report ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def summarize(client: dict[str, Any], server: dict[str, list[float]], seconds: float) -> dict[str, Any]:
    routes = {}
    for route, latencies in sorted(client["latencies"].items()):
        if route not in client["statuses"]:
            continue  # the polls again, by status (see poll_by_status)
        timed = server.get(route, [])
        routes[route] = {
            "requests": len(latencies),
            "rps": len(latencies) / seconds,
            "p50_ms": percentile(latencies, 0.50),
            "p99_ms": percentile(latencies, 0.99),
            "max_ms": max(latencies),
            "server_p50_ms": percentile(timed, 0.50),
            "server_p99_ms": percentile(timed, 0.99),
            "statuses": client["statuses"][route],
        }
    return routes


def report(results: dict[str, Any]) -> None:
    print()
    print(
        f"Load: {results['clients']} clients for {results['seconds']:.0f} s, {results['uploads']} uploads "
        f"in flight, {CPUS} CPUs, load average {results['load_average_before']:.1f} before"
    )
    print(
        f"{'route':<28}{'requests':>9}{'rps':>8}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        f"{'server p50/p99':>16}  statuses"
    )
    for route, row in results["routes"].items():
        server = f"{_ms(row['server_p50_ms'])}/{_ms(row['server_p99_ms'])}"
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(row["statuses"].items()))
        print(
            f"{route:<28}{row['requests']:>9}{row['rps']:>8.0f}{_ms(row['p50_ms']):>8}"
            f"{_ms(row['p99_ms']):>8}{_ms(row['max_ms']):>8}{server:>16}  {statuses}"
        )
    total = sum(row["requests"] for row in results["routes"].values())
    print(f"total {total} requests, {total / results['seconds']:.0f}/s")
    for route, row in results["uploads_in_the_server"].items():
        print(
            f"{route:<28}{row['requests']:>9}{'':>32}"
            f"{_ms(row['p50_ms']) + '/' + _ms(row['p99_ms']):>16}  (the uploader's)"
        )
    busy = (results["server_tree_cpu_share"] - results["server_cpu_share"]) / CPUS
    print(
        f"photos processed during the run: {results['photos_processed']} "
        f"({results['photos_processed'] / results['seconds']:.2f}/s), processor workers busy {busy:.0%} "
        f"of their {CPUS} cores; upload failures: {len(results['upload_failures'])}"
    )
    print(
        f"CPU share: server process (event loop and its threads) {results['server_cpu_share']:.0%}, "
        f"server tree {results['server_tree_cpu_share']:.0%} of one core; "
        f"client process {results['client_cpu_share']:.0%}"
        + (
            " (saturated: latencies include the client's own queueing)"
            if results["client_cpu_share"] > 0.9
            else ""
        )
    )
    poll = results["routes"].get(POLL, {})
    for status, row in results["poll_by_status"].items():
        print(
            f"  {row['requests']} polls answered {status}: p50 {_ms(row['p50_ms'])},"
            f" p99 {_ms(row['p99_ms'])} ms; in the server p50 {_ms(row['server_p50_ms'])},"
            f" p99 {_ms(row['server_p99_ms'])} ms"
        )
    verdict = "met" if (poll.get("p99_ms") or 1e9) <= POLL_GOAL_MS else "MISSED"
    print(
        f"poll p99 under processing load: {_ms(poll.get('p99_ms'))} ms as the clients saw it, "
        f"{_ms(poll.get('server_p99_ms'))} ms in the server (goal ≤ {POLL_GOAL_MS:.0f} ms: {verdict})"
    )
    if results["errors"]:
        print("ERRORS: " + "; ".join(results["errors"]))


def errors_of(results: dict[str, Any], client: dict[str, Any]) -> list[str]:
    found = [
        f"{route}: {count} × {status}"
        for route, row in results["routes"].items()
        for status, count in row["statuses"].items()
        if int(status) >= 500
    ]
    found += [f"socket error {name}: {count}" for name, count in client["socket_errors"].items()]
    return found + results["upload_failures"][:5]


# --- main --------------------------------------------------------------------------------------


def background(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@dataclass
class Measured:
    """What one timed load gave: the client process's tally, the access log's timings, the
    photos processed meanwhile and the server's CPU time (of its own process, of its tree)."""

    client: dict[str, Any]
    timed: dict[str, list[float]]
    photos_processed: int
    upload_failures: list[str]
    wall_seconds: float
    server_cpu: float
    tree_cpu: float


def measure(args: argparse.Namespace, base: str, token: str, pid: int, log: Path) -> Measured:
    """Seed, start the uploads, then run the client process for the duration."""
    sources = photos()
    print(f"seeding {args.seed_images} photos…", flush=True)
    seeding = Uploads(base, token, sources, min(args.seed_images, args.uploads))
    seeding.run(stop_after=args.seed_images)
    if seeding.failed:
        raise SystemExit("\n".join(seeding.failed))
    uploads = Uploads(base, token, sources, args.uploads)
    uploader = background(uploads.run)
    time.sleep(2)  # every worker busy before the clock starts
    job = {
        "port": int(base.rsplit(":", 1)[1]),
        "token": token,
        "images": seeding.images,
        "clients": args.clients,
        "seconds": args.duration,
        "seed": 1,
    }
    print(f"loading for {args.duration:.0f} s…", flush=True)
    done_before, since = uploads.done, time.time()
    server_cpu, tree_cpu = cpu_seconds(pid), tree_cpu_seconds(pid)
    command = [sys.executable, __file__, "--client-job", json.dumps(job)]
    shown = subprocess.run(command, capture_output=True, text=True, check=True, cwd=BENCH_DIR).stdout
    until = time.time()
    server_cpu = cpu_seconds(pid) - server_cpu
    tree_cpu = tree_cpu_seconds(pid) - tree_cpu
    processed = uploads.done - done_before
    uploads.stop()
    uploader.join()
    return Measured(
        json.loads(shown),
        server_timings(log, since, until),
        processed,
        uploads.failed,
        until - since,
        server_cpu,
        tree_cpu,
    )


def latency_row(latencies: Sequence[float], timed: Sequence[float]) -> dict[str, Any]:
    return {
        "requests": len(latencies),
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "server_p50_ms": percentile(timed, 0.5),
        "server_p99_ms": percentile(timed, 0.99),
    }


def results_of(args: argparse.Namespace, measured: Measured, load_before: float) -> dict[str, Any]:
    client, timed, wall = measured.client, measured.timed, measured.wall_seconds
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": client["seconds"],
        "clients": args.clients,
        "uploads": args.uploads,
        "cpus": CPUS,
        "load_average_before": load_before,
        "routes": summarize(client, timed, client["seconds"]),
        "poll_by_status": {
            status: latency_row(client["latencies"].get(f"{POLL} {status}", []), timed[f"{POLL} {status}"])
            for status in ("200", "304")
        },
        # The uploader's own requests, which only the server timed.
        "uploads_in_the_server": {
            route: latency_row(timed[route], timed[route])
            for route in ("POST /v1/uploads", "POST /v1/uploads/file")
        },
        "photos_processed": measured.photos_processed,
        "upload_failures": measured.upload_failures,
        "server_cpu_share": measured.server_cpu / wall,
        "server_tree_cpu_share": measured.tree_cpu / wall,
        "client_cpu_share": client["cpu_share"],
        "poll_goal_ms": POLL_GOAL_MS,
    }
    results["errors"] = errors_of(results, client)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=32, help="concurrent client connections")
    parser.add_argument("--uploads", type=int, default=CPUS + 1, help="photos in the server at once")
    parser.add_argument("--seed-images", type=int, default=6, help="photos uploaded before the load")
    parser.add_argument("--client-job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_job:
        run_client_job(args.client_job)
        return 0

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="darkroom-load-") as temporary:
        data_dir = Path(temporary) / "data"
        with server(data_dir, CPUS) as (process, base, token):
            measured = measure(args, base, token, process.pid, data_dir.parent / f"{data_dir.name}.log")
    results = results_of(args, measured, load_before)
    results["load_average_after"] = os.getloadavg()[0]
    report(results)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
