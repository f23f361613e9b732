"""`import DIR [--set NAME]`: upload every file under a folder, a few at a time, skipping those
the library holds already; a live progress line, then a summary (or one JSON document).

A file is "already there" when an image of the account has an original with the same SHA-256
(`GET /v1/images?sha256=`): found by content, not by name, so a renamed or moved file is not
sent twice, and asking costs one small request instead of the file's bytes. The server decides
what is an image (by the bytes, never the name), so every file is offered and the ones it
refuses are listed as failed with its error code; those refused for their bytes are remembered
(refused_files.py) and not sent again unless `--retry-failed` says so.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.to_thread
import msgspec

from app.cli import remote
from app.cli.common import EXIT_ITEMS_FAILED, EXIT_OK, print_json
from app.cli.progress import Progress
from app.cli.refused_files import RefusedFiles
from app.cli.remote import CommandFailed
from app.client import (
    AsyncDarkroom,
    AsyncOperation,
    DarkroomError,
    PayloadTooLarge,
    ValidationError,
    WaitTimeout,
)

DEFAULT_JOBS = 4
# An upload waits in the server's queue behind everyone else's work before its own processing.
UPLOAD_WAIT = 900.0
SET_ADD_CHUNK = 10_000  # images per call of POST /v1/sets/{uuid}/images
_HASH_CHUNK = 1024 * 1024

Status = Literal["done", "failed", "skipped"]


class Outcome(msgspec.Struct, omit_defaults=True):
    """What became of one file. `code`: the error code when failed; when skipped, why:
    `in_library` (an image has these bytes), `duplicate` (an earlier file of this run had), or
    `refused_before` (the server refused these bytes in an earlier run; `message` says why)."""

    path: str  # relative to DIR, with `/`
    status: Status
    image_public_uuid: str | None = None
    code: str | None = None
    message: str | None = None


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("import", help="upload every image under a folder")
    remote.add_remote(parser)
    parser.add_argument("dir", type=Path, help="the folder; its sub-folders too")
    parser.add_argument("--set", default=None, metavar="NAME", help="put the images in this set")
    parser.add_argument(
        "--jobs", type=_jobs, default=DEFAULT_JOBS, help=f"uploads at once (default {DEFAULT_JOBS})"
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out files whose name or relative path matches (repeatable)",
    )
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="send again the files the server refused in an earlier run",
    )
    parser.set_defaults(run=lambda args: remote.run(args, _import))


def _jobs(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("--jobs must be between 1 and 64")
    return value


async def _import(args: argparse.Namespace, client: AsyncDarkroom) -> int:
    root: Path = args.dir
    if not await anyio.Path(root).is_dir():
        raise CommandFailed("usage", f"{root} is not a directory")
    started = time.monotonic()
    files = await anyio.to_thread.run_sync(files_under, root, args.exclude)
    set_uuid = await set_named(client, args.set) if args.set else None
    refused = RefusedFiles.of(client.url, (await client.me()).account.uuid)
    progress = Progress("import", len(files))
    importer = Importer(client, root, set_uuid, progress, refused, retry_refused=args.retry_failed)
    try:
        await importer.run(files, args.jobs)
    finally:
        await anyio.to_thread.run_sync(refused.save)
    added = await importer.add_skipped_to_set()
    summary = {
        "status": "items_failed" if importer.counts["failed"] else "ok",
        "dir": str(root),
        "set_public_uuid": set_uuid,
        "total": len(files),
        **importer.counts,
        "added_to_set": added,
        "seconds": round(time.monotonic() - started, 3),
        "files": importer.outcomes,
    }
    if args.json:
        print_json(summary)
    else:
        _print_summary(summary, args.set)
    return EXIT_ITEMS_FAILED if importer.counts["failed"] else EXIT_OK


def files_under(root: Path, exclude: list[str]) -> list[Path]:
    """Every regular file under `root`, in name order, but hidden ones (a leading dot, in any
    folder of the path) and those `exclude` names."""
    found = []
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            excluded = any(fnmatch(name, glob) or fnmatch(relative, glob) for glob in exclude)
            if name.startswith(".") or excluded:
                continue
            if path.is_file():
                found.append(path)
    return found


async def set_named(client: AsyncDarkroom, name: str) -> str:
    """The top-level set of that name, created when there is none."""
    offset: int | None = 0
    while offset is not None:
        page = await client.sets.list(limit=200, offset=offset)
        for found in page:
            if found.name == name:
                return found.public_uuid
        offset = page.next_offset if page.has_more else None
    created = (await (await client.sets.create(name)).wait()).raise_for_failure()
    return str(created.result["set_public_uuid"])


class Importer:
    """Files taken one at a time by `jobs` workers; an outcome per file, in the files' order."""

    def __init__(
        self,
        client: AsyncDarkroom,
        root: Path,
        set_uuid: str | None,
        progress: Progress,
        refused: RefusedFiles,
        *,
        retry_refused: bool,
    ) -> None:
        self.client = client
        self.root = root
        self.set_uuid = set_uuid
        self.progress = progress
        self.refused = refused
        self.retry_refused = retry_refused
        self.outcomes: list[Outcome] = []
        self.counts = {"done": 0, "failed": 0, "skipped": 0}
        self._first_with: dict[str, str] = {}  # sha256 -> the first file of this run with it
        self._hashed: list[anyio.Event] = []  # by file: its bytes are in `_first_with`'s reckoning
        self._not_in_set: list[str] = []  # skipped images the set does not hold yet

    async def run(self, files: list[Path], jobs: int) -> None:
        slots: list[Outcome | None] = [None] * len(files)
        self._hashed = [anyio.Event() for _ in files]
        pending = iter(enumerate(files))

        async def work() -> None:
            for index, path in pending:  # one iterator shared: each file goes to one worker
                outcome = await self.one(index, path)
                slots[index] = outcome
                self.counts[outcome.status] += 1
                counts = self.counts
                self.progress.update(done=counts["done"], failed=counts["failed"], skipped=counts["skipped"])

        try:
            async with anyio.create_task_group() as ticking:
                ticking.start_soon(self._tick)
                async with anyio.create_task_group() as workers:
                    for _ in range(min(jobs, len(files))):
                        workers.start_soon(work)
                ticking.cancel_scope.cancel()
        except* DarkroomError as stopped:
            # What one worker could not get past (a revoked token, the server gone) stops
            # them all; the first of their errors says why.
            raise _first(stopped) from None
        finally:
            self.progress.finish()
        self.outcomes = [outcome for outcome in slots if outcome is not None]

    async def _tick(self) -> None:
        """The rate and the ETA move on while a large file is on its way."""
        while True:
            await anyio.sleep(1.0)
            self.progress.draw()

    async def one(self, index: int, path: Path) -> Outcome:
        relative = path.relative_to(self.root).as_posix()
        try:
            try:
                digest = await anyio.to_thread.run_sync(_sha256, path)
            except OSError as error:
                return Outcome(relative, "failed", code="unreadable", message=error.strerror or str(error))
            # Files take their turn here in the order of the walk, however their hashing
            # interleaved: of files with the same bytes, the first in that order is sent and the
            # others are its duplicates, the same on every run. The file before this one was
            # handed out earlier, so its turn never waits for this one's.
            if index:
                await self._hashed[index - 1].wait()
            first = self._first_with.setdefault(digest, relative)
        finally:
            self._hashed[index].set()
        if first != relative:
            return Outcome(relative, "skipped", code="duplicate", message=f"same bytes as {first}")
        refusal = self.refused.get(digest)
        if refusal is not None and not self.retry_refused:
            message = f"{refusal.code}: {refusal.message}"
            return Outcome(relative, "skipped", code="refused_before", message=message)
        existing = await self.client.images.list(sha256=digest, limit=1)
        if existing.items:
            image = existing.items[0]
            if self.set_uuid and all(member.public_uuid != self.set_uuid for member in image.sets):
                self._not_in_set.append(image.public_uuid)
            return Outcome(relative, "skipped", image.public_uuid, code="in_library")
        outcome = await self._send(path, relative)
        if outcome.status == "done":
            self.refused.forget(digest)
        else:
            self.refused.note(digest, outcome.code or "", outcome.message or "")
        return outcome

    async def _send(self, path: Path, relative: str) -> Outcome:
        try:
            operation = await self.client.uploads.upload_file(path, set_public_uuid=self.set_uuid)
            await operation.wait(UPLOAD_WAIT)
        except (ValidationError, PayloadTooLarge) as error:  # this file refused; the next may do
            return Outcome(relative, "failed", code=error.code, message=error.message)
        except WaitTimeout as error:
            return Outcome(relative, "failed", code="timeout", message=str(error))
        except OSError as error:
            return Outcome(relative, "failed", code="unreadable", message=error.strerror or str(error))
        return _outcome_of(relative, operation)

    async def add_skipped_to_set(self) -> int:
        """Images that were there already join the set too, without their bytes going again."""
        if not self.set_uuid:
            return 0
        uuids = list(dict.fromkeys(self._not_in_set))
        for start in range(0, len(uuids), SET_ADD_CHUNK):
            chunk = uuids[start : start + SET_ADD_CHUNK]
            (await (await self.client.sets.add_images(self.set_uuid, chunk)).wait()).raise_for_failure()
        return len(uuids)


def _first(group: BaseExceptionGroup[DarkroomError]) -> DarkroomError:
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _outcome_of(relative: str, operation: AsyncOperation) -> Outcome:
    if operation.succeeded:
        return Outcome(relative, "done", str(operation.result.get("image_public_uuid")))
    if operation.status == "canceled":
        return Outcome(relative, "failed", code="canceled", message="The upload was canceled.")
    error = operation.info.error or {}
    # An upload is one item: its own error says what was wrong with the file.
    item = (error.get("items") or [error])[0]
    return Outcome(relative, "failed", code=str(item.get("code")), message=str(item.get("message")))


def _print_summary(summary: dict[str, Any], set_name: str | None) -> None:
    outcomes: list[Outcome] = summary["files"]
    skipped = [o.code for o in outcomes if o.status == "skipped"]
    reasons = [
        f"{count} {reason}"
        for count, reason in (
            (skipped.count("in_library"), "already in the library"),
            (skipped.count("duplicate"), "same bytes as another file"),
            (skipped.count("refused_before"), "refused in an earlier run: --retry-failed sends them"),
        )
        if count
    ]
    print(
        f"{summary['total']} files under {summary['dir']} in {summary['seconds']:g} s: "
        f"{summary['done']} imported, {summary['failed']} failed, {summary['skipped']} skipped"
        + (f" ({', '.join(reasons)})" if reasons else "")
    )
    if set_name:
        added = summary["added_to_set"]
        print(
            f"in set {set_name!r} ({summary['set_public_uuid']})"
            + (f", with {added} images that were in the library already" if added else "")
        )
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        width = max(len(o.path) for o in failed)
        code_width = max(len(o.code or "") for o in failed)
        print("failed:")
        for outcome in failed:
            message = " ".join((outcome.message or "").split())  # one line each
            print(f"  {outcome.path:<{width}}  {outcome.code or '':<{code_width}}  {message}")
