"""`delete`: remove an image with its keywords, versions and memberships, then its unused files."""

from __future__ import annotations

from app.accounts.scopes import Scope
from app.operations.context import RunContext
from app.operations.registry import operation_type
from app.storage import images_store, versions_store
from app.storage.media_files import MediaFile

TYPE = "delete"


@operation_type(TYPE, scope=Scope.IMAGES_DELETE)
async def run(context: RunContext) -> None:
    image_id: int = context.params["image_id"]
    files: list[MediaFile] = []
    async with context.commit() as tx:
        image = await images_store.by_id(tx, image_id)
        if image is not None:
            versions = (await versions_store.versions_of(tx, [image_id]))[image_id]
            files = [version.file for version in versions]
            if image.sha256 is not None:
                files.append(MediaFile(image.sha256))
        deleted = await images_store.delete(tx, image_id)
        # Deleting what is already gone is success: a retried delete must not fail.
        context.result["message"] = "Deleted successfully." if deleted else "Already deleted."
    # After the commit: a file another image still uses stays (media_files.py).
    await context.collect(files)
