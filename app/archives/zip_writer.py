"""A ZIP file written entry by entry in bounded memory, and visible under its name only once complete.

Each entry is copied from its source in chunks: zipfile computes the CRC as the bytes pass and,
the output being seekable, rewrites the entry's local header with the CRC and sizes once it
is done, so no entry is ever held in memory. zipfile is told each source's size up front, so
it writes zip64 records where an entry, an offset or the entry count needs them, and plain
ones elsewhere. The file is written under a temporary name (`sweep_temporary` removes those a
crash leaves) and renamed into place by `finish`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from app.processor.store import new_temporary_file

CHUNK = 256 * 1024  # bytes read and written at a time
_EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)  # ZIP (MS-DOS) times start here
_PERMISSIONS = 0o644 << 16  # rw-r--r-- once extracted; zipfile's default is rw-------


class ZipWriter:
    """Synchronous: call it from a thread. `abort` may come from another thread while an `add`
    runs (the operation was cancelled): it waits for that entry, then removes the file."""

    def __init__(self, target: Path, temporary_dir: Path, *, durable: bool = True) -> None:
        self.target = target
        # fsync before the rename, so that a power cut cannot leave a renamed but empty file.
        self._durable = durable
        self._lock = threading.Lock()
        self._closed = False
        self._temporary, self._file = new_temporary_file(temporary_dir)
        try:
            self._zip = zipfile.ZipFile(self._file, "w", allowZip64=True)
        except BaseException:
            self._remove()
            raise

    def add(self, name: str, source: Path, *, compress: bool, modified: datetime) -> int:
        """Append the file `source` as the entry `name`; return its size in bytes."""
        with self._lock, source.open("rb") as reader:
            self._require_open()
            info = zipfile.ZipInfo(name, date_time=_zip_time(modified))
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = _PERMISSIONS
            info.file_size = os.fstat(reader.fileno()).st_size
            with self._zip.open(info, "w") as entry:
                shutil.copyfileobj(reader, entry, CHUNK)
            return info.file_size

    def finish(self) -> int:
        """Write the central directory and move the file into place; return its size in bytes."""
        with self._lock:
            self._require_open()
            self._closed = True
            try:
                self._zip.close()
                size = self._file.tell()
                if self._durable:
                    self._file.flush()
                    os.fsync(self._file.fileno())
                self._file.close()
                self.target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self._temporary, self.target)
            except BaseException:
                self._discard()
                raise
            return size

    def abort(self) -> None:
        """Remove the unfinished file; nothing once `finish` has moved it into place."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._discard()

    def _discard(self) -> None:
        try:
            # Closed first, or it would write its central directory when it is collected. Doing
            # so now costs little, and failing to (the disk is full) changes nothing.
            with contextlib.suppress(OSError, ValueError):
                self._zip.close()
        finally:
            self._remove()

    def _remove(self) -> None:
        self._file.close()
        self._temporary.unlink(missing_ok=True)

    def _require_open(self) -> None:
        if self._closed:
            raise RuntimeError("this ZIP file is finished or aborted")


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """UTC wall-clock time, as ZIP has no time zones."""
    moment = max(moment.astimezone(UTC), _EARLIEST)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
