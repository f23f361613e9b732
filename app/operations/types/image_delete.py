"""`delete`: remove an image with its keywords."""

from __future__ import annotations

from app.accounts.scopes import Scope
from app.operations.context import RunContext
from app.operations.registry import operation_type
from app.storage import images_store

TYPE = "delete"


@operation_type(TYPE, scope=Scope.IMAGES_DELETE)
async def run(context: RunContext) -> None:
    async with context.commit() as tx:
        deleted = await images_store.delete(tx, context.params["image_id"])
        # Deleting what is already gone is success: a retried delete must not fail.
        context.result["message"] = "Deleted successfully." if deleted else "Already deleted."
