"""Running the processor for an operation: a failed file becomes the operation's item error,
and the files it stored are checked again inside the transaction that references them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec

from app.operations.context import ItemError, OperationFailed, RunContext
from app.processor.errors import ItemFailure
from app.processor.pipeline import ProcessedImage
from app.processor.profiles import CropBox
from app.storage.database import Transaction
from app.storage.media_files import MediaFile
from app.storage.versions_store import VersionRow

# A file collected between processing and commit (its last image was deleted meanwhile)
# is simply made again; twice in a row would take a pathological race.
ATTEMPTS = 3


def item_failed(failure: ItemFailure, *, index: int = 0, **item: Any) -> OperationFailed:
    error = ItemError(index=index, code=failure.code, message=failure.message, **item)
    return OperationFailed(failure.code, failure.message, [error])


def version_rows(processed: ProcessedImage) -> list[VersionRow]:
    return [
        VersionRow(**msgspec.structs.asdict(version)) for version in (*processed.versions, *processed.crops)
    ]


def files_of(processed: ProcessedImage) -> list[MediaFile]:
    return [MediaFile(processed.sha256), *(row.file for row in version_rows(processed))]


async def process(
    context: RunContext,
    path: Path,
    *,
    rotation: int,
    crops: Sequence[CropBox] = (),
    index: int = 0,
    image_public_uuid: str | None = None,
) -> ProcessedImage:
    services = context.services
    try:
        return await services.pool.process(
            path,
            rotation=rotation,
            profiles=services.settings.profiles,
            media_root=services.media.store.root,
            crops=crops,
        )
    except ItemFailure as failure:
        raise item_failed(failure, index=index, image_public_uuid=image_public_uuid) from None


async def all_present(context: RunContext, processed: Sequence[ProcessedImage]) -> bool:
    files = [file for one in processed for file in files_of(one)]
    return await context.services.media.all_present(files)


@asynccontextmanager
async def committed_with_files(
    context: RunContext, path: Path, *, rotation: int, crops: Sequence[CropBox] = ()
) -> AsyncIterator[tuple[Transaction, ProcessedImage]]:
    """Process `path`, then open the operation's transaction with every file it made present."""
    for _ in range(ATTEMPTS):
        processed = await process(context, path, rotation=rotation, crops=crops)
        try:
            async with context.commit() as tx:
                if not await all_present(context, [processed]):
                    raise FilesCollected
                yield tx, processed
                return
        except FilesCollected:
            continue
    raise OperationFailed("internal", "The processed files kept disappearing; try again.")


class FilesCollected(Exception):
    """A file made for this operation was collected before it committed: make it again."""


def file_columns(processed: ProcessedImage) -> dict[str, Any]:
    """The image columns a processed file fills."""
    exif = {
        name: value for name, value in msgspec.structs.asdict(processed.exif).items() if value is not None
    }
    return {
        "width": processed.width,
        "height": processed.height,
        "format": processed.format,
        "bytes": processed.bytes,
        "sha256": processed.sha256,
        "n_faces": processed.n_faces,
        "exif": exif,
        "lat": processed.exif.lat,
        "lon": processed.exif.lon,
        "phash": processed.phash,
        "colours": [msgspec.structs.asdict(colour) for colour in processed.colours],
        "embedded": msgspec.structs.asdict(processed.embedded),
    }
