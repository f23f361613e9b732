"""The media folder kept consistent with the database.

Files are written by the processor before the rows that reference them commit, so two rules
keep every row's file on disk and (after a sweep) every file referenced:

- a file is deleted only inside a write transaction, after checking that no row references it;
- a write that references files checks, inside its transaction, that they are all there.

Both hold the database's one write lock, so a file cannot vanish between a write's check and
its commit. A crash between a commit and the collection that should follow it leaves an
unreferenced file, which the sweep at start-up removes.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from app.processor.store import MediaStore, sweep_temporary
from app.storage.database import Database, Transaction
from app.storage.queries import QUERIES

_ORIGINAL_REFERENCED = QUERIES["original_referenced"]
_VERSION_REFERENCED = QUERIES["version_referenced"]


@dataclass(frozen=True, slots=True)
class MediaFile:
    """An original (`ext` None) or a version (`ext` its format) in the media folder."""

    sha256: str
    ext: str | None = None


class MediaFiles:
    def __init__(self, db: Database, root: Path) -> None:
        self._db = db
        self.store = MediaStore(root)

    def path(self, file: MediaFile) -> Path:
        return self.store.path_for(file.sha256, file.ext)

    async def all_present(self, files: list[MediaFile]) -> bool:
        """For a write about to reference `files` (call inside its transaction)."""
        return await asyncio.to_thread(lambda: all(self.path(file).is_file() for file in files))

    async def collect(self, candidates: list[MediaFile]) -> int:
        """Delete the candidates no row references any more; return how many went."""
        if not candidates:
            return 0
        async with self._db.write() as tx:
            unreferenced = [file for file in set(candidates) if not await _referenced(tx, file)]
            return await asyncio.to_thread(self._delete, unreferenced)

    async def sweep(self) -> int:
        """At start-up: temporary files of interrupted writes, and every unreferenced file."""
        await asyncio.to_thread(sweep_temporary, self.store.root)
        files = await asyncio.to_thread(stored_files, self.store.root)
        return await self.collect(files)

    def _delete(self, files: list[MediaFile]) -> int:
        return sum(self.store.delete(file.sha256, file.ext) for file in files)


def stored_files(root: Path) -> list[MediaFile]:
    """Every media file under `root` (temporary files aside), as the rows would name it."""
    found = []
    if not root.is_dir():
        return []
    for directory, _, names in os.walk(root):
        if Path(directory).name.startswith("."):
            continue  # the temporary folder
        for name in names:
            sha256, _, ext = name.partition(".")
            if len(sha256) == 64:
                found.append(MediaFile(sha256, ext or None))
    return found


async def _referenced(tx: Transaction, file: MediaFile) -> bool:
    if file.ext is None:
        return await tx.fetch_one(_ORIGINAL_REFERENCED, (file.sha256,)) is not None
    return await tx.fetch_one(_VERSION_REFERENCED, (file.sha256, file.ext)) is not None
