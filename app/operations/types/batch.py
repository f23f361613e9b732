"""`batch`: up to 50 writes of /v1, run in order in one transaction, all or nothing."""

from __future__ import annotations

from typing import Any

from app.operations.child_context import ChildContext
from app.operations.context import ItemError, OperationCanceled, OperationFailed, RunContext
from app.operations.registry import get_type, operation_type
from app.operations.states import OperationStatus
from app.storage import operations_store
from app.storage.media_files import MediaFile
from app.storage.operations_store import OperationRecord, Revision
from app.timestamps import now_text

TYPE = "batch"

# The types a batch may hold: database work only, so that holding the one writer while the
# batch runs stays short (uploads, regenerating and crops render files for seconds).
BATCHABLE = frozenset(
    {
        "update",
        "delete",
        "metadata",
        "rating",
        "alt_text",
        "credits_add",
        "credits_remove",
        "keywords_add",
        "keywords_remove",
        "keywords_rename",
        "extract_metadata",
        "crop_delete",
        "set_create",
        "set_update",
        "set_delete",
        "sets_reorder",
        "set_images_add",
        "set_images_move",
        "set_images_remove",
        "set_order",
        "set_visibility",
        "set_restore",
    }
)


class _ItemFailed(Exception):
    def __init__(self, index: int, child: OperationRecord, error: dict[str, Any]) -> None:
        self.index = index
        self.child = child
        self.error = error


# Each item needed its own scope to be accepted; cancelling the batch needs none more.
@operation_type(TYPE, scope=None)
async def run(context: RunContext) -> None:
    children = await operations_store.children_of(context.db, context.record.op_id)
    ended = [child for child in children if child.status.finished]
    if ended:
        # A restart between the end of the items and the end of the batch: end it the same way.
        raise OperationFailed("batch_failed", "The batch had already failed; nothing was applied.")
    changes: list[Revision] = []
    files: list[MediaFile] = []
    try:
        async with context.commit() as tx:
            for index, child in enumerate(children):
                context.check_canceled()
                item = ChildContext(child, context, tx, changes, files)
                try:
                    await get_type(child.type).run(item)
                except OperationFailed as failure:
                    raise _ItemFailed(index, child, failure.as_error()) from None
                except (OperationCanceled, _ItemFailed):
                    raise
                except Exception as error:
                    raise _ItemFailed(
                        index, child, {"code": "internal", "message": "Internal error.", "items": []}
                    ) from error
                if item.finished is None:
                    item.finished = await item.finish_in(tx, OperationStatus.SUCCEEDED, None)
                    if item.finished is not None:
                        changes.append(item.finished)
                await context.progress(done=index + 1)
            context.result.update(
                message=f"{len(children)} operations applied.",
                operations=[child.uuid for child in children],
            )
    except _ItemFailed as failed:
        await _end_the_rest(context, children, OperationStatus.FAILED, failed)
        message = failed.error["message"]
        raise OperationFailed(
            failed.error["code"],
            f"Operation {failed.index} of the batch failed ({message}); nothing was applied.",
            [ItemError(index=failed.index, code=failed.error["code"], message=message)],
        ) from None
    except OperationCanceled:
        await _end_the_rest(context, children, OperationStatus.CANCELED, None)
        raise
    for change in changes:
        context.note(change)
    await context.collect(files)


async def _end_the_rest(
    context: RunContext,
    children: list[OperationRecord],
    status: OperationStatus,
    failed: _ItemFailed | None,
) -> None:
    """After a rollback: every item ends with the batch; the failing one says why."""
    changes = []
    async with context.db.write() as tx:
        for child in children:
            if failed is not None and child.op_id == failed.child.op_id:
                error: dict[str, Any] | None = failed.error
            elif status is OperationStatus.FAILED:
                error = {
                    "code": "batch_failed",
                    "message": "Another operation of the batch failed.",
                    "items": [],
                }
            else:
                error = None
            result = {"message": "Canceled with its batch.", "rolled_back": True} if error is None else None
            change = await operations_store.finish(
                tx,
                child.op_id,
                status,
                result=result,
                error=error,
                finished_at=now_text(),
                progress=(1, 0, 0),
                batch_item=True,
            )
            if change is not None:
                changes.append(change)
    for change in changes:
        context.note(change)
