"""Back up a data directory while its server runs, and restore such a backup into an empty one.

A backup is laid out like a data directory (`darkroom.sqlite3`, `media/`, `archives/`,
`incoming/`, `secret`) plus `backup.json`, written last: a folder without it is unfinished.

Consistency comes from the order. The database is copied first, with SQLite's online backup
API, which yields one committed state however the server writes meanwhile. Media files are
named by their content and never change, only appear and disappear, so every file the copy
references is then linked (or copied) from the live folder. A file may vanish in between (its
last image was deleted after the copy was taken): the database is then copied again and only
the newly referenced files are taken, until one pass finds all it needs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from app.archives.files import ArchiveFiles
from app.processor.store import MediaStore
from app.storage.queries import QUERIES
from app.timestamps import now_text

MANIFEST = "backup.json"
FORMAT_VERSION = 1
DATABASE = "darkroom.sqlite3"
# Copied when present: the signing key keeps signed links valid; the dev token is a convenience.
KEYS = ("secret", "dev-token")

# The live database is read this many pages at a time, sleeping between steps so the server's
# writer is not held back; a copy restarted this often by writes is taken in one step instead.
PAGES_PER_STEP = 256
SLEEP_BETWEEN_STEPS = 0.005
RESTARTS_BEFORE_ONE_STEP = 3
# Passes of "copy the database, take its files" before giving up on files that keep vanishing.
ATTEMPTS = 5

_LINK_REFUSED = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}
_MEDIA = MediaStore(Path("media"))
_ARCHIVES = ArchiveFiles(Path("archives"))
_INCOMING = Path("incoming")


class BackupRefused(Exception):
    """The command cannot start: a destination that is not empty, a source that is no backup."""


class BackupFailed(Exception):
    """The copy started but could not be completed; nothing half-made is left behind."""


class Manifest(msgspec.Struct, kw_only=True):
    """`backup.json`: what the backup holds, checked again by `restore`."""

    version: int
    created_at: str
    database_bytes: int
    images: int
    versions: int
    archives: int
    operations: int
    files: int  # media, archives and incoming uploads
    file_bytes: int
    database_copies: int  # passes needed because files vanished during the backup


@dataclass(slots=True)
class _Copied:
    """Files placed so far, by path relative to the data directory, with their sizes."""

    sizes: dict[Path, int] = field(default_factory=dict)


def backup(data_dir: Path, dest: Path) -> Manifest:
    """Copy the data directory's database and every file it references into `dest`."""
    database = data_dir / DATABASE
    if not database.is_file():
        raise BackupRefused(f"no database at {database}")
    created = _prepare_empty(dest, "backup destination")
    try:
        return _backup_into(data_dir, dest)
    except BaseException:
        _clear(dest, created)
        raise


def restore(src: Path, data_dir: Path) -> Manifest:
    """Restore the backup in `src` into `data_dir`, which must be empty or absent."""
    manifest = read_manifest(src)
    created = _prepare_empty(data_dir, "data directory")
    try:
        _restore_into(src, data_dir, manifest)
    except BaseException:
        _clear(data_dir, created)
        raise
    return manifest


def read_manifest(src: Path) -> Manifest:
    path = src / MANIFEST
    try:
        manifest = msgspec.json.decode(path.read_bytes(), type=Manifest)
    except FileNotFoundError:
        raise BackupRefused(f"{src} is not a finished backup (no {MANIFEST})") from None
    except msgspec.DecodeError as error:
        raise BackupRefused(f"{path} is not a backup manifest: {error}") from None
    if manifest.version != FORMAT_VERSION:
        raise BackupRefused(
            f"{path} has format version {manifest.version}; this Darkroom reads {FORMAT_VERSION}"
        )
    return manifest


def integrity_problems(database: Path) -> list[str]:
    """What `PRAGMA integrity_check` finds in a database file; empty when it is sound."""
    with contextlib.closing(sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True)) as db:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found


# Backup


def _backup_into(data_dir: Path, dest: Path) -> Manifest:
    copy = dest / DATABASE
    link = _same_filesystem(data_dir, dest)
    copied = _Copied()
    for passes in range(1, ATTEMPTS + 1):  # noqa: B007 (the manifest tells how many)
        _copy_database(data_dir / DATABASE, copy)
        wanted = set(_referenced(copy))
        missing = [
            path
            for path in sorted(wanted - copied.sizes.keys())
            if not _take(data_dir, dest, path, link, copied)
        ]
        if not missing:
            break
    else:
        names = ", ".join(str(path) for path in missing[:5])
        raise BackupFailed(f"{len(missing)} referenced files are missing from {data_dir}: {names}")
    # Taken by an earlier pass for a database copy that has since been replaced.
    for path in copied.sizes.keys() - wanted:
        (dest / path).unlink()
        del copied.sizes[path]
    for name in KEYS:
        if (data_dir / name).is_file():
            _copy_file(data_dir / name, dest / name)
    counts = _counts(copy)
    manifest = Manifest(
        version=FORMAT_VERSION,
        created_at=now_text(),
        database_bytes=copy.stat().st_size,
        files=len(copied.sizes),
        file_bytes=sum(copied.sizes.values()),
        database_copies=passes,
        **counts,
    )
    _write_durably(dest / MANIFEST, msgspec.json.format(msgspec.json.encode(manifest)) + b"\n")
    _sync_directory(dest)
    return manifest


def _copy_database(live: Path, copy: Path) -> None:
    """One committed state of the live database, in a single self-contained file."""
    copy.unlink(missing_ok=True)
    source = sqlite3.connect(f"{live.absolute().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(copy)
    try:
        source.execute("PRAGMA busy_timeout = 10000")
        try:
            source.backup(target, pages=PAGES_PER_STEP, progress=_RestartCounter(), sleep=SLEEP_BETWEEN_STEPS)
        except _TooManyRestarts:
            # One step is one read transaction: in WAL mode it does not stop the writer.
            source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        source.close()
        target.close()
    _sync_file(copy)


class _TooManyRestarts(Exception):
    pass


class _RestartCounter:
    """A progress callback noticing when writes to the live database restart the copy."""

    def __init__(self) -> None:
        self._remaining: int | None = None
        self._restarts = 0

    def __call__(self, status: int, remaining: int, total: int) -> None:
        if self._remaining is not None and remaining > self._remaining:
            self._restarts += 1
            if self._restarts >= RESTARTS_BEFORE_ONE_STEP:
                raise _TooManyRestarts
        self._remaining = remaining


def _referenced(database: Path) -> Iterator[Path]:
    """Every file a database copy needs, relative to the data directory."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        for (sha256,) in db.execute(QUERIES["backup_originals"]):
            yield _MEDIA.path_for(sha256)
        for sha256, ext in db.execute(QUERIES["backup_versions"]):
            yield _MEDIA.path_for(sha256, ext)
        for (public_uuid,) in db.execute(QUERIES["backup_archives"]):
            yield _ARCHIVES.path(public_uuid)
        for (params,) in db.execute(QUERIES["unfinished_upload_params"]):
            name = msgspec.json.decode(params)["source"].get("incoming")
            if name and Path(name).name == name:
                yield _INCOMING / name


def _take(data_dir: Path, dest: Path, path: Path, link: bool, copied: _Copied) -> bool:
    """Link or copy one file into the backup; False when it is no longer there."""
    try:
        copied.sizes[path] = _place(data_dir / path, dest / path, link=link)
    except FileNotFoundError:
        return False
    return True


def _counts(database: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        cursor = db.execute(QUERIES["backup_counts"])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, map(int, cursor.fetchone()), strict=True))


# Restore


def _restore_into(src: Path, data_dir: Path, manifest: Manifest) -> None:
    # The database comes into place last, under its own name: until then no server takes the
    # folder for a data directory and sweeps the files as unreferenced.
    staged = data_dir / f".{DATABASE}.restoring"
    _copy_file(src / DATABASE, staged)
    try:
        problems = integrity_problems(staged)
        counts = {} if problems else _counts(staged)
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    if problems:
        raise BackupFailed(f"the database in {src} fails its integrity check: {'; '.join(problems[:3])}")
    expected = {name: getattr(manifest, name) for name in counts}
    if counts != expected:
        raise BackupFailed(f"the database in {src} does not match {MANIFEST}: {counts} != {expected}")
    link = _same_filesystem(src, data_dir)
    copied = _Copied()
    for path in sorted(set(_referenced(staged))):
        if not _take(src, data_dir, path, link, copied):
            raise BackupFailed(f"the backup in {src} lacks {path}")
    if (len(copied.sizes), sum(copied.sizes.values())) != (manifest.files, manifest.file_bytes):
        raise BackupFailed(f"the files in {src} do not match {MANIFEST}")
    for name in KEYS:
        if (src / name).is_file():
            _copy_file(src / name, data_dir / name)
    os.replace(staged, data_dir / DATABASE)
    _sync_directory(data_dir)


# Files


def _prepare_empty(directory: Path, what: str) -> bool:
    """Make sure `directory` exists and is empty; True when it was created now."""
    if directory.exists():
        if not directory.is_dir():
            raise BackupRefused(f"the {what} {directory} is not a directory")
        if any(directory.iterdir()):
            raise BackupRefused(f"the {what} {directory} is not empty")
        return False
    directory.mkdir(parents=True)
    return True


def _clear(directory: Path, created: bool) -> None:
    """Undo a failed backup or restore: remove what it made, keep a folder that was there."""
    if created:
        shutil.rmtree(directory, ignore_errors=True)
        return
    with contextlib.suppress(FileNotFoundError):
        for entry in directory.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _same_filesystem(first: Path, second: Path) -> bool:
    return os.stat(first).st_dev == os.stat(second).st_dev


def _place(source: Path, target: Path, *, link: bool) -> int:
    """A hard link shares the bytes of a file that never changes; another filesystem gets a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        try:
            os.link(source, target)
            return target.stat().st_size
        except OSError as error:
            if error.errno not in _LINK_REFUSED:
                raise
    return _copy_file(source, target)


def _copy_file(source: Path, target: Path) -> int:
    with source.open("rb") as reader, target.open("xb") as writer:
        shutil.copyfileobj(reader, writer, 1024 * 1024)
        writer.flush()
        os.fsync(writer.fileno())
    shutil.copymode(source, target)
    return target.stat().st_size


def _write_durably(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _sync_file(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
