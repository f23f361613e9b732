"""What an operation type sees while it runs, and how it says it failed or was canceled."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import msgspec

from app.operations.services import Services
from app.operations.states import OperationStatus
from app.storage import operations_store
from app.storage.database import Database, Transaction
from app.storage.media_files import MediaFile
from app.storage.operations_store import OperationRecord, Revision
from app.timestamps import now_text

PROGRESS_INTERVAL = 0.25  # seconds between two progress writes, as the contract allows


class ItemError(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One item that could not be done."""

    index: int
    code: str
    message: str
    image_public_uuid: str | None = None
    id: str | None = None


class OperationFailed(Exception):
    """Raised by an operation type: nothing of it is committed, the operation ends `failed`."""

    def __init__(self, code: str, message: str, items: list[ItemError] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.items = items or []

    def as_error(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "items": msgspec.to_builtins(self.items),
        }


class OperationCanceled(Exception):
    """Raised at an item boundary once a cancel was asked for."""


class RunContext:
    """Handed to an operation type's `run`: its record, reads, progress, cancel and commit."""

    # An item of a batch ends from `queued`, in its batch's transaction (child_context.py).
    batch_item = False

    def __init__(
        self,
        record: OperationRecord,
        db: Database,
        on_change: Callable[[Revision], object],
        services: Services,
    ) -> None:
        self.record = record
        self.db = db
        self.services = services
        self.result: dict[str, Any] = {}
        self.cancel_requested = record.cancel_requested
        self.finished: Revision | None = None
        self.progress_total = record.progress_total
        self.progress_done = 0
        self.progress_failed = 0
        self._on_change = on_change
        self._last_progress = 0.0
        self._committing = False

    @property
    def params(self) -> dict[str, Any]:
        return self.record.params

    def note(self, change: Revision) -> None:
        """A change of an operation, committed: the in-memory watch learns it."""
        self._on_change(change)

    async def collect(self, files: list[MediaFile]) -> None:
        """Files this operation stopped using, once it committed (deleted unless still used)."""
        await self.services.media.collect(files)

    def check_canceled(self) -> None:
        if self.cancel_requested:
            raise OperationCanceled

    async def progress(self, *, done: int, failed: int = 0, total: int | None = None) -> None:
        """Note progress; written at most every PROGRESS_INTERVAL seconds."""
        self.progress_done, self.progress_failed = done, failed
        if total is not None:
            self.progress_total = total
        if self._committing:
            # Inside commit() this task holds the one writer: a write here would wait for
            # itself. The progress commits with the operation's status instead.
            return
        moment = time.monotonic()
        if moment - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = moment
        async with self.db.write() as tx:
            change = await operations_store.update_progress(
                tx, self.record.op_id, self.progress_total, done, failed
            )
        if change is not None:
            self._on_change(change)

    @asynccontextmanager
    async def commit(self) -> AsyncIterator[Transaction]:
        """The operation's one write transaction; its `succeeded` status commits with it."""
        if self.finished is not None:
            raise RuntimeError("an operation commits once")
        self._committing = True
        change = None
        try:
            async with self.db.write() as tx:
                yield tx
                change = await self.finish_in(tx, OperationStatus.SUCCEEDED, None)
        except asyncio.CancelledError:
            # Cancelled (timeout, shutdown) once the body was done: the COMMIT is shielded and
            # goes through, so the watch must hear of it, or polls would see `running` forever.
            if change is not None:
                self.finished = change
                self._on_change(change)
            raise
        finally:
            self._committing = False
        # Only now, once COMMIT went through: a COMMIT that failed (a full disk) finished nothing.
        self.finished = change
        if change is not None:
            self._on_change(change)

    async def finish_in(
        self, tx: Transaction, status: OperationStatus, error: dict[str, Any] | None
    ) -> Revision | None:
        if status is OperationStatus.SUCCEEDED and self.progress_done == 0:
            self.progress_done = self.progress_total
        return await operations_store.finish(
            tx,
            self.record.op_id,
            status,
            result=self.result or None,
            error=error,
            finished_at=now_text(),
            progress=(self.progress_total, self.progress_done, self.progress_failed),
            batch_item=self.batch_item,
        )


RunFunction = Callable[[RunContext], Coroutine[Any, Any, None]]
