"""`metadata`, `rating`, `alt_text`, `credits_add`, `credits_remove`: an image's editable fields."""

from __future__ import annotations

from app.accounts.scopes import Scope
from app.operations.context import OperationFailed, RunContext
from app.operations.registry import operation_type
from app.storage import images_store
from app.storage.database import Transaction

METADATA, RATING, ALT_TEXT = "metadata", "rating", "alt_text"
CREDITS_ADD, CREDITS_REMOVE = "credits_add", "credits_remove"


async def _require_image(tx: Transaction, image_id: int) -> None:
    if await images_store.by_id(tx, image_id) is None:
        raise OperationFailed("image_not_found", "The image was deleted before this ran.")


@operation_type(METADATA, scope=Scope.METADATA_WRITE)
@operation_type(RATING, scope=Scope.RATINGS_WRITE)
@operation_type(ALT_TEXT, scope=Scope.METADATA_WRITE)
async def set_fields(context: RunContext) -> None:
    """Set the columns in `changes` (already validated at acceptance)."""
    async with context.commit() as tx:
        await _require_image(tx, context.params["image_id"])
        await images_store.update(tx, context.params["image_id"], context.params["changes"])
        context.result["message"] = "Updated successfully."


@operation_type(CREDITS_ADD, scope=Scope.METADATA_WRITE)
async def add_credit(context: RunContext) -> None:
    async with context.commit() as tx:
        await _require_image(tx, context.params["image_id"])
        added = await images_store.add_credit(
            tx, context.params["image_id"], context.params["role"], context.params["name"]
        )
        context.result.update(message="Credit added.", added=added)


@operation_type(CREDITS_REMOVE, scope=Scope.METADATA_WRITE)
async def remove_credit(context: RunContext) -> None:
    async with context.commit() as tx:
        await _require_image(tx, context.params["image_id"])
        removed = await images_store.remove_credit(
            tx, context.params["image_id"], context.params["role"], context.params["name"]
        )
        context.result.update(message="Credit removed.", removed=removed)
