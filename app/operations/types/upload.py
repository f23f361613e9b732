"""`upload`: a file (sent to the upload URL, or fetched from `src`) becomes a new image."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import msgspec

from app.accounts.scopes import Scope
from app.operations.context import RunContext
from app.operations.registry import operation_type
from app.operations.types.processing import committed_with_files, file_columns, item_failed, version_rows
from app.processor.errors import ItemFailure
from app.processor.pipeline import ProcessedImage
from app.storage import images_store, sets_store, versions_store
from app.storage.database import Database
from app.storage.images_store import Keyword
from app.storage.queries import QUERIES

TYPE = "upload"

_UNFINISHED_UPLOADS = QUERIES["unfinished_upload_params"]


@operation_type(TYPE, scope=Scope.UPLOAD)
async def run(context: RunContext) -> None:
    params = context.params
    services = context.services
    incoming = params["source"].get("incoming")
    if incoming is not None:
        path = services.settings.incoming_dir / incoming
    else:
        try:
            fetched = await services.fetcher.fetch(
                params["source"]["src"], services.media.store.temporary_dir
            )
        except ItemFailure as failure:
            raise item_failed(failure) from None
        path = fetched.path
    try:
        async with committed_with_files(context, path, rotation=0) as (tx, processed):
            fields = _fields(params, processed)
            keywords = msgspec.convert(params["fields"].get("keywords", []), list[Keyword])
            if params.get("read_metadata") and not keywords:
                keywords = [Keyword(None, text) for text in processed.embedded.keywords]
            image = await images_store.insert(
                tx, context.record.account_id, fields, keywords, public_uuid=params["image_uuid"]
            )
            for version in version_rows(processed):
                await versions_store.put(tx, image.image_id, version)
            set_id = params.get("set_id")
            if set_id is not None and await sets_store.by_id(tx, set_id) is not None:
                await sets_store.add_images(tx, set_id, [image.image_id])
            context.result.update(message="Uploaded.", image_public_uuid=image.public_uuid)
    finally:
        # Kept while the operation may still run again (a shutdown requeues it).
        if context.finished is not None or not _requeued():
            await asyncio.to_thread(_remove, path)


def _requeued() -> bool:
    """True when this task is being cancelled: the engine puts the operation back in the queue."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _fields(params: dict[str, Any], processed: ProcessedImage) -> dict[str, Any]:
    given = params["fields"]
    fields: dict[str, Any] = {
        "src": params["source"].get("src"),
        "filename": params.get("filename"),
        **file_columns(processed),
        "title": given.get("title"),
        "description": given.get("description"),
        "creation_date": given.get("creation_date"),
    }
    if params.get("read_metadata"):
        fields["title"] = fields["title"] or processed.embedded.title
        fields["description"] = fields["description"] or processed.embedded.caption
        fields["creation_date"] = fields["creation_date"] or embedded_date(processed)
    return fields


def embedded_date(processed: ProcessedImage) -> str | None:
    """The day the file says it was taken: IPTC/XMP, else EXIF."""
    if processed.embedded.date:
        return processed.embedded.date
    taken = processed.exif.taken_at
    return taken[:10] if taken else None


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


async def sweep_incoming(db: Database, incoming_dir: Path) -> int:
    """At start-up: uploaded files no unfinished upload will read (their request failed, or
    their operation finished but the process died before removing them)."""
    rows = await db.fetch_all(_UNFINISHED_UPLOADS)
    kept = {msgspec.json.decode(row["params"])["source"].get("incoming") for row in rows}

    def sweep() -> int:
        if not incoming_dir.is_dir():
            return 0
        removed = 0
        for entry in incoming_dir.iterdir():
            if entry.name not in kept and entry.is_file():
                _remove(entry)
                removed += 1
        return removed

    return await asyncio.to_thread(sweep)
