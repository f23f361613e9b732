"""The worker side of the queue: claim operations in order, run them, finish them exactly once.

Modelled on procrastinate and arq: an atomic claim (urgent first, then first in), a semaphore
of `workers` slots, a dispatcher that sleeps until the first of *new operation*, *poll
interval* or *stop*, a timeout per operation, final writes shielded from cancellation, and a
requeue of whatever a dead process left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass
from typing import Any

from app.errors import resource_fault
from app.faults import Faults
from app.metrics import Metrics
from app.operations.context import OperationCanceled, OperationFailed, RunContext
from app.operations.registry import get_type
from app.operations.services import Services
from app.operations.states import OperationStatus
from app.operations.watch import OperationWatch
from app.storage import operations_store
from app.storage.database import Database
from app.storage.operations_store import OperationRecord, Revision
from app.timestamps import now_text

logger = logging.getLogger("darkroom.engine")

POLL_INTERVAL = 1.0  # seconds: a safety net; new operations wake the dispatcher at once
FINISH_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds, while storage is full or locked
CANCELED_BEFORE_START = {"message": "Canceled before it started.", "rolled_back": True}


@dataclass(slots=True)
class _Running:
    task: asyncio.Task[None]
    context: RunContext


class Engine:
    def __init__(
        self,
        db: Database,
        watch: OperationWatch,
        *,
        workers: int,
        operation_timeout: float,
        shutdown_grace: float,
        services: Services,
        faults: Faults | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._services = services
        self._faults = faults or Faults()
        self._metrics = metrics or Metrics()
        self._watch = watch
        self._slots = asyncio.Semaphore(workers)
        self._operation_timeout = operation_timeout
        self._shutdown_grace = shutdown_grace
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._running: dict[int, _Running] = {}
        self._dispatcher: asyncio.Task[None] | None = None
        self._stopping = False

    # Life cycle

    async def start(self) -> None:
        """Recover what a dead process left, load live revisions, start dispatching."""
        async with self._db.write() as tx:
            recovered = await operations_store.recover(tx, now_text(), CANCELED_BEFORE_START)
        if recovered:
            logger.info("recovered %d operations left running", len(recovered))
        for change in await operations_store.unfinished(self._db):
            self._watch.record(change)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="darkroom-dispatcher")

    async def stop(self) -> None:
        """Stop claiming; let running operations finish within the grace, requeue the rest."""
        self._stopping = True
        self._wakeup.set()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
        tasks = [running.task for running in self._running.values()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self._shutdown_grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def wake(self) -> None:
        """A new operation was queued."""
        self._idle.clear()
        self._wakeup.set()

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until the queue is empty and nothing runs (for tests and benchmarks)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # Cancel

    async def cancel(self, record: OperationRecord) -> None:
        """Cancel a queued operation now; ask a running one to stop at its next item."""
        changes = []
        async with self._db.write() as tx:
            change = await operations_store.cancel_queued(tx, record.op_id, now_text(), CANCELED_BEFORE_START)
            if change is None:
                await operations_store.request_cancel(tx, record.op_id)
            else:
                changes = [change]
                # A batch's operations go with it.
                changes += await operations_store.cancel_queued_children(
                    tx, record.op_id, now_text(), CANCELED_BEFORE_START
                )
        for change in changes:
            self._watch.record(change)
        running = self._running.get(record.op_id)
        if running is not None:
            running.context.cancel_requested = True

    # Dispatching

    async def _dispatch(self) -> None:
        while not self._stopping:
            await self._slots.acquire()
            self._wakeup.clear()
            try:
                record = await self._claim()
            except Exception:
                self._slots.release()
                logger.exception("claiming an operation failed")
                await asyncio.sleep(POLL_INTERVAL)
                continue
            if record is None:
                self._slots.release()
                if not self._running:
                    self._idle.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), POLL_INTERVAL)
                continue
            self._idle.clear()
            context = RunContext(record, self._db, self._watch.record, self._services)
            task = asyncio.create_task(self._run(context), name=f"operation-{record.op_id}")
            self._running[record.op_id] = _Running(task, context)
            task.add_done_callback(functools.partial(self._done, record.op_id))

    def _done(self, op_id: int, _: asyncio.Task[None]) -> None:
        self._running.pop(op_id, None)
        self._slots.release()
        # Look again at once: the slot is free and the queue may hold more.
        self._wakeup.set()

    async def _claim(self) -> OperationRecord | None:
        async with self._db.write() as tx:
            record = await operations_store.claim(tx, now_text())
        if record is not None:
            self._watch.record(_revision_of(record))
        return record

    # Running one operation

    async def _run(self, context: RunContext) -> None:
        record = context.record
        status = OperationStatus.SUCCEEDED
        error: dict[str, Any] | None = None
        try:
            context.check_canceled()
            operation_type = get_type(record.type)
            async with asyncio.timeout(self._operation_timeout) as deadline:
                await self._faults.before_operation()  # off unless a test suite turned faults on
                await operation_type.run(context)
        except OperationFailed as failure:
            status, error = OperationStatus.FAILED, failure.as_error()
        except OperationCanceled:
            status = OperationStatus.CANCELED
            context.result.setdefault("message", "Canceled; nothing of it was kept.")
            context.result.setdefault("rolled_back", True)
        except TimeoutError:
            if not deadline.expired():
                raise
            status = OperationStatus.FAILED
            error = {
                "code": "timeout",
                "message": f"The operation took longer than {self._operation_timeout:g} s.",
                "items": [],
            }
        except asyncio.CancelledError:
            # Shutdown past its grace: the operation goes back to the queue, to run again.
            await asyncio.shield(self._requeue(record.op_id))
            raise
        except Exception as failure:
            status = OperationStatus.FAILED
            fault = resource_fault(failure)
            if fault is None:
                logger.exception("operation %s (%s) failed unexpectedly", record.uuid, record.type)
                error = {"code": "internal", "message": "Internal error.", "items": []}
            else:
                logger.warning("operation %s (%s): %s (%s)", record.uuid, record.type, fault.code, failure)
                error = {"code": fault.code, "message": fault.message, "items": []}
        if context.finished is None:
            await asyncio.shield(self._finish(context, status, error))
        self._metrics.operation_finished(record.type, context.finished.status if context.finished else status)

    async def _finish(
        self, context: RunContext, status: OperationStatus, error: dict[str, Any] | None
    ) -> None:
        # The disk may still be full or the database locked: the final status is written once
        # storage comes back, without a restart (past the last delay, start-up's recovery does it).
        for delay in (*FINISH_RETRY_DELAYS, None):
            try:
                async with self._db.write() as tx:
                    change = await context.finish_in(tx, status, error)
                break
            except Exception as failure:
                if delay is None or resource_fault(failure) is None:
                    raise
                logger.warning("finishing operation %s waits for storage: %s", context.record.uuid, failure)
                await asyncio.sleep(delay)
        if change is not None:
            self._watch.record(change)

    async def _requeue(self, op_id: int) -> None:
        async with self._db.write() as tx:
            change = await operations_store.requeue(tx, op_id)
        if change is not None:
            self._watch.record(change)


def _revision_of(record: OperationRecord) -> Revision:
    return Revision(record.op_id, record.uuid, record.account_id, record.revision, record.status)
