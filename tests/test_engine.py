"""The engine without HTTP: the claim, how operations end, all-or-nothing, shutdown and recovery,
the in-memory watch, and the intake's bound and replays."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from app.errors import RateLimited
from app.operations.idempotency import IdempotencyClaim
from app.operations.states import OperationStatus
from app.operations.submission import Submission
from app.operations.watch import OperationWatch, operation_etag
from app.runtime import Darkroom
from app.storage import images_store, operations_store
from app.storage.database import Database
from app.storage.migrations import migrate
from app.storage.operations_store import NewOperation, OperationRecord, Revision
from app.timestamps import now_text
from tests import operation_types
from tests.conftest import settings_for
from tests.operation_types import new_gate, submit


@pytest.fixture(autouse=True)
def gates() -> Iterator[None]:
    operation_types.started_labels.clear()
    yield
    operation_types.open_all_gates()


@asynccontextmanager
async def started(data_dir: Path, **overrides: Any) -> AsyncIterator[Darkroom]:
    """A started runtime on `data_dir` (no HTTP), stopped on exit."""
    overrides.setdefault("shutdown_grace", 1)
    runtime = Darkroom(settings_for(data_dir, **overrides))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def default_account(runtime: Darkroom) -> int:
    row = await runtime.db.fetch_one("SELECT account_id FROM accounts WHERE name = 'default'")
    assert row is not None
    return int(row["account_id"])


async def load(runtime: Darkroom, record: OperationRecord) -> OperationRecord:
    found = await operations_store.by_id(runtime.db, record.op_id)
    assert found is not None
    return found


async def finished(runtime: Darkroom, record: OperationRecord, timeout: float = 5) -> OperationRecord:
    watched = runtime.watch.by_op_id(record.op_id)
    assert watched is not None
    await runtime.watch.wait_finished(watched, timeout)
    return await load(runtime, record)


# The claim


async def test_claim_takes_urgent_first_then_oldest_and_never_twice(tmp_path: Path) -> None:
    db = Database(tmp_path / "claim.sqlite3")
    await db.open()
    try:
        await migrate(db)
        async with db.write() as tx:
            await tx.execute(
                "INSERT INTO accounts (public_uuid, name, created_at) VALUES ('a', 'a', ?)", (now_text(),)
            )
            for label, urgent in (("A", False), ("B", True), ("C", False), ("D", True)):
                await operations_store.insert(
                    tx,
                    NewOperation(
                        uuid=f"op-{label}",
                        account_id=1,
                        type=operation_types.ITEMS,
                        dialect="v1",
                        urgent=urgent,
                        params={},
                        image_public_uuids=[],
                        progress_total=1,
                        created_at=now_text(),
                    ),
                )
        claimed = []
        while True:
            async with db.write() as tx:
                record = await operations_store.claim(tx, now_text())
            if record is None:
                break
            assert (record.status, record.attempts) == (OperationStatus.RUNNING, 1)
            assert record.started_at is not None
            claimed.append(record.uuid)
        assert claimed == ["op-B", "op-D", "op-A", "op-C"]
    finally:
        await db.close()


async def test_no_more_operations_run_at_once_than_workers(tmp_path: Path) -> None:
    async with started(tmp_path, workers=2) as runtime:
        account_id = await default_account(runtime)
        held = [new_gate() for _ in range(3)]
        accepted = [await submit(runtime, account_id, gate=name) for name, _ in held]
        await held[0][1].reached()
        await held[1][1].reached()
        await asyncio.sleep(0.1)
        statuses = [(await load(runtime, a.record)).status for a in accepted]
        assert statuses == [OperationStatus.RUNNING, OperationStatus.RUNNING, OperationStatus.QUEUED]
        held[0][1].open()
        await held[2][1].reached()  # a slot freed: the third starts
        for _, gate in held:
            gate.open()
        await runtime.engine.drain()


# How an operation ends


async def test_an_operation_that_fails_ends_failed_with_its_items(tmp_path: Path) -> None:
    async with started(tmp_path) as runtime:
        accepted = await submit(runtime, await default_account(runtime), operation_types.FAIL)
        record = await finished(runtime, accepted.record)
        assert record.status is OperationStatus.FAILED
        assert record.error is not None
        assert record.error["code"] == "items_failed"
        assert record.error["message"] == "Two of three items failed."
        assert [item["index"] for item in record.error["items"]] == [0, 2]
        assert record.result is None
        assert record.finished_at is not None


async def test_an_unexpected_exception_fails_internal_and_the_worker_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with started(tmp_path, workers=1) as runtime:
        account_id = await default_account(runtime)
        crash = await submit(runtime, account_id, operation_types.CRASH)
        after = await submit(runtime, account_id, label="after")
        await runtime.engine.drain()
        crashed = await load(runtime, crash.record)
        assert crashed.status is OperationStatus.FAILED
        assert crashed.error == {"code": "internal", "message": "Internal error.", "items": []}
        assert "an unexpected bug" not in repr(crashed.error)
        assert (await load(runtime, after.record)).status is OperationStatus.SUCCEEDED
    assert "an unexpected bug" in caplog.text  # logged with its traceback, never shown


async def test_an_operation_past_its_timeout_fails_and_the_worker_goes_on(tmp_path: Path) -> None:
    async with started(tmp_path, workers=1, operation_timeout=0.2) as runtime:
        account_id = await default_account(runtime)
        name, _ = new_gate()  # never opened
        stuck = await submit(runtime, account_id, gate=name)
        after = await submit(runtime, account_id, label="after")
        await runtime.engine.drain()
        timed_out = await load(runtime, stuck.record)
        assert timed_out.status is OperationStatus.FAILED
        assert timed_out.error is not None
        assert timed_out.error["code"] == "timeout"
        assert (await load(runtime, after.record)).status is OperationStatus.SUCCEEDED


async def test_a_terminal_state_never_changes(tmp_path: Path) -> None:
    async with started(tmp_path) as runtime:
        account_id = await default_account(runtime)
        done = await finished(runtime, (await submit(runtime, account_id)).record)
        failed = await finished(runtime, (await submit(runtime, account_id, operation_types.FAIL)).record)
        name, _ = new_gate()
        queued = (await submit(runtime, account_id, gate=name, urgent=True)).record
        await runtime.engine.cancel(queued)
        canceled = await finished(runtime, queued)
        assert canceled.status is OperationStatus.CANCELED
        for record in (done, failed, canceled):
            await runtime.engine.cancel(record)
            async with runtime.db.write() as tx:
                assert await operations_store.cancel_queued(tx, record.op_id, now_text(), {}) is None
                assert await operations_store.request_cancel(tx, record.op_id) is None
                assert await operations_store.requeue(tx, record.op_id) is None
                assert await operations_store.update_progress(tx, record.op_id, 9, 9, 9) is None
                assert (
                    await operations_store.finish(
                        tx,
                        record.op_id,
                        OperationStatus.SUCCEEDED,
                        result=None,
                        error=None,
                        finished_at=now_text(),
                        progress=(0, 0, 0),
                    )
                    is None
                )
            assert await load(runtime, record) == record
    # Nor across a restart: recovery leaves finished operations alone.
    async with started(tmp_path) as runtime:
        for record in (done, failed, canceled):
            assert await load(runtime, record) == record


# All or nothing


@pytest.mark.parametrize(("how", "code"), [("failed", "half_way"), ("crash", "internal")])
async def test_a_failed_operation_leaves_nothing_of_its_changes(tmp_path: Path, how: str, code: str) -> None:
    async with started(tmp_path) as runtime:
        account_id = await default_account(runtime)
        async with runtime.db.write() as tx:
            image = await images_store.insert(tx, account_id, {"title": "untouched"})
        accepted = await submit(
            runtime, account_id, operation_types.WRITE_THEN_RAISE, image_id=image.image_id, how=how
        )
        record = await finished(runtime, accepted.record)
        assert record.status is OperationStatus.FAILED
        assert record.error is not None and record.error["code"] == code
        assert await images_store.by_id(runtime.db, image.image_id) == image
        rows = await runtime.db.fetch_all("SELECT title FROM images")
        assert [row["title"] for row in rows] == ["untouched"]


async def test_an_operation_timed_out_inside_its_transaction_leaves_nothing(tmp_path: Path) -> None:
    async with started(tmp_path, operation_timeout=0.2) as runtime:
        account_id = await default_account(runtime)
        async with runtime.db.write() as tx:
            image = await images_store.insert(tx, account_id, {"title": "untouched"})
        accepted = await submit(
            runtime, account_id, operation_types.WRITE_THEN_RAISE, image_id=image.image_id, how="hang"
        )
        record = await finished(runtime, accepted.record)
        assert record.error is not None and record.error["code"] == "timeout"
        rows = await runtime.db.fetch_all("SELECT title FROM images")
        assert [row["title"] for row in rows] == ["untouched"]
        # The writer is usable again.
        async with runtime.db.write() as tx:
            await images_store.update(tx, image.image_id, {"title": "changed"})


async def test_a_timeout_while_the_commit_lands_keeps_the_watch_right(tmp_path: Path) -> None:
    async with started(tmp_path, operation_timeout=0.3) as runtime:
        account_id = await default_account(runtime)
        async with runtime.db.write() as tx:
            image = await images_store.insert(tx, account_id, {"title": "before"})
        name, gate = new_gate()
        accepted = await submit(
            runtime, account_id, operation_types.COMMIT, gate=name, image_id=image.image_id, title="after"
        )
        await gate.reached()
        write = runtime.db.write

        @asynccontextmanager
        async def slow_to_commit() -> AsyncIterator[Any]:
            # The deadline passes while the operation waits for its (shielded) COMMIT.
            async with write() as tx:
                yield tx
            await asyncio.sleep(0.5)

        runtime.db.write = slow_to_commit  # type: ignore[method-assign]
        try:
            gate.open()
            watched = runtime.watch.by_op_id(accepted.record.op_id)
            assert watched is not None
            await runtime.watch.wait_finished(watched, 2)
        finally:
            runtime.db.write = write  # type: ignore[method-assign]
        record = await load(runtime, accepted.record)
        assert record.status is OperationStatus.SUCCEEDED
        retitled = await images_store.by_id(runtime.db, image.image_id)
        assert retitled is not None and retitled.title == "after"
        assert watched.finished
        assert watched.etag == operation_etag(record.op_id, record.revision)


async def test_progress_noted_inside_the_transaction_does_not_wait_for_itself(tmp_path: Path) -> None:
    async with started(tmp_path, operation_timeout=2) as runtime:
        accepted = await submit(
            runtime, await default_account(runtime), operation_types.ITEMS_IN_ONE_TRANSACTION, items=3
        )
        record = await finished(runtime, accepted.record)
        assert record.status is OperationStatus.SUCCEEDED, record.error
        assert (record.progress_total, record.progress_done) == (3, 3)


# Shutdown and recovery


async def test_stop_lets_an_operation_finish_within_the_grace(tmp_path: Path) -> None:
    async with started(tmp_path, shutdown_grace=5) as runtime:
        name, gate = new_gate()
        accepted = await submit(runtime, await default_account(runtime), gate=name)
        await gate.reached()
        stopping = asyncio.create_task(runtime.engine.stop())
        await asyncio.sleep(0.1)
        gate.open()
        await stopping
        assert (await load(runtime, accepted.record)).status is OperationStatus.SUCCEEDED


async def test_stop_requeues_what_outlives_the_grace_and_the_next_start_runs_it(tmp_path: Path) -> None:
    name, gate = new_gate()
    async with started(tmp_path, shutdown_grace=0.2) as runtime:
        accepted = await submit(runtime, await default_account(runtime), gate=name, items=2)
        gate.allow()
        await gate.reached(2)  # one item done, the second held past the grace
    db = Database(settings_for(tmp_path).database_path)
    await db.open()
    try:
        requeued = await operations_store.by_id(db, accepted.record.op_id)
    finally:
        await db.close()
    assert requeued is not None
    assert (requeued.status, requeued.started_at, requeued.attempts) == (OperationStatus.QUEUED, None, 1)
    async with started(tmp_path, shutdown_grace=0.2) as runtime:
        gate.open()
        record = await finished(runtime, accepted.record)
        assert record.status is OperationStatus.SUCCEEDED
        assert record.attempts == 2
        assert record.progress_done == 2
    assert operation_types.started_labels == [accepted.record.uuid] * 2


async def test_start_recovers_what_a_dead_process_left_running(tmp_path: Path) -> None:
    async with started(tmp_path) as runtime:
        account_id = await default_account(runtime)
    # What a SIGKILL leaves: operations claimed (running), one with a cancel asked for.
    db = Database(settings_for(tmp_path).database_path)
    await db.open()
    try:
        async with db.write() as tx:
            for label in ("rerun", "cancel"):
                await operations_store.insert(
                    tx,
                    NewOperation(
                        uuid=f"op-{label}",
                        account_id=account_id,
                        type=operation_types.ITEMS,
                        dialect="v1",
                        urgent=False,
                        params={"label": label},
                        image_public_uuids=[],
                        progress_total=1,
                        created_at=now_text(),
                    ),
                )
                await operations_store.claim(tx, now_text())
            await tx.execute("UPDATE operations SET cancel_requested = 1 WHERE uuid = 'op-cancel'")
    finally:
        await db.close()
    async with started(tmp_path) as runtime:
        await runtime.engine.drain()
        rerun = await operations_store.by_uuid(runtime.db, "op-rerun", account_id)
        canceled = await operations_store.by_uuid(runtime.db, "op-cancel", account_id)
        assert rerun is not None and canceled is not None
        assert (rerun.status, rerun.attempts) == (OperationStatus.SUCCEEDED, 2)
        assert canceled.status is OperationStatus.CANCELED
        assert canceled.result is not None and canceled.result["rolled_back"] is True
    assert operation_types.started_labels == ["rerun"]


# Progress


async def test_progress_that_did_not_move_changes_no_etag(tmp_path: Path) -> None:
    async with started(tmp_path) as runtime:
        name, gate = new_gate()
        accepted = await submit(runtime, await default_account(runtime), gate=name, items=3)
        gate.allow()
        await gate.reached(2)
        watched = runtime.watch.by_op_id(accepted.record.op_id)
        assert watched is not None
        # The same progress written again (past the throttle) is no change of the representation.
        async with runtime.db.write() as tx:
            moved = await operations_store.update_progress(tx, accepted.record.op_id, 3, 1, 0)
        assert moved is None
        before = watched.etag
        async with runtime.db.write() as tx:
            moved = await operations_store.update_progress(tx, accepted.record.op_id, 3, 2, 0)
        assert moved is not None
        assert runtime.watch.record(moved).etag != before
        gate.open()


# The single writer, when the SQLite lock is held elsewhere (the command line, a backup)


@asynccontextmanager
async def sqlite_lock_held_elsewhere(runtime: Darkroom) -> AsyncIterator[None]:
    """Another process's write transaction on the database, for the duration of the block."""
    other = sqlite3.connect(runtime.settings.database_path, isolation_level=None, check_same_thread=False)
    try:
        await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")
        yield
        await asyncio.to_thread(other.execute, "ROLLBACK")
    finally:
        other.close()


async def test_stop_while_a_claim_waits_for_the_lock_leaves_the_writer_sound(tmp_path: Path) -> None:
    async with started(tmp_path, shutdown_grace=5) as runtime:
        name, gate = new_gate()
        accepted = await submit(runtime, await default_account(runtime), gate=name)
        await gate.reached()
        async with sqlite_lock_held_elsewhere(runtime):
            runtime.engine.wake()
            await asyncio.sleep(0.1)  # the dispatcher's claim waits on BEGIN IMMEDIATE
            stopping = asyncio.create_task(runtime.engine.stop())
            await asyncio.sleep(0.1)  # and is cancelled there
        gate.open()
        await stopping
        # The running operation could still write its progress and finish within the grace.
        assert (await load(runtime, accepted.record)).status is OperationStatus.SUCCEEDED


async def test_a_timeout_while_waiting_for_the_lock_leaves_the_writer_sound(tmp_path: Path) -> None:
    async with started(tmp_path, operation_timeout=0.3) as runtime:
        account_id = await default_account(runtime)
        async with runtime.db.write() as tx:
            image = await images_store.insert(tx, account_id, {"title": "before"})
        name, gate = new_gate()
        accepted = await submit(
            runtime, account_id, operation_types.COMMIT, gate=name, image_id=image.image_id, title="after"
        )
        await gate.reached()
        async with sqlite_lock_held_elsewhere(runtime):
            gate.open()
            await asyncio.sleep(0.5)  # the deadline passes while its BEGIN waits for the lock
        record = await finished(runtime, accepted.record)
        assert record.error is not None and record.error["code"] == "timeout"
        assert await images_store.by_id(runtime.db, image.image_id) == image
        after = await finished(runtime, (await submit(runtime, account_id)).record)
        assert after.status is OperationStatus.SUCCEEDED


# The watch


def revision(op_id: int, number: int, status: OperationStatus) -> Revision:
    return Revision(op_id, f"op-{op_id}", 1, number, status)


async def test_watch_wakes_waiters_on_a_newer_revision_only() -> None:
    watch = OperationWatch()
    watched = watch.record(revision(1, 1, OperationStatus.QUEUED))
    etag = watched.etag
    waiter = asyncio.create_task(watch.wait_for_change(watched, 5))
    await asyncio.sleep(0.01)
    watch.record(revision(1, 1, OperationStatus.QUEUED))  # the same revision again: no change
    await asyncio.sleep(0.01)
    assert not waiter.done()
    watch.record(revision(1, 2, OperationStatus.RUNNING))
    await asyncio.wait_for(waiter, 1)
    assert watched.etag != etag
    watch.record(revision(1, 1, OperationStatus.QUEUED))  # stale: ignored
    assert (watched.revision, watched.finished) == (2, False)


async def test_watch_wait_times_out_and_returns_at_once_when_finished() -> None:
    watch = OperationWatch()
    watched = watch.record(revision(1, 1, OperationStatus.RUNNING))
    loop = asyncio.get_running_loop()
    begun = loop.time()
    await watch.wait_for_change(watched, 0.2)
    assert 0.15 <= loop.time() - begun < 1
    done = watch.record(revision(2, 3, OperationStatus.SUCCEEDED))
    begun = loop.time()
    await watch.wait_for_change(done, 5)
    await watch.wait_finished(done, 5)
    assert loop.time() - begun < 0.1


async def test_watch_keeps_unfinished_operations_and_evicts_old_finished_ones() -> None:
    watch = OperationWatch(finished_capacity=2)
    running = watch.record(revision(1, 1, OperationStatus.RUNNING))
    for op_id in (2, 3, 4):
        watch.record(revision(op_id, 2, OperationStatus.SUCCEEDED))
    assert watch.by_op_id(1) is running
    assert watch.by_op_id(2) is None and watch.by_uuid("op-2") is None
    assert watch.by_op_id(3) is not None and watch.by_op_id(4) is not None
    waiter = asyncio.create_task(watch.wait_for_change(running, 5))
    await asyncio.sleep(0.01)
    watch.forget(1)  # deleted: whoever waits is woken to find it gone
    await asyncio.wait_for(waiter, 1)
    assert watch.by_uuid("op-1") is None


# The intake


async def test_a_replay_is_answered_even_when_the_queue_is_full(tmp_path: Path) -> None:
    async with started(tmp_path, workers=1, max_queued=1) as runtime:
        account_id = await default_account(runtime)
        name, gate = new_gate()
        await submit(runtime, account_id, gate=name)
        await gate.reached()
        claim = IdempotencyClaim("k", "fingerprint")
        submission = Submission(type=operation_types.ITEMS, params={})
        first = await runtime.intake.submit(account_id, submission, claim)
        assert (first.replayed, first.record.status) == (False, OperationStatus.QUEUED)
        with pytest.raises(RateLimited):
            await runtime.intake.submit(account_id, submission, IdempotencyClaim("k2", "fingerprint"))
        again = await runtime.intake.submit(account_id, submission, claim)
        assert (again.replayed, again.record.uuid) == (True, first.record.uuid)
        assert await runtime.intake.find(account_id, IdempotencyClaim("k2", "fingerprint")) is None
        gate.open()


async def test_drain_waits_for_the_queue_and_the_running(tmp_path: Path) -> None:
    async with started(tmp_path, workers=2) as runtime:
        account_id = await default_account(runtime)
        accepted = [await submit(runtime, account_id, items=2, delay=0.02) for _ in range(6)]
        await runtime.engine.drain()
        statuses = {(await load(runtime, a.record)).status for a in accepted}
        assert statuses == {OperationStatus.SUCCEEDED}
