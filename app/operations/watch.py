"""What a poll needs without the database: the current revision of each operation, in memory.

The engine records every committed change here, so an `If-None-Match` poll is answered from
this table alone, and `Prefer: wait` sleeps on the operation's change event. Unfinished
operations are always present (loaded at start-up); finished ones are kept in a bounded LRU
and reloaded by one indexed lookup when they fell out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from dataclasses import dataclass, field

from app.operations.states import OperationStatus
from app.storage.operations_store import Revision


def operation_etag(op_id: int, revision: int) -> str:
    return f'"op{op_id}.{revision}"'


@dataclass(slots=True)
class WatchedOperation:
    op_id: int
    uuid: str
    account_id: int
    revision: int
    finished: bool
    # Set, then replaced by a fresh event, at every change.
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    # Kept with the revision rather than formatted per poll.
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        self.etag = operation_etag(self.op_id, self.revision)


class OperationWatch:
    def __init__(self, finished_capacity: int = 100_000) -> None:
        self._by_uuid: dict[str, WatchedOperation] = {}
        self._by_op_id: dict[int, WatchedOperation] = {}
        self._finished: OrderedDict[int, None] = OrderedDict()
        self._finished_capacity = finished_capacity

    def by_uuid(self, uuid: str) -> WatchedOperation | None:
        return self._by_uuid.get(uuid)

    def by_op_id(self, op_id: int) -> WatchedOperation | None:
        return self._by_op_id.get(op_id)

    def record(self, change: Revision) -> WatchedOperation:
        """Note a committed state of an operation; wake whoever waits on it if it moved."""
        watched = self._by_op_id.get(change.op_id)
        finished = OperationStatus(change.status).finished
        if watched is None:
            watched = WatchedOperation(
                change.op_id, change.uuid, change.account_id, change.revision, finished
            )
            self._by_op_id[change.op_id] = watched
            self._by_uuid[change.uuid] = watched
        elif change.revision > watched.revision:
            watched.revision = change.revision
            watched.etag = operation_etag(change.op_id, change.revision)
            watched.finished = finished
            event, watched.changed = watched.changed, asyncio.Event()
            event.set()
        if watched.finished:
            self._finished[change.op_id] = None
            self._finished.move_to_end(change.op_id)
            while len(self._finished) > self._finished_capacity:
                evicted, _ = self._finished.popitem(last=False)
                self._drop(evicted)
        return watched

    def forget(self, op_id: int) -> None:
        """The operation was deleted (retention)."""
        self._finished.pop(op_id, None)
        self._drop(op_id)

    async def wait_for_change(self, watched: WatchedOperation, timeout: float) -> None:
        """Return when `watched` changes or `timeout` seconds pass, whichever comes first."""
        if watched.finished or timeout <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watched.changed.wait(), timeout)

    async def wait_finished(self, watched: WatchedOperation, timeout: float) -> None:
        """Return when `watched` reaches a terminal state or `timeout` seconds pass."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not watched.finished:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await self.wait_for_change(watched, remaining)

    def _drop(self, op_id: int) -> None:
        watched = self._by_op_id.pop(op_id, None)
        if watched is not None:
            self._by_uuid.pop(watched.uuid, None)
            watched.changed.set()
