"""`set_images_add`, `set_images_move`, `set_images_remove`, `set_order`, `set_visibility`,
`set_restore`: which images a set holds, in which order, which are hidden.

Each is one transaction of a few statements whatever the number of images. Every
rearrangement first snapshots the membership of each set it changes.
"""

from __future__ import annotations

from app.accounts.scopes import Scope
from app.operations.context import OperationFailed, RunContext
from app.operations.registry import operation_type
from app.operations.types.set_checks import require_images, require_set
from app.storage import sets_store
from app.storage.database import Transaction

ADD, MOVE, REMOVE = "set_images_add", "set_images_move", "set_images_remove"
ORDER, VISIBILITY, RESTORE = "set_order", "set_visibility", "set_restore"


async def _snapshot(tx: Transaction, set_id: int, operation_type: str) -> None:
    await sets_store.save_snapshot(tx, set_id, operation_type)
    await sets_store.prune_snapshots(tx, set_id)


@operation_type(ADD, scope=Scope.SETS_WRITE)
async def add(context: RunContext) -> None:
    set_id: int = context.params["set_id"]
    image_ids: list[int] = context.params["image_ids"]
    async with context.commit() as tx:
        await require_set(tx, set_id)
        await require_images(tx, context, image_ids)
        await _snapshot(tx, set_id, ADD)
        added = await sets_store.add_images(tx, set_id, image_ids)
        await sets_store.touch(tx, set_id)
        context.result.update(message="Images added.", added=added)


@operation_type(MOVE, scope=Scope.SETS_WRITE)
async def move(context: RunContext) -> None:
    set_id: int = context.params["set_id"]
    from_set_id: int = context.params["from_set_id"]
    image_ids: list[int] = context.params["image_ids"]
    async with context.commit() as tx:
        await require_set(tx, set_id)
        await require_set(tx, from_set_id)
        await require_images(tx, context, image_ids)
        await _snapshot(tx, set_id, MOVE)
        await _snapshot(tx, from_set_id, MOVE)
        added = await sets_store.add_images(tx, set_id, image_ids, coming_from=from_set_id)
        removed = await sets_store.remove_images(tx, from_set_id, image_ids)
        await sets_store.touch(tx, set_id)
        await sets_store.touch(tx, from_set_id)
        context.result.update(message="Images moved.", added=added, removed=removed)


@operation_type(REMOVE, scope=Scope.SETS_WRITE)
async def remove(context: RunContext) -> None:
    set_id: int = context.params["set_id"]
    async with context.commit() as tx:
        await require_set(tx, set_id)
        await _snapshot(tx, set_id, REMOVE)
        removed = await sets_store.remove_images(tx, set_id, context.params["image_ids"])
        await sets_store.touch(tx, set_id)
        context.result.update(message="Images removed.", removed=removed)


@operation_type(ORDER, scope=Scope.SETS_WRITE)
async def order(context: RunContext) -> None:
    set_id: int = context.params["set_id"]
    image_ids: list[int] = context.params["image_ids"]
    async with context.commit() as tx:
        await require_set(tx, set_id)
        members = await sets_store.member_ids(tx, set_id)
        if sorted(members.values()) != sorted(image_ids):
            raise OperationFailed("validation", "The set's images changed since the request.")
        await _snapshot(tx, set_id, ORDER)
        await sets_store.order_images(tx, set_id, image_ids)
        await sets_store.touch(tx, set_id)
        context.result["message"] = "Images reordered."


@operation_type(VISIBILITY, scope=Scope.SETS_WRITE)
async def visibility(context: RunContext) -> None:
    set_id: int = context.params["set_id"]
    async with context.commit() as tx:
        await require_set(tx, set_id)
        changed = await sets_store.set_visibility(
            tx,
            set_id,
            context.params["image_ids"],
            hidden=context.params["hidden"],
            activation_time=context.params["activation_time"],
        )
        await sets_store.touch(tx, set_id)
        context.result.update(message="Visibility changed.", changed=changed)


@operation_type(RESTORE, scope=Scope.SETS_WRITE)
async def restore(context: RunContext) -> None:
    set_id: int = context.params["set_id"]
    snapshot_id: int = context.params["snapshot_id"]
    async with context.commit() as tx:
        await require_set(tx, set_id)
        snapshot = await sets_store.snapshot_by_id(tx, snapshot_id)
        if snapshot is None or snapshot.set_id != set_id:
            raise OperationFailed("snapshot_not_found", "The snapshot was pruned before this ran.")
        # Saved first, pruned last: the snapshot restored may be the oldest one kept.
        await sets_store.save_snapshot(tx, set_id, RESTORE)
        restored = await sets_store.restore(tx, set_id, snapshot_id)
        await sets_store.prune_snapshots(tx, set_id)
        await sets_store.touch(tx, set_id)
        context.result.update(message="Set restored.", image_count=restored)
