"""`set_create`, `set_update`, `set_delete`, `sets_reorder`: the sets themselves and their tree."""

from __future__ import annotations

from app.accounts.scopes import Scope
from app.operations.context import OperationFailed, RunContext
from app.operations.registry import operation_type
from app.operations.types.set_checks import require_set
from app.storage import images_store, sets_store
from app.storage.database import Transaction

CREATE, UPDATE, DELETE, REORDER = "set_create", "set_update", "set_delete", "sets_reorder"


async def _require_parent(tx: Transaction, parent_id: int | None) -> None:
    if parent_id is not None and await sets_store.by_id(tx, parent_id) is None:
        raise OperationFailed("set_not_found", "The parent set was deleted before this ran.")


@operation_type(CREATE, scope=Scope.SETS_WRITE)
async def create(context: RunContext) -> None:
    params = context.params
    # The uuid was chosen at acceptance, so a rerun after a crash makes the same set.
    public_uuid: str = params["public_uuid"]
    async with context.commit() as tx:
        if await sets_store.by_uuid(tx, public_uuid, context.record.account_id) is None:
            await _require_parent(tx, params["parent_id"])
            await sets_store.insert(
                tx,
                context.record.account_id,
                public_uuid,
                params["parent_id"],
                name=params["name"],
                colour=params["colour"],
                description=params["description"],
                type=params["type"],
            )
        context.result.update(message="Set created.", set_public_uuid=public_uuid)


@operation_type(UPDATE, scope=Scope.SETS_WRITE)
async def update(context: RunContext) -> None:
    set_id: int = context.params["set_id"]
    changes = dict(context.params["changes"])
    async with context.commit() as tx:
        current = await require_set(tx, set_id)
        lead_image_id = changes.get("lead_image_id")
        if lead_image_id is not None:
            lead = await images_store.by_id(tx, lead_image_id)
            if lead is None or lead.account_id != context.record.account_id:
                raise OperationFailed("image_not_found", "The lead image was deleted before this ran.")
        if changes:
            await sets_store.update(tx, set_id, changes)
        if "parent_id" in context.params:
            parent_id: int | None = context.params["parent_id"]
            if parent_id != current.parent_id:
                await _require_parent(tx, parent_id)
                if parent_id is not None and await sets_store.is_ancestor_or_self(tx, set_id, parent_id):
                    raise OperationFailed(
                        "validation", "The new parent is now the set itself or one of its sub-sets."
                    )
                await sets_store.move_under(tx, context.record.account_id, set_id, parent_id)
        context.result["message"] = "Set updated."


@operation_type(DELETE, scope=Scope.SETS_WRITE)
async def delete(context: RunContext) -> None:
    async with context.commit() as tx:
        deleted = await sets_store.delete(tx, context.params["set_id"])
        # Deleting what is already gone is success: a retried delete must not fail.
        if deleted:
            context.result.update(message="Set deleted.", deleted_sets=deleted)
        else:
            context.result.update(message="Already deleted.", deleted_sets=0)


@operation_type(REORDER, scope=Scope.SETS_WRITE)
async def reorder(context: RunContext) -> None:
    parent_id: int | None = context.params["parent_id"]
    set_ids: list[int] = context.params["set_ids"]
    async with context.commit() as tx:
        await _require_parent(tx, parent_id)
        siblings = await sets_store.siblings(tx, context.record.account_id, parent_id)
        if sorted(siblings.values()) != sorted(set_ids):
            raise OperationFailed("validation", "The sets under this parent changed since the request.")
        await sets_store.order_sets(tx, set_ids)
        context.result["message"] = "Sets reordered."
