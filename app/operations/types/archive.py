"""`archive`: one ZIP of many images' files (their originals, or one version of each).

Every image must have the file asked for, or the operation fails naming the ones that lack it
before a byte is written. The ZIP is written off the event loop, one image at a time and
reading the images from the database a batch at a time, so memory stays flat however many
there are. It is renamed into place once complete, and its row commits with the operation's
status; a build that fails or is canceled leaves neither file nor row.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

from app.accounts.scopes import Scope
from app.archives import entries
from app.archives.files import ArchiveFiles
from app.archives.zip_writer import ZipWriter
from app.operations.context import ItemError, OperationFailed, RunContext
from app.operations.registry import operation_type
from app.storage import archives_store
from app.storage.archives_store import ORIGINAL, NewArchive, Source
from app.timestamps import format_time, now, parse_time

TYPE = "archive"
BATCH = 200  # images read from the database at a time


@operation_type(TYPE, scope=Scope.DOWNLOAD)
async def run(context: RunContext) -> None:
    params = context.params
    public_uuid: str = params["archive_uuid"]
    image_count = len(params["image_ids"])
    files = ArchiveFiles(context.services.settings.archives_dir)
    await _require_files(context)
    size = await _write(context, await asyncio.to_thread(files.writer, public_uuid))
    try:
        async with context.commit() as tx:
            created = now()
            expires = created + timedelta(seconds=context.services.settings.archive_ttl)
            archive = NewArchive(
                public_uuid=public_uuid,
                account_id=context.record.account_id,
                filename=params["filename"],
                bytes=size,
                image_count=image_count,
                created_at=format_time(created),
                expires_at=format_time(expires),
            )
            await archives_store.insert(tx, archive)
            context.result.update(
                message="Archive ready.",
                archive_public_uuid=public_uuid,
                bytes=size,
                image_count=image_count,
            )
    except BaseException:
        if context.finished is None:  # nothing committed: the file is nobody's
            await asyncio.shield(asyncio.to_thread(files.delete, [public_uuid]))
        raise


async def _sources(context: RunContext) -> AsyncIterator[tuple[int, Source | None]]:
    """Each image in order with its index; None for one deleted since the request."""
    image_ids: list[int] = context.params["image_ids"]
    for start in range(0, len(image_ids), BATCH):
        batch = await archives_store.sources(
            context.db, context.record.account_id, image_ids[start : start + BATCH], context.params["version"]
        )
        for offset, source in enumerate(batch):
            yield start + offset, source


async def _require_files(context: RunContext) -> None:
    """Fail, naming every image that lacks the file asked for, before anything is written."""
    items = [
        _lacking(context, index, source)
        async for index, source in _sources(context)
        if source is None or source.file is None
    ]
    if items:
        await context.progress(done=0, failed=len(items))
        raise OperationFailed(items[0].code, f"{len(items)} of the images cannot be archived.", items)


async def _write(context: RunContext, writer: ZipWriter) -> int:
    """Every image's file into the ZIP, in order; the finished file's size in bytes."""
    version = context.params["version"]
    media = context.services.media
    names = entries.UniqueNames()
    try:
        async for index, source in _sources(context):
            context.check_canceled()
            if source is None or source.file is None or source.format is None:
                raise _failed(_lacking(context, index, source))  # changed since `_require_files`
            wanted = entries.wanted_name(
                source.public_uuid, source.filename, source.format, None if version == ORIGINAL else version
            )
            fallback = entries.wanted_name(source.public_uuid, None, source.format, None)
            name = names.claim(entries.safe_name(wanted, fallback))
            try:
                await asyncio.to_thread(
                    writer.add,
                    name,
                    media.path(source.file),
                    compress=entries.compressed(source.format),
                    modified=parse_time(source.created_at),
                )
            except FileNotFoundError:  # collected: the image was deleted meanwhile
                raise _failed(_lacking(context, index, None)) from None
            await context.progress(done=index + 1)
        context.check_canceled()
        return await asyncio.to_thread(writer.finish)
    except BaseException:
        # Shielded: a cancelled operation must still remove its unfinished file.
        await asyncio.shield(asyncio.to_thread(writer.abort))
        raise


def _lacking(context: RunContext, index: int, source: Source | None) -> ItemError:
    uuids = context.record.image_public_uuids
    public_uuid = uuids[index] if index < len(uuids) else None
    version = context.params["version"]
    if source is None:
        code, message = "image_not_found", "The image was deleted before this ran."
    elif version == ORIGINAL:
        code, message = "no_file", "The image has no file."
    else:
        code, message = "version_not_found", f"The image has no {version} version."
    return ItemError(index=index, code=code, message=message, image_public_uuid=public_uuid)


def _failed(item: ItemError) -> OperationFailed:
    return OperationFailed(item.code, item.message, [item])
