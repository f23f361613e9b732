"""`update`: change an image's title, description, creation date or rotation (a new rotation
renders every version again, and drops the crops, whose boxes no longer fit)."""

from __future__ import annotations

from typing import Any

from app.accounts.scopes import Scope
from app.operations.context import OperationFailed, RunContext
from app.operations.registry import operation_type
from app.operations.types.image_files import rerender, store_versions
from app.operations.types.processing import ATTEMPTS, FilesCollected, all_present
from app.storage import images_store
from app.storage.images_store import ImageRow
from app.storage.media_files import MediaFile

TYPE = "update"


@operation_type(TYPE, scope=Scope.IMAGES_WRITE)
async def run(context: RunContext) -> None:
    image_id: int = context.params["image_id"]
    changes: dict[str, Any] = dict(context.params["changes"])
    image = await images_store.by_id(context.db, image_id)
    if image is None:
        raise OperationFailed("image_not_found", "The image was deleted before the update ran.")
    rotation = changes.get("rotation", image.rotation)
    if rotation != image.rotation and image.sha256 is not None:
        await _turn(context, image, changes, rotation)
        return
    async with context.commit() as tx:
        if await images_store.by_id(tx, image_id) is None:
            raise OperationFailed("image_not_found", "The image was deleted before the update ran.")
        if (rotation - image.rotation) % 180 and image.width is not None and image.height is not None:
            # width and height are those of the upright image, after rotation.
            changes["width"], changes["height"] = image.height, image.width
        await images_store.update(tx, image_id, changes)
        context.result["message"] = "Updated successfully."


async def _turn(context: RunContext, image: ImageRow, changes: dict[str, Any], rotation: int) -> None:
    old: list[MediaFile] = []
    for _ in range(ATTEMPTS):
        processed, rows = await rerender(context, image, rotation=rotation, crops={})
        try:
            async with context.commit() as tx:
                if not await all_present(context, [processed]):
                    raise FilesCollected
                if await images_store.by_id(tx, image.image_id) is None:
                    raise OperationFailed("image_not_found", "The image was deleted before the update ran.")
                await images_store.update(
                    tx, image.image_id, {**changes, "width": processed.width, "height": processed.height}
                )
                old = await store_versions(tx, image.image_id, rows, replace_crops=True)
                context.result["message"] = "Updated successfully; versions rendered again."
            break
        except FilesCollected:
            continue
    await context.collect(old)
