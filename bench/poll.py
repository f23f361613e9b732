"""The poll benchmark: `If-None-Match` polls of one finished operation, Darkroom against a bare 304.

Both servers run as subprocesses on loopback ports with the same uvicorn options (one process,
uvloop, httptools, no uvicorn access log). Darkroom keeps its own access log, written to a file.
The same client, concurrency and duration load each in turn, alternating, and the median of the
rounds is compared: the goal is Darkroom at 0.8 of the bare endpoint or better. Every answer
must be a 304; anything else is counted and printed.

The client is `wrk` when it is installed (`make bench` installs it), else a small asyncio load
generator in a separate process, which on a small machine is likely slower than either server
and then compresses the ratio towards 1: the report says which one ran.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from library import cpu_seconds

from app.accounts.tokens import create_token
from app.storage import images_store
from app.storage.database import Database
from app.storage.migrations import migrate

HOST = "127.0.0.1"
GOAL = 0.8
BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "poll.json"

# wrk's hooks: count every answer that is not a 304, by status, and print one JSON line at the end.
WRK_SCRIPT = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  others = {}
end

function response(status, headers, body)
  if status ~= 304 then
    others[status] = (others[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("others")) do
      statuses[status] = (statuses[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(statuses) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_s": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, '
      .. '"socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3,
    errors.connect + errors.read + errors.write + errors.timeout,
    table.concat(parts, ", ")))
end
"""


@dataclass(slots=True)
class Run:
    """One timed load of one server."""

    requests: int
    duration_s: float
    p50_ms: float | None
    p99_ms: float | None
    socket_errors: int
    statuses: dict[str, int]  # answers other than 304, by status
    cpu_us: float | None = None  # the server's CPU time over the run, once measured

    @property
    def cpu_us_per_request(self) -> float | None:
        return None if self.cpu_us is None or not self.requests else self.cpu_us / self.requests

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s

    @property
    def non_304(self) -> int:
        return sum(self.statuses.values())


@dataclass(slots=True)
class Target:
    name: str
    url: str
    pid: int
    runs: list[Run] = field(default_factory=list)

    def median(self, attribute: str) -> float | None:
        values = [getattr(run, attribute) for run in self.runs]
        present = [value for value in values if value is not None]
        return statistics.median(present) if present else None


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(
    name: str, command: list[str], ready_url: str, log: IO[bytes]
) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess, up once `ready_url` answers, stopped (SIGTERM) on exit."""
    process = subprocess.Popen(command, stdout=log, stderr=log, cwd=BENCH_DIR.parent)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {log.name}")
            try:
                httpx.get(ready_url, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start in 30 s; see {log.name}") from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def prepare_data(data_dir: Path) -> tuple[str, str]:
    """A token and an image, stored before the server starts (it is the only writer once up)."""
    db = Database(data_dir / "darkroom.sqlite3")
    await db.open()
    try:
        await migrate(db)
        created = await create_token(db, account="default", name="bench")
        row = await db.fetch_one("SELECT account_id FROM accounts WHERE name = 'default'")
        if row is None:
            raise RuntimeError("the account was not created")
        async with db.write() as tx:
            image = await images_store.insert(tx, row["account_id"], {"title": "bench", "width": 4})
    finally:
        await db.close()
    return created.token, image.public_uuid


def finished_operation(base: str, token: str, image_uuid: str) -> tuple[str, str]:
    """PATCH the image, wait for the operation to succeed; its uuid and ETag."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
        accepted = client.patch(
            f"/v1/images/{image_uuid}",
            json={"title": "x"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        if accepted.status_code != 202:
            raise RuntimeError(f"PATCH answered {accepted.status_code}: {accepted.text}")
        operation_uuid: str = accepted.json()["uuid"]
        for _ in range(12):
            answer = client.get(f"/v1/operations/{operation_uuid}", headers={"Prefer": "wait=5"})
            answer.raise_for_status()
            status = answer.json()["status"]
            if status == "succeeded":
                return operation_uuid, answer.headers["ETag"]
            if status in ("failed", "cancelled"):
                raise RuntimeError(f"the operation {status}: {answer.text}")
    raise RuntimeError("the operation did not finish in a minute")


def check_304(url: str, headers: dict[str, str], etag: str | None = None) -> None:
    """One poll answered `304` with an ETag (`etag` itself when given)."""
    answer = httpx.get(url, headers=headers, timeout=5)
    got = answer.headers.get("etag")
    if answer.status_code != 304 or got is None or (etag is not None and got != etag):
        raise RuntimeError(f"{url} answered {answer.status_code} {dict(answer.headers)}, not a 304")


# --- clients -----------------------------------------------------------------------------------


def wrk_version(wrk: str) -> str:
    shown = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"wrk (\S+)", shown)
    return found[1] if found else "?"


def load_with_wrk(
    wrk: str, script: Path, url: str, headers: dict[str, str], connections: int, seconds: float
) -> Run:
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    shown = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    line = next((line for line in shown.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{shown}")
    return Run(**json.loads(line.removeprefix("BENCH ")))


def load_with_python(url: str, headers: dict[str, str], connections: int, seconds: float) -> Run:
    """The asyncio generator, in its own process so that it does not share this one's loop."""
    job = json.dumps({"url": url, "headers": headers, "connections": connections, "seconds": seconds})
    shown = subprocess.run(
        [sys.executable, __file__, "--python-client-job", job], capture_output=True, text=True, check=True
    ).stdout
    return Run(**json.loads(shown))


async def _python_client(url: str, headers: dict[str, str], connections: int, seconds: float) -> Run:
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or 80
    head = f"GET {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    request = (head + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    socket_errors = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def connection() -> None:
        nonlocal socket_errors
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            socket_errors += 1
            return
        try:
            while loop.time() < deadline:
                sent = time.perf_counter()
                writer.write(request)
                answer = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", answer)
                if length:
                    await reader.readexactly(int(length[1]))
                latencies.append(time.perf_counter() - sent)
                status = answer[9:12].decode()
                if status != "304":
                    statuses[status] = statuses.get(status, 0) + 1
        except (OSError, asyncio.IncompleteReadError):
            socket_errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    duration = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float | None:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else None

    return Run(len(latencies), duration, percentile(0.5), percentile(0.99), socket_errors, statuses)


def _run_python_client_job(job: str) -> None:
    import uvloop

    options: dict[str, Any] = json.loads(job)
    run = uvloop.run(_python_client(**options))
    print(json.dumps({name: getattr(run, name) for name in Run.__slots__}))


# --- report ------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def report(targets: list[Target], client: str, args: argparse.Namespace, load_before: float) -> float:
    print()
    print("Poll benchmark: GET /v1/operations/{uuid} with If-None-Match, answered 304")
    print(
        f"client: {client}, {args.connections} connections, {args.seconds:g} s per run, "
        f"{args.rounds} rounds alternating (median); {os.cpu_count()} CPUs, "
        f"load average {load_before:.2f} before the run"
    )
    print()
    print(
        f"{'server':<16}{'rps (median)':>14}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/req':>12}{'non-304':>9}"
        "  rps per round"
    )
    for target in targets:
        rps = target.median("rps") or 0.0
        rounds = ", ".join(f"{run.rps:.0f}" for run in target.runs)
        non_304 = sum(run.non_304 for run in target.runs)
        print(
            f"{target.name:<16}{rps:>14.0f}{_ms(target.median('p50_ms')):>9}"
            f"{_ms(target.median('p99_ms')):>9}{_us(target.median('cpu_us_per_request')):>12}"
            f"{non_304:>9}  {rounds}"
        )
    darkroom, bare = targets
    ratio = (darkroom.median("rps") or 0.0) / (bare.median("rps") or 1.0)
    print()
    verdict = "goal met" if ratio >= GOAL else "BELOW GOAL"
    print(f"ratio Darkroom / bare: {ratio:.3f}  (goal >= {GOAL}: {verdict})")
    darkroom_cpu, bare_cpu = darkroom.median("cpu_us_per_request"), bare.median("cpu_us_per_request")
    if darkroom_cpu and bare_cpu:
        # Less sensitive than requests per second to other work on the machine.
        print(f"CPU per request, bare / Darkroom: {bare_cpu / darkroom_cpu:.3f}")
    if load_before > 0.5:
        print(f"note: the machine was not idle (load average {load_before:.2f}); figures may be low")
    for target in targets:
        for number, run in enumerate(target.runs, 1):
            if run.statuses or run.socket_errors:
                print(
                    f"ERRORS {target.name} round {number}: non-304 answers {run.statuses}, "
                    f"socket errors {run.socket_errors}"
                )
    return ratio


def save(
    targets: list[Target], client: str, ratio: float, args: argparse.Namespace, load_before: float
) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "client": client,
        "connections": args.connections,
        "seconds": args.seconds,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "ratio": ratio,
        "targets": {
            t.name: [{name: getattr(run, name) for name in Run.__slots__} for run in t.runs] for t in targets
        },
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")


# --- main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0, help="per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of untimed load on each first")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--python-client-job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.python_client_job:
        _run_python_client_job(args.python_client_job)
        return 0

    load_before = os.getloadavg()[0]
    wrk = shutil.which("wrk") if args.client in ("auto", "wrk") else None
    if args.client == "wrk" and wrk is None:
        parser.error("wrk is not installed")
    with tempfile.TemporaryDirectory(prefix="darkroom-bench-") as temporary:
        work = Path(temporary)
        data_dir = work / "data"
        data_dir.mkdir()
        script = work / "count_304.lua"
        script.write_text(WRK_SCRIPT)
        token, image_uuid = asyncio.run(prepare_data(data_dir))
        darkroom_port, bare_port = free_port(), free_port()
        darkroom_command = [
            sys.executable, "-m", "app", "serve",
            "--data-dir", str(data_dir), "--host", HOST, "--port", str(darkroom_port),
        ]  # fmt: skip
        bare_command = [sys.executable, str(BENCH_DIR / "bare_304.py"), "--port", str(bare_port)]
        darkroom_base = f"http://{HOST}:{darkroom_port}"
        bare_base = f"http://{HOST}:{bare_port}"
        with (
            open(work / "darkroom.log", "wb") as darkroom_log,
            open(work / "bare.log", "wb") as bare_log,
            server("Darkroom", darkroom_command, f"{darkroom_base}/healthz", darkroom_log) as darkroom,
            server("bare Starlette", bare_command, f"{bare_base}/", bare_log) as bare,
        ):
            operation_uuid, etag = finished_operation(darkroom_base, token, image_uuid)
            path = f"/v1/operations/{operation_uuid}"
            headers = {"Authorization": f"Bearer {token}", "If-None-Match": etag}
            targets = [
                Target("Darkroom", darkroom_base + path, darkroom.pid),
                Target("bare Starlette", bare_base + path, bare.pid),
            ]
            check_304(targets[0].url, headers, etag)
            check_304(targets[1].url, headers)

            if wrk is not None:
                client = f"wrk {wrk_version(wrk)}, 1 thread"

                def load(url: str, seconds: float) -> Run:
                    return load_with_wrk(wrk, script, url, headers, args.connections, seconds)
            else:
                client = "Python asyncio generator, 1 process (likely the bottleneck: install wrk)"

                def load(url: str, seconds: float) -> Run:
                    return load_with_python(url, headers, args.connections, seconds)

            print(f"client: {client}; operation {operation_uuid}, ETag {etag}")
            for target in targets:
                load(target.url, args.warmup)
            for number in range(1, args.rounds + 1):
                # Alternate which server goes first, so that neither always follows the other.
                for target in targets if number % 2 else reversed(targets):
                    cpu_before = cpu_seconds(target.pid)
                    run = load(target.url, args.seconds)
                    run.cpu_us = (cpu_seconds(target.pid) - cpu_before) * 1e6
                    target.runs.append(run)
                    print(
                        f"round {number} {target.name:<15} {run.rps:10.0f} rps  "
                        f"{_us(run.cpu_us_per_request)} us CPU/request  non-304 {run.non_304}"
                    )
    ratio = report(targets, client, args, load_before)
    save(targets, client, ratio, args, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
