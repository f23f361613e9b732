"""The crash test: a real server killed with SIGKILL under a burst of writes loses none it accepted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.accounts.tokens import create_token
from app.storage import images_store
from app.storage.database import Database
from app.storage.migrations import migrate
from app.testing_process import ServerProcess
from app.timestamps import now_text

IMAGES = 30
WRITES = 300
ROTATIONS = (0, 90, 180, 270)


async def prepare(data_dir: Path) -> tuple[str, list[str]]:
    """A data directory with a token and images, made with the storage layer before any server."""
    db = Database(data_dir / "darkroom.sqlite3")
    await db.open()
    try:
        await migrate(db)
        token = await create_token(db, account="default", name="crash-test")
        row = await db.fetch_one("SELECT account_id FROM accounts WHERE name = 'default'")
        assert row is not None
        uuids = []
        async with db.write() as tx:
            for n in range(IMAGES):
                fields = {"title": f"image {n}", "width": 400, "height": 300}
                uuids.append((await images_store.insert(tx, row["account_id"], fields)).public_uuid)
        return token.token, uuids
    finally:
        await db.close()


def write_of(n: int, images: list[str]) -> tuple[str, str, dict[str, Any]]:
    """The n-th write: its key, its image, its body (the j-th change of that image)."""
    j = n // IMAGES
    return f"crash-{n}", images[n % IMAGES], {"title": f"change {j}", "rotation": ROTATIONS[j % 4]}


async def finish_all(client: httpx.AsyncClient, uuids: list[str]) -> dict[str, dict[str, Any]]:
    async def follow(uuid: str) -> dict[str, Any]:
        headers = {"Prefer": "wait=5"}
        for _ in range(20):
            response = await client.get(f"/v1/operations/{uuid}", headers=headers)
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                if body["status"] in ("succeeded", "failed", "canceled"):
                    return body
                headers["If-None-Match"] = response.headers["ETag"]
        raise TimeoutError(uuid)

    bodies = await asyncio.gather(*(follow(uuid) for uuid in uuids))
    return {body["uuid"]: body for body in bodies}


async def all_operations(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        response = await client.get("/v1/operations", params={"limit": 200, "offset": offset})
        found += response.json()
        if response.headers["X-Has-More"] == "false":
            return found
        offset = int(response.headers["X-Next-Offset"])


async def test_sigkill_under_load_loses_no_accepted_write(tmp_path: Path) -> None:
    # Whether the kill lands while operations are queued or running is a matter of timing: on a
    # busy machine the server may drain its queue before the kill lands. Every attempt checks
    # every invariant; another is made only when nothing was left to recover.
    for attempt in range(3):
        if await crash_and_recover(tmp_path / f"attempt-{attempt}"):
            return
    pytest.fail("nothing was left to recover in three attempts: the kill always came too late")


async def crash_and_recover(base: Path) -> int:
    """Burst, kill, restart, check; the number of operations accepted before the kill and
    finished after it."""
    data_dir = base / "data"
    token, images = await prepare(data_dir)
    headers = {"Authorization": f"Bearer {token}"}
    # All writes at once, to build a queue; later, a few connections reused serve better.
    limits, few = httpx.Limits(max_connections=WRITES), httpx.Limits(max_connections=20)
    server = ServerProcess(data_dir, base / "server.log")
    await server.start()
    try:
        # A burst of writes, all arriving within the accept grace. The first answer still queued
        # after its grace shows a backlog behind the one worker: the server is killed right then,
        # with operations queued and running, and most writes accepted but unanswered.
        accepted: dict[int, dict[str, Any]] = {}
        backlog = asyncio.Event()

        async def send(client: httpx.AsyncClient, n: int) -> None:
            key, image, body = write_of(n, images)
            try:
                response = await client.patch(
                    f"/v1/images/{image}", json=body, headers={"Idempotency-Key": key}
                )
            except httpx.TransportError:
                return  # killed before it was answered: the client does not know
            assert response.status_code == 202, response.text
            accepted[n] = response.json()
            if accepted[n]["status"] in ("queued", "running"):
                backlog.set()

        async def kill_when_backlogged() -> str:
            await backlog.wait()
            moment = now_text()
            await server.kill()
            return moment

        async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits) as client:
            killer = asyncio.create_task(kill_when_backlogged())
            await asyncio.gather(*(send(client, n) for n in range(WRITES)))
            if not backlog.is_set():
                killer.cancel()
                pytest.fail("every write finished within its accept grace: there was no queue to kill")
            killed_at = await killer

        # Restart on the same data directory.
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=few) as client:
            # Every accepted operation ends, once, succeeded.
            finished = await finish_all(client, [op["uuid"] for op in accepted.values()])
            assert {op["status"] for op in finished.values()} == {"succeeded"}

            # Every write retried with its key: the accepted ones replay, the others run now.
            async def retry(n: int) -> httpx.Response:
                key, image, body = write_of(n, images)
                return await client.patch(f"/v1/images/{image}", json=body, headers={"Idempotency-Key": key})

            retries = await asyncio.gather(*(retry(n) for n in range(WRITES)))
            assert {response.status_code for response in retries} == {202}
            for n, operation in accepted.items():
                assert retries[n].json()["uuid"] == operation["uuid"]
                assert retries[n].headers["Idempotent-Replayed"] == "true"
            uuid_of = {n: response.json()["uuid"] for n, response in enumerate(retries)}
            assert len(set(uuid_of.values())) == WRITES
            finished = await finish_all(client, list(uuid_of.values()))
            assert {op["status"] for op in finished.values()} == {"succeeded"}

            # No operation but these: none lost, none doubled.
            operations = await all_operations(client)
            assert sorted(op["uuid"] for op in operations) == sorted(uuid_of.values())
            # Some were queued or running at the kill, and finished only after the restart.
            recovered = [op for op in operations if op["created_at"] <= killed_at < op["finished_at"]]

            # One worker runs operations in the order they were accepted, so each image ends as
            # its newest operation left it, with width and height matching its rotation.
            write_by_uuid = {uuid: write_of(n, images) for n, uuid in uuid_of.items()}
            newest: dict[str, dict[str, Any]] = {}
            for operation in operations:  # newest first
                _, image, body = write_by_uuid[operation["uuid"]]
                newest.setdefault(image, body)
            for image in images:
                shown = (await client.get(f"/v1/images/{image}")).json()
                assert shown["title"] == newest[image]["title"]
                assert shown["rotation"] == newest[image]["rotation"]
                upright = (400, 300) if shown["rotation"] in (0, 180) else (300, 400)
                assert (shown["width"], shown["height"]) == upright
    finally:
        await server.stop()

    db = Database(data_dir / "darkroom.sqlite3")
    await db.open()
    try:
        check = await db.fetch_one("PRAGMA integrity_check")
        assert check is not None and check[0] == "ok"
        row = await db.fetch_one("SELECT count(*) AS n FROM operations WHERE status IN ('queued', 'running')")
        assert row is not None and row["n"] == 0
    finally:
        await db.close()
    return len(recovered)
