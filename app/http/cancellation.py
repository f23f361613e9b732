"""Cancelling an operation, in either dialect: the type's scope, then the engine."""

from __future__ import annotations

from app.accounts.authentication import Principal
from app.errors import OperationFinished, ValidationFailed
from app.operations.registry import get_type
from app.runtime import Darkroom
from app.storage import operations_store
from app.storage.operations_store import OperationRecord


async def cancel(runtime: Darkroom, principal: Principal, record: OperationRecord) -> OperationRecord:
    """Cancel `record`; the operation as it stands after the accept grace."""
    scope = get_type(record.type).scope
    if scope is not None:
        principal.require(scope)
    if record.parent_op_id is not None:
        raise ValidationFailed("This operation is part of a batch: cancel the batch.")
    if record.status.finished:
        raise OperationFinished(f"The operation already {record.status}.")
    await runtime.engine.cancel(record)
    watched = runtime.watch.by_op_id(record.op_id)
    if watched is not None:
        await runtime.watch.wait_finished(watched, runtime.settings.accept_grace_ms / 1000)
    return await operations_store.by_id(runtime.db, record.op_id) or record
