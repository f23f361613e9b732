"""Where archive files live: `<archives_dir>/<uuid>.zip`, and `.tmp/` for those being written."""

from __future__ import annotations

import os
import re
from pathlib import Path

from app.archives.zip_writer import ZipWriter
from app.processor.store import TEMPORARY_DIR, sweep_temporary

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SUFFIX = ".zip"


class ArchiveFiles:
    """The archives folder of one data directory. Synchronous: call it from a thread."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, public_uuid: str) -> Path:
        if not _UUID.fullmatch(public_uuid):
            raise ValueError(f"not an archive uuid: {public_uuid!r}")
        return self.root / f"{public_uuid}{SUFFIX}"

    def writer(self, public_uuid: str) -> ZipWriter:
        """A new ZIP file that becomes `path(public_uuid)` when it is finished."""
        return ZipWriter(self.path(public_uuid), self.root / TEMPORARY_DIR)

    def delete(self, public_uuids: list[str]) -> int:
        """Remove the files of these archives; return how many were there."""
        removed = 0
        for public_uuid in public_uuids:
            try:
                self.path(public_uuid).unlink()
            except FileNotFoundError:
                continue
            removed += 1
        return removed

    def uuids(self) -> list[str]:
        """The archives that have a finished file."""
        if not self.root.is_dir():
            return []
        return [
            entry.name.removesuffix(SUFFIX)
            for entry in os.scandir(self.root)
            if entry.name.endswith(SUFFIX) and _UUID.fullmatch(entry.name.removesuffix(SUFFIX))
        ]

    def sweep_temporary(self) -> int:
        """Remove unfinished files (at start-up, when none is being written)."""
        return sweep_temporary(self.root)
