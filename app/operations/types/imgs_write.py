"""The search API's batch writes: create, replace, modify and delete many images at once.

Every item is first fetched and processed (when its `src` is new or changed) outside any
transaction; then the whole write commits in one transaction. All or nothing (the default):
one failing item fails the operation and nothing is committed. Subset: the good items commit,
the bad ones are reported. Strict mode decides what an existing or missing id means.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec

from app.accounts.scopes import Scope
from app.operations.context import ItemError, OperationCanceled, OperationFailed, RunContext
from app.operations.registry import operation_type
from app.operations.types.processing import ATTEMPTS, FilesCollected, all_present, file_columns, files_of
from app.processor.errors import ItemFailure
from app.processor.pipeline import ProcessedImage
from app.schemas.imgs import COLUMNS, LIST_COLUMNS
from app.schemas.keywords import parse_keyword
from app.search.colour_tags import NAMESPACE as COLOUR_NAMESPACE
from app.search.colour_tags import Language, colour_tags
from app.storage import images_store, versions_store
from app.storage.database import Transaction
from app.storage.images_store import ImageRow, Keyword
from app.storage.media_files import MediaFile
from app.storage.versions_store import VersionRow

CREATE, REPLACE, MODIFY, DELETE = "imgs_create", "imgs_replace", "imgs_modify", "imgs_delete"
KIND_OF_TYPE = {CREATE: "create", REPLACE: "replace", MODIFY: "modify", DELETE: "delete"}
TYPE_OF_KIND = {kind: type for type, kind in KIND_OF_TYPE.items()}
# The `method` of each type in the search dialect.
METHOD_OF_TYPE = {CREATE: "add", REPLACE: "upd", MODIFY: "upd", DELETE: "del"}

Action = Literal["insert", "replace", "update", "delete", "skip"]


@dataclass(slots=True)
class _Item:
    index: int
    id: str
    src: str | None
    columns: dict[str, Any]
    keywords: list[str] | None
    action: Action = "skip"
    existing: ImageRow | None = None
    processed: ProcessedImage | None = None
    error: ItemError | None = None
    # False for the items a cancel stopped before their file was made.
    reached: bool = False


@dataclass(slots=True)
class _Outcome:
    good: int = 0
    skipped: int = 0
    errors: list[ItemError] = field(default_factory=list)
    old_files: list[MediaFile] = field(default_factory=list)


def _decide(item: _Item, kind: str, strict: bool) -> None:
    """What this item does given whether its id exists now; an error when strict forbids it."""
    exists = item.existing is not None
    if kind == "delete":
        item.action = "delete" if exists else "skip"
    elif kind == "create":
        if exists and strict:
            item.error = ItemError(
                index=item.index, id=item.id, code="id_exists", message="An image with this id exists."
            )
        item.action = "replace" if exists else "insert"
    elif not exists:
        if strict:
            item.error = ItemError(
                index=item.index, id=item.id, code="not_found", message="No image has this id."
            )
        item.action = "skip"
    else:
        item.action = "replace" if kind == "replace" else "update"


def _needs_file(item: _Item) -> bool:
    """A new or changed `src` is fetched and processed; an unchanged one is not fetched again."""
    if item.error is not None or item.action in ("delete", "skip") or item.src is None:
        return False
    return item.existing is None or item.existing.src != item.src or item.existing.sha256 is None


@operation_type(CREATE, scope=Scope.UPLOAD)
@operation_type(REPLACE, scope=Scope.IMAGES_WRITE)
@operation_type(MODIFY, scope=Scope.IMAGES_WRITE)
@operation_type(DELETE, scope=Scope.IMAGES_DELETE)
async def run(context: RunContext) -> None:
    params = context.params
    kind: str = KIND_OF_TYPE[context.record.type]
    strict: bool = params["strict"]
    subset: bool = params["subset"]
    items = [_Item(**raw) for raw in params["items"]]
    account_id = context.record.account_id
    existing = await images_store.by_external_ids(context.db, account_id, [item.id for item in items])
    for item in items:
        item.existing = existing.get(item.id)
        _decide(item, kind, strict)
    canceled = False
    try:
        await _process_files(context, items)
    except OperationCanceled:
        if not subset:
            await _forget_files(context, items)
            raise
        canceled = True  # subset: what finished is kept
    failed = [item.error for item in items if item.error is not None]
    if failed and not subset:
        await _forget_files(context, items)
        raise OperationFailed(
            "items_failed",
            f"{len(failed)} of {len(items)} images failed; nothing was changed.",
            failed,
        )
    outcome = await _commit(context, items, kind, strict, subset, canceled)
    await context.collect(outcome.old_files)
    if canceled:
        raise OperationCanceled


async def _process_files(context: RunContext, items: list[_Item]) -> None:
    """Fetch and process every item that needs it, a few at once; progress as they finish."""
    services = context.services
    limit = asyncio.Semaphore(max(2, services.settings.workers * 2))
    done = 0
    # Counted as they come, not over all the items after each one: that was quadratic, 7 s
    # of a 10 000-item write.
    failed = sum(1 for item in items if item.error is not None)

    async def one(item: _Item) -> None:
        nonlocal done, failed
        async with limit:
            context.check_canceled()
            item.reached = True
            if _needs_file(item):
                try:
                    item.processed = await _fetch_and_process(context, item.src or "")
                except ItemFailure as failure:
                    item.error = ItemError(
                        index=item.index, id=item.id, code=failure.code, message=failure.message
                    )
                    failed += 1
            done += 1
            await context.progress(done=done, failed=failed)

    tasks = [asyncio.create_task(one(item)) for item in items]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _fetch_and_process(context: RunContext, src: str) -> ProcessedImage:
    services = context.services
    fetched = await services.fetcher.fetch(src, services.media.store.temporary_dir)
    try:
        return await services.pool.process(
            fetched.path,
            rotation=0,
            profiles=services.settings.profiles,
            media_root=services.media.store.root,
        )
    finally:
        await asyncio.to_thread(Path(fetched.path).unlink, missing_ok=True)


async def _forget_files(context: RunContext, items: list[_Item]) -> None:
    """Files made for items that will not be committed (collected unless another image uses them)."""
    files = [file for item in items if item.processed is not None for file in files_of(item.processed)]
    await context.collect(files)


async def _commit(
    context: RunContext, items: list[_Item], kind: str, strict: bool, subset: bool, canceled: bool
) -> _Outcome:
    account_id = context.record.account_id
    lang: Language = context.params["lang"]
    # After a cancel (subset mode) only the items reached before it are written.
    written = [item for item in items if item.reached or not canceled]
    for _ in range(ATTEMPTS):
        outcome = _Outcome()
        metadata_only: list[_Item] = []
        try:
            async with context.commit() as tx:
                made = [item.processed for item in written if item.processed is not None]
                if not await all_present(context, made):
                    raise FilesCollected
                # Ids may have come or gone since the items were checked: decide again, here.
                now = await images_store.by_external_ids(tx, account_id, [item.id for item in written])
                for item in written:
                    if item.error is None:
                        item.existing = now.get(item.id)
                        _decide(item, kind, strict)
                        if _needs_file(item) and item.processed is None:
                            item.error = ItemError(
                                index=item.index,
                                id=item.id,
                                code="conflict",
                                message="The image changed while this ran.",
                            )
                    if item.error is not None:
                        outcome.errors.append(item.error)
                    elif item.action == "skip":
                        outcome.skipped += 1
                    elif item.processed is None and item.action in ("update", "replace"):
                        metadata_only.append(item)
                        outcome.good += 1
                    else:
                        outcome.old_files += await _apply(tx, account_id, item, lang)
                        outcome.good += 1
                if outcome.errors and not subset:
                    raise OperationFailed(
                        "items_failed",
                        f"{len(outcome.errors)} of {len(items)} images failed; nothing was changed.",
                        outcome.errors,
                    )
                await _apply_metadata(tx, metadata_only)
                context.progress_failed = len(outcome.errors)
                context.result.update(
                    num_good=outcome.good,
                    num_bad=len(outcome.errors),
                    num_skipped=outcome.skipped,
                    errors=[msgspec.to_builtins(error) for error in outcome.errors],
                )
            return outcome
        except FilesCollected:
            await _make_again(context, written)
            continue
    raise OperationFailed("internal", "The processed files kept disappearing; try again.")


async def _make_again(context: RunContext, items: list[_Item]) -> None:
    """Fetch and process again the items whose files went before the commit: identical bytes
    share their files, so deleting another image with the same bytes collects them (found by
    the crash harness: the commit was tried again without them, and a good write failed)."""
    for item in items:
        if item.processed is None or await all_present(context, [item.processed]):
            continue
        try:
            item.processed = await _fetch_and_process(context, item.src or "")
        except ItemFailure as failure:
            item.processed = None
            item.error = ItemError(index=item.index, id=item.id, code=failure.code, message=failure.message)


async def _apply(tx: Transaction, account_id: int, item: _Item, lang: Language) -> list[MediaFile]:
    """Write one good item; return the files it stopped using."""
    if item.action == "delete":
        return await _delete(tx, item)
    columns, keywords = _changes(item)
    old: list[MediaFile] = []
    if item.action == "insert":
        image = await images_store.insert(tx, account_id, {"external_id": item.id, **columns})
    elif item.existing is not None:
        image = item.existing
        await images_store.update(tx, image.image_id, columns)
    else:
        raise RuntimeError(f"{item.action} of an image that does not exist")
    if keywords is not None:
        await images_store.replace_keywords_except(tx, image.image_id, keywords, COLOUR_NAMESPACE)
    if item.processed is not None:
        rows = [VersionRow(**msgspec.structs.asdict(v)) for v in item.processed.versions]
        if item.action != "insert":
            old += await versions_store.replace_profile_versions(tx, image.image_id, rows)
            old += await versions_store.delete_crops(tx, image.image_id)
            if image.sha256 is not None and image.sha256 != item.processed.sha256:
                old.append(MediaFile(image.sha256))
        else:
            for row in rows:
                await versions_store.put(tx, image.image_id, row)
        tags = [Keyword(COLOUR_NAMESPACE, name) for name in colour_tags(columns["colours"], lang)]
        await images_store.replace_keywords_in(tx, image.image_id, COLOUR_NAMESPACE, tags)
    return old


async def _apply_metadata(tx: Transaction, items: list[_Item]) -> None:
    """Write the good updates and replaces that processed no file, all at once: a statement per
    table for all of them and one FTS rewrite per image (one at a time, a 10 000-item write
    spent 35 s in hops to the writer thread and in ten FTS rewrites per image)."""
    if not items:
        return
    changes: dict[int, dict[str, Any]] = {}
    keywords_of: dict[int, list[Keyword]] = {}
    for item in items:
        if item.existing is None:
            raise RuntimeError(f"{item.action} of an image that does not exist")
        columns, keywords = _changes(item)
        changes[item.existing.image_id] = columns
        if keywords is not None:
            keywords_of[item.existing.image_id] = keywords
    async with images_store.fts_deferred(tx, list(changes)):
        await images_store.update_many(tx, changes)
        await images_store.replace_keywords_except_many(tx, keywords_of, COLOUR_NAMESPACE)


def _changes(item: _Item) -> tuple[dict[str, Any], list[Keyword] | None]:
    """The columns a good item writes, and its keywords (None: left as they are)."""
    columns = dict(item.columns)
    keywords_given = item.keywords
    if item.action == "replace":
        # A replace (or a relaxed create of an existing id) clears what it leaves out.
        columns = {column: ([] if column in LIST_COLUMNS else None) for column in COLUMNS.values()} | columns
        keywords_given = item.keywords or []
    if item.processed is not None:
        columns.update(file_columns(item.processed))
    columns["src"] = item.src if item.src is not None else (item.existing.src if item.existing else None)
    if item.action == "update" and item.src is None:
        columns.pop("src")
    keywords = None if keywords_given is None else [_keyword(text) for text in keywords_given]
    return columns, keywords


@functools.lru_cache(maxsize=4096)
def _keyword(text: str) -> Keyword:
    # Batches repeat their keywords: 30 000 parses were 0.7 s of a 10 000-item write.
    return parse_keyword(text, "keywords")


async def _delete(tx: Transaction, item: _Item) -> list[MediaFile]:
    image = item.existing
    if image is None:
        return []
    versions = (await versions_store.versions_of(tx, [image.image_id]))[image.image_id]
    await images_store.delete(tx, image.image_id)
    files = [version.file for version in versions]
    return files + ([MediaFile(image.sha256)] if image.sha256 else [])
