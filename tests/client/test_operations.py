"""Following operations: one request per change, faults that fail operations cleanly."""

from __future__ import annotations

import time

import pytest

from app.client import AsyncDarkroom, OperationFailed, WaitTimeout
from app.testing import DarkroomServer
from tests.client.conftest import Sent


async def test_wait_sends_one_request_per_change(
    server: DarkroomServer, client: AsyncDarkroom, sent: Sent
) -> None:
    """The server's one worker is busy with a slow operation, so the second one is answered
    `queued`; following it takes two requests, each answered when the operation changed."""
    server.faults(delay_ms=1200)
    await client.sets.create("Ahead")
    operation = await client.sets.create("Followed")
    assert operation.status == "queued"
    began = time.monotonic()
    await operation.wait(10)
    polls = sent.to("GET", f"/v1/operations/{operation.uuid}")
    answers = [r for r in sent.responses if r.request in polls]
    assert [r.json()["status"] for r in answers] == ["running", "succeeded"]
    assert [r.status_code for r in answers] == [200, 200]
    assert all(poll.headers["Prefer"].startswith("wait=") for poll in polls)
    # The first poll knows no ETag yet (a write's answer has none); the second names the first's.
    assert "If-None-Match" not in polls[0].headers
    assert polls[1].headers["If-None-Match"] == answers[0].headers["ETag"]
    assert time.monotonic() - began >= 1.0  # held by the server, not polled in a loop
    assert operation.succeeded and operation.result["set_public_uuid"]


async def test_follow_yields_each_change_until_the_end(
    server: DarkroomServer, client: AsyncDarkroom, sent: Sent
) -> None:
    server.faults(delay_ms=800)
    await client.sets.create("Ahead")
    operation = await client.operations.get((await client.sets.create("Watched")).uuid)
    seen = [info.status async for info in operation.follow()]
    assert seen == ["queued", "running", "succeeded"]
    polls = sent.to("GET", f"/v1/operations/{operation.uuid}")
    assert len(polls) == 3  # the lookup, then one held poll per change
    assert all(poll.headers["Prefer"] == "wait=60" for poll in polls[1:])


async def test_wait_on_a_finished_operation_sends_nothing(client: AsyncDarkroom, sent: Sent) -> None:
    operation = await client.sets.create("Quick")
    assert operation.finished
    await operation.wait()
    assert sent.to("GET", f"/v1/operations/{operation.uuid}") == []


async def test_wait_gives_up_after_its_timeout(server: DarkroomServer, client: AsyncDarkroom) -> None:
    server.faults(delay_ms=2000)
    operation = await client.sets.create("Slow")
    with pytest.raises(WaitTimeout):
        await operation.wait(timeout=1)
    assert not operation.finished
    await operation.cancel()
    assert operation.status in ("running", "canceled")


async def test_fail_rate_fails_operations_cleanly_as_fault_injected(
    server: DarkroomServer, client: AsyncDarkroom
) -> None:
    server.faults(fail_rate=1.0)
    operation = await (await client.sets.create("Doomed")).wait(10)
    assert operation.status == "failed"
    assert operation.info.error is not None and operation.info.error["code"] == "fault_injected"
    with pytest.raises(OperationFailed) as raised:
        operation.raise_for_failure()
    assert raised.value.code == "fault_injected"
    # Nothing of it was kept.
    assert all(s.name != "Doomed" for s in await client.sets.list(limit=200))


async def test_fail_rate_is_a_share_and_the_seed_repeats_it(
    server: DarkroomServer, client: AsyncDarkroom
) -> None:
    async def outcomes() -> list[str]:
        server.faults(fail_rate=0.5, seed=11)
        finished = [await (await client.sets.create(f"Maybe {n}")).wait(10) for n in range(8)]
        return [operation.status for operation in finished]

    first = await outcomes()
    assert set(first) == {"succeeded", "failed"}
    assert await outcomes() == first


async def test_a_waited_imgs_write_that_failed_on_a_fault_is_an_operation_not_a_retry(
    server: DarkroomServer, client: AsyncDarkroom, sent: Sent
) -> None:
    """`/imgs` answers `500` with the failed operation: not an error to retry."""
    server.faults(fail_rate=1.0)
    op = await client.imgs.delete_one("nothing-here")
    assert len(sent.requests) == 1 and sent.responses[0].status_code == 500
    assert op.finished and op.info.success is False
    with pytest.raises(OperationFailed) as raised:
        op.raise_for_failure()
    assert raised.value.code == "fault_injected"
    followed = await (await client.ops.get(op.op_id)).refresh()
    assert followed.info.errors[0].code == "fault_injected"
