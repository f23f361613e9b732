"""`update`: change an image's title, description, creation date or rotation."""

from __future__ import annotations

from app.accounts.scopes import Scope
from app.operations.context import OperationFailed, RunContext
from app.operations.registry import operation_type
from app.storage import images_store

TYPE = "update"


@operation_type(TYPE, scope=Scope.IMAGES_WRITE)
async def run(context: RunContext) -> None:
    image_id: int = context.params["image_id"]
    changes = dict(context.params["changes"])
    async with context.commit() as tx:
        image = await images_store.by_id(tx, image_id)
        if image is None:
            raise OperationFailed("image_not_found", "The image was deleted before the update ran.")
        rotation = changes.get("rotation")
        turned = rotation is not None and (rotation - image.rotation) % 180 != 0
        if turned and image.width is not None and image.height is not None:
            # width and height are those of the upright image, after rotation.
            changes["width"], changes["height"] = image.height, image.width
        await images_store.update(tx, image_id, changes)
        context.result["message"] = "Updated successfully."
