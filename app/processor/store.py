"""Content-addressed media files: `<root>/ab/cd/<sha256>` for originals, `<sha256>.<ext>` for versions.

Every file is written under a temporary name in `<root>/.tmp/` and moved into place with
`os.replace`, which is atomic on one filesystem: a crash leaves a stray temporary file (removed by
`sweep_temporary` at start-up), never a half-written media file. Keeping temporaries in one folder,
rather than beside their targets, lets the sweep look at one directory instead of walking the tree.
Identical bytes have one name, so they are stored once.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import BinaryIO

import msgspec

TEMPORARY_DIR = ".tmp"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXTENSION = re.compile(r"[a-z0-9]{1,8}")
_CHUNK = 1024 * 1024


class StoredFile(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    bytes: int
    path: str


def sha256_of(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def new_temporary_file(directory: Path) -> tuple[Path, BinaryIO]:
    """A fresh, exclusively created file in `directory` whose name `sweep_temporary` recognises."""
    directory.mkdir(parents=True, exist_ok=True)
    while True:
        path = directory / f".tmp-{secrets.token_hex(12)}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:  # pragma: no cover - 96 random bits
            continue
        return path, os.fdopen(fd, "wb")


def sweep_temporary(root: Path, *, older_than: float = 0.0) -> int:
    """Remove temporary files left by a crash (under `root/.tmp`); returns how many were removed.

    At start-up nothing is being written, so `older_than=0` removes them all; a periodic sweep
    while the server runs should pass the longest a write may take.
    """
    directory = root / TEMPORARY_DIR
    if not directory.is_dir():
        return 0
    deadline = time.time() - older_than
    removed = 0
    for entry in os.scandir(directory):
        if not entry.name.startswith(".tmp-") or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime <= deadline:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            pass
    return removed


class MediaStore:
    """The media folder of one data directory. Synchronous: it runs in workers or threads."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        # fsync before the rename, so a power cut cannot leave a renamed but empty file.
        self.durable = durable

    @property
    def temporary_dir(self) -> Path:
        return self.root / TEMPORARY_DIR

    def path_for(self, sha256: str, ext: str | None = None) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        if ext is not None and not _EXTENSION.fullmatch(ext):
            raise ValueError(f"not a file extension: {ext!r}")
        name = sha256 if ext is None else f"{sha256}.{ext}"
        return self.root / sha256[0:2] / sha256[2:4] / name

    def exists(self, sha256: str, ext: str | None = None) -> bool:
        return self.path_for(sha256, ext).is_file()

    def put_bytes(self, data: bytes, ext: str | None = None) -> StoredFile:
        """Store `data` under its SHA-256 (with `ext`, for versions); a no-op when already there."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha256, ext)
        if not target.exists():
            temporary, file = new_temporary_file(self.temporary_dir)
            try:
                with file:
                    file.write(data)
                    self._sync(file)
                self._move_into_place(temporary, target)
            except BaseException:
                temporary.unlink(missing_ok=True)
                raise
        return StoredFile(sha256=sha256, bytes=len(data), path=str(target))

    def put_file(self, source: Path, *, sha256: str | None = None, move: bool = False) -> StoredFile:
        """Store an original byte for byte; `move` takes the file, otherwise it is linked or copied."""
        if sha256 is None:
            sha256, size = sha256_of(source)
        else:
            size = source.stat().st_size
        target = self.path_for(sha256)
        if target.exists():
            if move:
                source.unlink(missing_ok=True)
        elif move:
            self._sync_path(source)
            try:
                self._move_into_place(source, target)
            except OSError:  # another filesystem: copy instead
                self._copy_into_place(source, target)
                source.unlink(missing_ok=True)
        else:
            self._copy_into_place(source, target)
        return StoredFile(sha256=sha256, bytes=size, path=str(target))

    def delete(self, sha256: str, ext: str | None = None) -> bool:
        """Remove one stored file; False when it was not there. Callers know whether it is referenced."""
        try:
            self.path_for(sha256, ext).unlink()
        except FileNotFoundError:
            return False
        return True

    def _copy_into_place(self, source: Path, target: Path) -> None:
        self.temporary_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.temporary_dir / f".tmp-{secrets.token_hex(12)}"
        try:
            try:
                # A hard link shares the bytes without copying them; another filesystem cannot.
                os.link(source, temporary)
                self._sync_path(temporary)
            except OSError:
                temporary.unlink(missing_ok=True)
                with source.open("rb") as reader, temporary.open("xb") as writer:
                    shutil.copyfileobj(reader, writer, _CHUNK)
                    self._sync(writer)
            self._move_into_place(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _move_into_place(self, temporary: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, target)

    def _sync(self, file: BinaryIO) -> None:
        if self.durable:
            file.flush()
            os.fsync(file.fileno())

    def _sync_path(self, path: Path) -> None:
        if self.durable:
            with path.open("rb") as file:
                os.fsync(file.fileno())
