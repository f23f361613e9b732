"""Operations and idempotency keys in the database.

Every statement that changes an operation returns its `(op_id, uuid, account_id, revision,
status)` so that the caller can keep the in-memory watch right after the commit.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from app.operations.states import OperationStatus
from app.storage.database import Database, Transaction
from app.storage.queries import QUERIES

_INSERT = QUERIES["insert_operation"]
_BY_UUID = QUERIES["operation_by_uuid"]
_BY_OP_ID = QUERIES["operation_by_op_id"]
_BY_ID = QUERIES["operation_by_id"]
_COUNT_QUEUED = QUERIES["count_queued_for_account"]
_CLAIM = QUERIES["claim_operation"]
_PROGRESS = QUERIES["update_progress"]
_FINISH = QUERIES["finish_operation"]
_CANCEL_QUEUED = QUERIES["cancel_queued_operation"]
_REQUEST_CANCEL = QUERIES["request_cancel"]
_REQUEUE = QUERIES["requeue_operation"]
_RECOVER_RUNNING = QUERIES["recover_running_operations"]
_RECOVER_CANCELED = QUERIES["recover_canceled_operations"]
_UNFINISHED = QUERIES["unfinished_operations"]
_DELETE_FINISHED = QUERIES["delete_finished_operations"]
_IDEMPOTENCY_KEY = QUERIES["idempotency_key"]
_CHILDREN_OF = QUERIES["children_of"]
_QUEUE_DEPTH = QUERIES["queue_depth"]
_CANCEL_QUEUED_CHILDREN = QUERIES["cancel_queued_children"]
_FINISH_CHILD = QUERIES["finish_child"]
_INSERT_KEY = QUERIES["insert_idempotency_key"]
_DELETE_KEY = QUERIES["delete_idempotency_key"]
_DELETE_EXPIRED_KEYS = QUERIES["delete_expired_idempotency_keys"]


class OperationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the operations table, JSON columns decoded."""

    op_id: int
    uuid: str
    account_id: int
    type: str
    dialect: str
    status: OperationStatus
    urgent: bool
    params: dict[str, Any]
    image_public_uuids: list[str]
    progress_total: int
    progress_done: int
    progress_failed: int
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    cancel_requested: bool
    attempts: int
    revision: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    # The batch this operation belongs to; such an operation is run by its batch only.
    parent_op_id: int | None = None


class Revision(msgspec.Struct, frozen=True):
    """What the in-memory watch needs to know after a change."""

    op_id: int
    uuid: str
    account_id: int
    revision: int
    status: OperationStatus


class NewOperation(msgspec.Struct, frozen=True, kw_only=True):
    uuid: str
    account_id: int
    type: str
    dialect: str
    urgent: bool
    params: dict[str, Any]
    image_public_uuids: list[str]
    progress_total: int
    created_at: str
    parent_op_id: int | None = None


class IdempotencyRecord(msgspec.Struct, frozen=True):
    fingerprint: str
    op_id: int
    created_at: str


_JSON_COLUMNS = ("params", "image_public_uuids", "result", "error")


def _record(row: sqlite3.Row) -> OperationRecord:
    values = dict(row)
    for column in _JSON_COLUMNS:
        if values[column] is not None:
            values[column] = msgspec.json.decode(values[column])
    return msgspec.convert(values, OperationRecord, strict=False)


def _revision(row: sqlite3.Row) -> Revision:
    return Revision(
        row["op_id"],
        row["uuid"],
        row["account_id"],
        row["revision"],
        OperationStatus(row["status"]),
    )


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


async def insert(tx: Transaction, new: NewOperation) -> OperationRecord:
    row = await tx.fetch_one(
        _INSERT,
        (
            new.uuid,
            new.account_id,
            new.type,
            new.dialect,
            int(new.urgent),
            _json(new.params),
            _json(new.image_public_uuids),
            new.progress_total,
            new.created_at,
            new.parent_op_id,
        ),
    )
    if row is None:
        raise RuntimeError("INSERT ... RETURNING returned no row")
    return _record(row)


async def by_uuid(db: Database | Transaction, uuid: str, account_id: int) -> OperationRecord | None:
    row = await db.lookup(_BY_UUID, (uuid, account_id))
    return None if row is None else _record(row)


async def by_op_id(db: Database | Transaction, op_id: int, account_id: int) -> OperationRecord | None:
    row = await db.lookup(_BY_OP_ID, (op_id, account_id))
    return None if row is None else _record(row)


async def by_id(db: Database | Transaction, op_id: int) -> OperationRecord | None:
    row = await db.fetch_one(_BY_ID, (op_id,))
    return None if row is None else _record(row)


async def count_queued(tx: Transaction, account_id: int) -> int:
    row = await tx.fetch_one(_COUNT_QUEUED, (account_id,))
    return 0 if row is None else int(row["n"])


async def claim(tx: Transaction, started_at: str) -> OperationRecord | None:
    row = await tx.fetch_one(_CLAIM, (started_at,))
    return None if row is None else _record(row)


async def update_progress(tx: Transaction, op_id: int, total: int, done: int, failed: int) -> Revision | None:
    row = await tx.fetch_one(_PROGRESS, (total, done, failed, op_id))
    return None if row is None else _revision(row)


async def finish(
    tx: Transaction,
    op_id: int,
    status: OperationStatus,
    *,
    result: dict[str, Any] | None,
    error: dict[str, Any] | None,
    finished_at: str,
    progress: tuple[int, int, int],
    batch_item: bool = False,
) -> Revision | None:
    """End an operation: a running one, or (`batch_item`) a queued item of a batch."""
    total, done, failed = progress
    row = await tx.fetch_one(
        _FINISH_CHILD if batch_item else _FINISH,
        (status.value, _json(result), _json(error), finished_at, total, done, failed, op_id),
    )
    return None if row is None else _revision(row)


async def cancel_queued(
    tx: Transaction, op_id: int, finished_at: str, result: dict[str, Any]
) -> Revision | None:
    row = await tx.fetch_one(_CANCEL_QUEUED, (finished_at, _json(result), op_id))
    return None if row is None else _revision(row)


async def children_of(db: Database | Transaction, op_id: int) -> list[OperationRecord]:
    return [_record(row) for row in await db.fetch_all(_CHILDREN_OF, (op_id,))]


async def cancel_queued_children(
    tx: Transaction, op_id: int, finished_at: str, result: dict[str, Any]
) -> list[Revision]:
    rows = await tx.fetch_all(_CANCEL_QUEUED_CHILDREN, (finished_at, _json(result), op_id))
    return [_revision(row) for row in rows]


async def request_cancel(tx: Transaction, op_id: int) -> Revision | None:
    row = await tx.fetch_one(_REQUEST_CANCEL, (op_id,))
    return None if row is None else _revision(row)


async def requeue(tx: Transaction, op_id: int) -> Revision | None:
    row = await tx.fetch_one(_REQUEUE, (op_id,))
    return None if row is None else _revision(row)


async def recover(tx: Transaction, finished_at: str, canceled_result: dict[str, Any]) -> list[Revision]:
    """Requeue what a dead process left running; end the ones whose cancel was asked for."""
    canceled = await tx.fetch_all(_RECOVER_CANCELED, (finished_at, _json(canceled_result)))
    requeued = await tx.fetch_all(_RECOVER_RUNNING)
    return [_revision(row) for row in (*canceled, *requeued)]


async def unfinished(db: Database) -> list[Revision]:
    return [_revision(row) for row in await db.fetch_all(_UNFINISHED)]


async def delete_finished_before(tx: Transaction, cutoff: str) -> list[int]:
    return [int(row["op_id"]) for row in await tx.fetch_all(_DELETE_FINISHED, (cutoff,))]


class OperationFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Filters of an account's operations list; they stack."""

    statuses: list[str] | None = None
    types: list[str] | None = None
    types_not_like: str | None = None  # a LIKE pattern of types left out
    created_from: str | None = None
    created_to: str | None = None

    def where(self, account_id: int) -> tuple[str, list[Any]]:
        clauses = ["account_id = ?"]
        params: list[Any] = [account_id]
        if self.statuses is not None:
            clauses.append("status IN (SELECT value FROM json_each(?))")
            params.append(_json(self.statuses))
        if self.types is not None:
            clauses.append("type IN (SELECT value FROM json_each(?))")
            params.append(_json(self.types))
        for clause, value in (
            ("type NOT LIKE ? ESCAPE '\\'", self.types_not_like),
            ("created_at >= ?", self.created_from),
            ("created_at <= ?", self.created_to),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        return " AND ".join(clauses), params


async def list_for_account(
    db: Database, account_id: int, filter: OperationFilter, *, limit: int, offset: int
) -> list[OperationRecord]:
    """A page of an account's operations, newest first."""
    where, params = filter.where(account_id)
    sql = f"SELECT * FROM operations WHERE {where} ORDER BY op_id DESC LIMIT ? OFFSET ?"
    rows = await db.fetch_all(sql, (*params, limit, offset))
    return [_record(row) for row in rows]


async def count_for_account(db: Database, account_id: int, filter: OperationFilter) -> int:
    where, params = filter.where(account_id)
    row = await db.fetch_one(f"SELECT count(*) AS n FROM operations WHERE {where}", params)
    return 0 if row is None else int(row["n"])


async def idempotency_key(tx: Transaction, account_id: int, key: str) -> IdempotencyRecord | None:
    row = await tx.fetch_one(_IDEMPOTENCY_KEY, (account_id, key))
    if row is None:
        return None
    return IdempotencyRecord(row["fingerprint"], row["op_id"], row["created_at"])


async def insert_idempotency_key(
    tx: Transaction, account_id: int, key: str, fingerprint: str, op_id: int, created_at: str
) -> None:
    await tx.execute(_INSERT_KEY, (account_id, key, fingerprint, op_id, created_at))


async def delete_idempotency_key(tx: Transaction, account_id: int, key: str) -> None:
    await tx.execute(_DELETE_KEY, (account_id, key))


async def delete_expired_idempotency_keys(tx: Transaction, cutoff: str) -> int:
    return await tx.execute(_DELETE_EXPIRED_KEYS, (cutoff,))


async def queue_depth(db: Database) -> tuple[int, int]:
    """(queued, running) operations across accounts."""
    row = await db.fetch_one(_QUEUE_DEPTH)
    return (0, 0) if row is None else (int(row["queued"]), int(row["running"]))
