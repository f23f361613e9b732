"""The crash harness: a real server under a mixed workload, killed with SIGKILL at seeded random
moments and started again on the same data directory, with every invariant checked after each
restart.

Each cycle sends `--ops` writes from `--clients` concurrent clients (uploads by ticket and by URL,
`/imgs` creates all-or-nothing and subset with a `src` that answers 404 now and then, `/imgs`
patches, moves between two sets, archives, `/v1` batches, deletes). The kill comes once a seeded
number of them was sent, after a seeded delay, with operations queued, running and unanswered.
After the restart every write of the cycle is sent again with its `Idempotency-Key` (an
accepted one must get its own operation back), every operation is followed until it ends, and
chaos_checks.py looks at the database and the data directory. The seed fixes what is written and
when the kills come by count; the interleaving on the machine varies from run to run.

    python bench/chaos.py --seed 1 --kills 50        # make chaos
    python bench/chaos.py --seed 7 --kills 3 --ops 12 --small --json   # tests/test_chaos.py

Exit status 1 when any invariant was violated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from chaos_checks import check_all, connect, database_sound
from chaos_workload import (
    SMALL_FILES,
    STABLE_IMAGES,
    Library,
    Sources,
    Workload,
    Write,
    operation_of,
    serving_sources,
)

from app.testing_process import ServerProcess

TOKEN = "chaos-harness-token"
FINISH_TIMEOUT = 120.0  # seconds for every operation to end after a restart


@dataclass
class Report:
    seed: int
    kills: int = 0
    writes: int = 0
    retried: int = 0  # writes sent again after a kill
    replayed: int = 0  # of which the server recognised as already accepted
    unanswered: int = 0  # attempts the kill cut off
    interrupted: int = 0  # accepted operations not finished when the kill came
    operations: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phases: Counter[str] = field(default_factory=Counter)  # seconds spent in each step

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "kills_survived": self.kills,
            "writes": self.writes,
            "writes_unanswered": self.unanswered,
            "retries": self.retried,
            "retries_replayed": self.replayed,
            "operations_interrupted": self.interrupted,
            "operations_checked": sum(self.operations.values()),
            "operations_by_type": dict(sorted(self.operations.items())),
            "violations": len(self.violations),
            "violation_lines": self.violations[:50],
            "seconds": round(self.seconds, 1),
            "seconds_by_phase": {phase: round(seconds, 1) for phase, seconds in self.phases.items()},
        }


class Harness:
    def __init__(self, server: ServerProcess, sources: Sources, args: argparse.Namespace) -> None:
        self.server = server
        self.sources = sources
        self.args = args
        self.rng = random.Random(args.seed)
        self.report = Report(seed=args.seed)
        self.writes: list[Write] = []  # every write, setup included

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.server.url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=httpx.Timeout(60.0),
            limits=httpx.Limits(max_connections=self.args.clients * 2),
        )

    async def run(self) -> Report:
        started = time.monotonic()
        async with self.timed("start"):
            await self.server.start()
        async with self.timed("setup"), self.client() as client:
            library = await self.setup(client)
        workload = Workload(self.rng, self.sources, library)
        for cycle in range(self.args.kills):
            async with self.timed("load"):
                sent = await self.load_and_kill(workload)
            async with self.timed("start"):
                await self.server.start()
            self.report.kills += 1
            async with self.timed("finish"), self.client() as client:
                await self.retry(client, sent)
                await self.follow_all(client)
            async with self.timed("check"):
                found = check_all(self.server.data_dir, self.writes, library)
            self.report.violations += [f"after kill {cycle + 1}: {line}" for line in found]
        await self.server.stop()
        with closing(connect(self.server.data_dir / "darkroom.sqlite3")) as db:
            self.report.violations += [f"after the last stop: {line}" for line in database_sound(db)]
        self.report.writes = len(workload.writes)
        self.report.operations = Counter(write.kind for write in self.writes if write.uuid is not None)
        self.report.seconds = time.monotonic() - started
        return self.report

    @asynccontextmanager
    async def timed(self, phase: str) -> AsyncIterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.report.phases[phase] += time.monotonic() - started

    async def setup(self, client: httpx.AsyncClient) -> Library:
        """Two sets, and the stable images (made through /imgs, all in the first set)."""
        sets = [Write(-n, "setup", "POST", "/v1/sets", {"name": f"set {n}"}) for n in (1, 2)]
        ids = [f"stable-{n}" for n in range(STABLE_IMAGES)]
        items = [{"id": image_id, "src": self.sources.url(n % SMALL_FILES)} for n, image_id in enumerate(ids)]
        images = Write(-3, "setup", "POST", "/imgs", items, {"wait": "true"})
        for write in [*sets, images]:
            await self.send(client, write)
        await self.follow_all(client)
        set_a, set_b = (write.result["set_public_uuid"] for write in sets if write.result is not None)
        stable = [(await client.get(f"/imgs/{image_id}")).json()["public_uuid"] for image_id in ids]
        into_a = Write(-4, "setup", "POST", f"/v1/sets/{set_a}/images", {"image_public_uuids": stable})
        await self.send(client, into_a)
        await self.follow_all(client)
        if any(write.status != "succeeded" for write in self.writes):
            raise RuntimeError(
                f"the setup failed: {[(write.path, write.seen, write.refused) for write in self.writes]}"
            )
        return Library(set_a, set_b, stable, ids)

    async def send(self, client: httpx.AsyncClient, write: Write) -> httpx.Response | None:
        if write not in self.writes:
            self.writes.append(write)
        try:
            response = await write.send(client)
        except httpx.TransportError:
            write.unanswered += 1
            self.report.unanswered += 1
            return None
        operation = operation_of(response)
        if operation is None:
            write.refused.append(response.status_code)
            self.report.violations.append(
                f"write {write.number} ({write.kind}) answered {response.status_code}: {response.text[:200]}"
            )
        else:
            write.note(operation)
        return response

    async def load_and_kill(self, workload: Workload) -> list[Write]:
        """One cycle: writes from concurrent clients until the kill; returns those sent."""
        ops = self.args.ops
        kill_at = self.rng.randint(max(1, ops // 4), ops)
        delay = self.rng.uniform(0.0, 0.4)
        sent: list[Write] = []
        trigger = asyncio.Event()

        async with self.client() as client:

            async def sender() -> None:
                while len(sent) < ops and self.server.running:
                    write = workload.next()
                    sent.append(write)
                    if len(sent) == kill_at:
                        trigger.set()
                    await self.send(client, write)

            async def killer() -> None:
                await trigger.wait()
                await asyncio.sleep(delay)
                await self.server.kill()

            await asyncio.gather(killer(), *(sender() for _ in range(self.args.clients)))
        return sent

    async def retry(self, client: httpx.AsyncClient, sent: list[Write]) -> None:
        """Every write of the cycle again, as it was, with its key: the accepted ones replay."""
        retried = [write for write in sent if not write.refused]
        known = {write.number: write.uuid for write in retried}
        self.report.interrupted += sum(write.uuid is not None and not write.finished for write in retried)

        async def again(write: Write) -> None:
            if "wait" in write.params:
                write.params["wait"] = "false"  # not part of the work: the same key replays
            response = await self.send(client, write)
            replayed = response is not None and response.headers.get("Idempotent-Replayed") == "true"
            before = known[write.number]
            if before is not None and (write.uuid != before or not replayed):
                self.report.violations.append(
                    f"write {write.number} ({write.kind}) retried: operation {write.uuid}, was {before}"
                )
            self.report.replayed += replayed
            # Accepted, though its answer never came: the kill caught it before it could end.
            self.report.interrupted += before is None and replayed

        await asyncio.gather(*(again(write) for write in retried))
        self.report.retried += len(retried)

    async def follow_all(self, client: httpx.AsyncClient) -> None:
        """Follow every accepted operation until it ends, noting each status it shows."""
        deadline = time.monotonic() + FINISH_TIMEOUT

        async def follow(write: Write) -> None:
            while not write.finished:
                if time.monotonic() > deadline:
                    self.report.violations.append(
                        f"write {write.number} ({write.kind}) never ended: {write.seen}"
                    )
                    return
                response = await client.get(f"/v1/operations/{write.uuid}", headers={"Prefer": "wait=5"})
                if response.status_code != 200:
                    self.report.violations.append(
                        f"operation {write.uuid}: GET answered {response.status_code}"
                    )
                    return
                write.note(response.json())

        await asyncio.gather(*(follow(write) for write in self.writes if write.uuid is not None))


def print_report(report: dict[str, Any]) -> None:
    print(f"seed {report['seed']}: {report['kills_survived']} kills survived in {report['seconds']} s")
    print(
        f"{report['writes']} writes, {report['writes_unanswered']} attempts cut off by a kill, "
        f"{report['retries']} retried after a restart ({report['retries_replayed']} replayed their operation)"
    )
    by_type = ", ".join(f"{kind} {n}" for kind, n in report["operations_by_type"].items())
    print(f"{report['operations_checked']} operations checked: {by_type}")
    print(f"{report['operations_interrupted']} operations were not finished when a kill came")
    phases = ", ".join(f"{phase} {seconds} s" for phase, seconds in report["seconds_by_phase"].items())
    print(f"time spent: {phases}")
    print(f"{report['violations']} violations")
    for line in report["violation_lines"]:
        print(f"  {line}")


async def main_async(args: argparse.Namespace) -> Report:
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="darkroom-chaos-"))
    keep = True
    try:
        with serving_sources(small_only=args.small) as sources:
            server = ServerProcess(
                data_dir / "data",
                data_dir / "server.log",
                workers=args.workers,
                env={"DARKROOM_BOOTSTRAP_TOKEN": TOKEN, "DARKROOM_ALLOW_PRIVATE_SOURCES": "127.0.0.0/8"},
            )
            try:
                report = await Harness(server, sources, args).run()
            finally:
                await server.kill()
        keep = bool(report.violations)
        return report
    finally:
        if args.data_dir is None and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif args.data_dir is None:  # the data and the server's log, to see what went wrong
            print(f"kept {data_dir}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=50, help="kill and restart cycles")
    parser.add_argument("--ops", type=int, default=40, help="writes sent in each cycle, at most")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="the server's DARKROOM_WORKERS")
    parser.add_argument("--small", action="store_true", help="small photos only: a quicker run")
    parser.add_argument("--data-dir", type=Path, help="keep the data directory and server log here")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    report = asyncio.run(main_async(args)).as_dict()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 1 if report["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
