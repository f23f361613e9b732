"""Accepting a write: the operation row and its idempotency record, in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from app.errors import IdempotencyKeyConflict, RateLimited
from app.operations.engine import Engine
from app.operations.idempotency import IdempotencyClaim
from app.operations.watch import OperationWatch
from app.storage import operations_store
from app.storage.database import Database, Transaction
from app.storage.operations_store import NewOperation, OperationRecord, Revision
from app.timestamps import now_text, text_ago

RATE_LIMIT_RETRY_AFTER = "5"  # seconds: long enough for a worker to drain a few operations


@dataclass(frozen=True, slots=True)
class Submission:
    """A checked write, ready to be queued."""

    type: str
    params: dict[str, Any]
    image_public_uuids: list[str] = field(default_factory=list)
    progress_total: int = 1
    dialect: str = "v1"
    urgent: bool = False
    # A batch's operations: stored with it, run by it (never claimed on their own).
    children: list[Submission] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Accepted:
    record: OperationRecord
    replayed: bool


class Intake:
    """Turns checked writes into queued operations (or the operation a key already started)."""

    def __init__(
        self,
        db: Database,
        watch: OperationWatch,
        engine: Engine,
        *,
        max_queued: int,
        idempotency_ttl: float,
    ) -> None:
        self._db = db
        self._watch = watch
        self._engine = engine
        self._max_queued = max_queued
        self._idempotency_ttl = idempotency_ttl

    async def find(self, account_id: int, claim: IdempotencyClaim) -> OperationRecord | None:
        """The live operation this key started, `409` if it was for another request."""
        async with self._db.write() as tx:
            return await self._known(tx, account_id, claim)

    async def submit(
        self, account_id: int, submission: Submission, claim: IdempotencyClaim | None
    ) -> Accepted:
        async with self._db.write() as tx:
            if claim is not None:
                original = await self._known(tx, account_id, claim)
                if original is not None:
                    return Accepted(original, replayed=True)
            if await operations_store.count_queued(tx, account_id) >= self._max_queued:
                raise RateLimited(headers={"Retry-After": RATE_LIMIT_RETRY_AFTER})
            created_at = now_text()
            record = await _insert(tx, account_id, submission, created_at, None)
            children = [
                await _insert(tx, account_id, child, created_at, record.op_id)
                for child in submission.children
            ]
            if claim is not None:
                await operations_store.insert_idempotency_key(
                    tx, account_id, claim.key, claim.fingerprint, record.op_id, created_at
                )
        for stored in (record, *children):
            self._watch.record(
                Revision(stored.op_id, stored.uuid, stored.account_id, stored.revision, stored.status)
            )
        self._engine.wake()
        return Accepted(record, replayed=False)

    async def _known(
        self, tx: Transaction, account_id: int, claim: IdempotencyClaim
    ) -> OperationRecord | None:
        known = await operations_store.idempotency_key(tx, account_id, claim.key)
        if known is None:
            return None
        if known.created_at < text_ago(self._idempotency_ttl):
            # Expired: the key starts new work; the old record goes now, in this transaction.
            await operations_store.delete_idempotency_key(tx, account_id, claim.key)
            return None
        if known.fingerprint != claim.fingerprint:
            raise IdempotencyKeyConflict
        return await operations_store.by_id(tx, known.op_id)


async def _insert(
    tx: Transaction, account_id: int, submission: Submission, created_at: str, parent_op_id: int | None
) -> OperationRecord:
    return await operations_store.insert(
        tx,
        NewOperation(
            uuid=f"op-{uuid.uuid4()}",
            account_id=account_id,
            type=submission.type,
            dialect=submission.dialect,
            urgent=submission.urgent,
            params=submission.params,
            image_public_uuids=submission.image_public_uuids,
            progress_total=submission.progress_total,
            created_at=created_at,
            parent_op_id=parent_op_id,
        ),
    )
