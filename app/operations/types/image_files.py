"""Operations on an image's files: `regenerate_versions`, `crop`, `crop_delete`, and
`extract_metadata` (which reads what the processor found in the file)."""

from __future__ import annotations

from typing import Any

import msgspec

from app.accounts.scopes import Scope
from app.operations.context import OperationFailed, RunContext
from app.operations.registry import operation_type
from app.operations.types.processing import (
    ATTEMPTS,
    FilesCollected,
    all_present,
    process,
    version_rows,
)
from app.processor.pipeline import ProcessedImage
from app.processor.profiles import CropBox
from app.storage import images_store, versions_store
from app.storage.database import Transaction
from app.storage.images_store import ImageRow, Keyword
from app.storage.media_files import MediaFile
from app.storage.versions_store import CropArea, VersionRow

REGENERATE, CROP, CROP_DELETE = "regenerate_versions", "crop", "crop_delete"
EXTRACT_METADATA = "extract_metadata"


def crop_name(aspect: str) -> str:
    """`16:9` is the version `crop_16x9`."""
    return "crop_" + aspect.replace(":", "x")


async def rerender(
    context: RunContext, image: ImageRow, *, rotation: int, crops: dict[str, CropArea], index: int = 0
) -> tuple[ProcessedImage, list[VersionRow]]:
    """Render every profile and the given crops of `image` from its original."""
    if image.sha256 is None:
        raise OperationFailed("no_file", "The image has no file to make versions from.")
    boxes = [CropBox(x=area.x, y=area.y, width=area.width, height=area.height) for area in crops.values()]
    processed = await process(
        context,
        context.services.media.path(MediaFile(image.sha256)),
        rotation=rotation,
        crops=boxes,
        index=index,
        image_public_uuid=image.public_uuid,
    )
    profiles = version_rows(processed)[: len(processed.versions)]
    named = [
        msgspec.structs.replace(VersionRow(**msgspec.structs.asdict(version)), name=name, box=area)
        for version, (name, area) in zip(processed.crops, crops.items(), strict=True)
    ]
    return processed, profiles + named


async def store_versions(
    tx: Transaction, image_id: int, rows: list[VersionRow], *, replace_crops: bool
) -> list[MediaFile]:
    """Put the rendered versions in place; return the files of the ones they replaced."""
    profiles = [row for row in rows if row.box is None]
    old = await versions_store.replace_profile_versions(tx, image_id, profiles)
    if replace_crops:
        old += await versions_store.delete_crops(tx, image_id)
    for row in rows:
        if row.box is not None:
            replaced = await versions_store.delete(tx, image_id, row.name)
            if replaced is not None:
                old.append(replaced)
            await versions_store.put(tx, image_id, row)
    return old


async def crops_of(context: RunContext, image_id: int) -> dict[str, CropArea]:
    versions = (await versions_store.versions_of(context.db, [image_id]))[image_id]
    return {version.name: version.box for version in versions if version.box is not None}


async def _image(context: RunContext, image_id: int) -> ImageRow:
    image = await images_store.by_id(context.db, image_id)
    if image is None:
        raise OperationFailed("image_not_found", "The image was deleted before this ran.")
    return image


@operation_type(REGENERATE, scope=Scope.IMAGES_WRITE)
async def regenerate(context: RunContext) -> None:
    image_ids: list[int] = context.params["image_ids"]
    old: list[MediaFile] = []
    for _ in range(ATTEMPTS):
        rendered: list[tuple[int, ProcessedImage, list[VersionRow]]] = []
        for index, image_id in enumerate(image_ids):
            context.check_canceled()
            image = await images_store.by_id(context.db, image_id)
            if image is not None and image.sha256 is not None:
                crops = await crops_of(context, image_id)
                processed, rows = await rerender(
                    context, image, rotation=image.rotation, crops=crops, index=index
                )
                rendered.append((image_id, processed, rows))
            await context.progress(done=index + 1)
        try:
            async with context.commit() as tx:
                if not await all_present(context, [processed for _, processed, _ in rendered]):
                    raise FilesCollected
                for image_id, _, rows in rendered:
                    if await images_store.by_id(tx, image_id) is not None:
                        old += await store_versions(tx, image_id, rows, replace_crops=False)
                context.result.update(message="Versions rebuilt.", images=len(rendered))
            break
        except FilesCollected:
            continue
    await context.collect(old)


@operation_type(CROP, scope=Scope.METADATA_WRITE)
async def crop(context: RunContext) -> None:
    name: str = context.params["name"]
    area = msgspec.convert(context.params["box"], CropArea)
    image = await _image(context, context.params["image_id"])
    old: list[MediaFile] = []
    for _ in range(ATTEMPTS):
        processed, rows = await rerender(context, image, rotation=image.rotation, crops={name: area})
        try:
            async with context.commit() as tx:
                if not await all_present(context, [processed]):
                    raise FilesCollected
                if await images_store.by_id(tx, image.image_id) is None:
                    raise OperationFailed("image_not_found", "The image was deleted before this ran.")
                old = await store_versions(tx, image.image_id, rows, replace_crops=False)
                context.result.update(message="Crop made.", version=name)
            break
        except FilesCollected:
            continue
    await context.collect(old)


@operation_type(CROP_DELETE, scope=Scope.METADATA_WRITE)
async def crop_delete(context: RunContext) -> None:
    async with context.commit() as tx:
        gone = await versions_store.delete(tx, context.params["image_id"], context.params["name"])
        context.result.update(message="Crop deleted.", deleted=gone is not None)
    if gone is not None:
        await context.collect([gone])


@operation_type(EXTRACT_METADATA, scope=Scope.METADATA_WRITE)
async def extract_metadata(context: RunContext) -> None:
    """Copy the caption, keywords and date the file carries into the editable fields."""
    async with context.commit() as tx:
        image = await images_store.by_id(tx, context.params["image_id"])
        if image is None:
            raise OperationFailed("image_not_found", "The image was deleted before this ran.")
        embedded: dict[str, Any] = image.embedded
        changes: dict[str, Any] = {}
        if embedded.get("caption"):
            changes["description"] = embedded["caption"]
        taken = embedded.get("date") or (image.exif.get("taken_at") or "")[:10] or None
        if taken:
            changes["creation_date"] = taken
        if changes:
            await images_store.update(tx, image.image_id, changes)
        added = await images_store.add_keywords(
            tx, image.image_id, [Keyword(None, text) for text in embedded.get("keywords", [])]
        )
        copied = sorted(changes) + (["keywords"] if embedded.get("keywords") else [])
        context.result.update(message="Metadata extracted.", copied=copied, keywords_added=added)
