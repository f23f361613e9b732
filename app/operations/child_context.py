"""What an operation of a batch sees when its batch runs it: the batch's transaction.

Its `commit()` does not open a transaction but joins the batch's one, and its status is
written there, so every operation of the batch commits together or not at all. What it would
do after committing (noting changes, collecting files) waits for the batch's commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.operations.context import RunContext
from app.operations.states import OperationStatus
from app.storage.database import Transaction
from app.storage.media_files import MediaFile
from app.storage.operations_store import OperationRecord, Revision


class ChildContext(RunContext):
    batch_item = True

    def __init__(
        self,
        record: OperationRecord,
        batch: RunContext,
        tx: Transaction,
        changes: list[Revision],
        files: list[MediaFile],
    ) -> None:
        super().__init__(record, batch.db, changes.append, batch.services)
        self._batch = batch
        self._tx = tx
        self._files = files

    def check_canceled(self) -> None:
        self._batch.check_canceled()

    async def progress(self, *, done: int, failed: int = 0, total: int | None = None) -> None:
        # The batch holds the writer: a progress write would wait for itself. It is kept here
        # and written with the status.
        self.progress_done, self.progress_failed = done, failed
        if total is not None:
            self.progress_total = total

    @asynccontextmanager
    async def commit(self) -> AsyncIterator[Transaction]:
        if self.finished is not None:
            raise RuntimeError("an operation commits once")
        yield self._tx
        self.finished = await self.finish_in(self._tx, OperationStatus.SUCCEEDED, None)
        if self.finished is not None:
            self.note(self.finished)

    async def collect(self, files: list[MediaFile]) -> None:
        self._files.extend(files)
