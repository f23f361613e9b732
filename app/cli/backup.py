"""`backup DEST` and `restore SRC`: a consistent copy of a data directory, taken while the server runs."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from app.cli.common import add_common, data_dir, print_json
from app.storage.backup import BackupFailed, BackupRefused, Manifest, backup, restore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(commands: Any) -> None:
    making = commands.add_parser("backup", help="copy the database and media store, also while serving")
    add_common(making)
    making.add_argument("dest", type=Path, help="an empty or absent directory")
    making.set_defaults(run=_backup)

    restoring = commands.add_parser("restore", help="restore a backup into an empty --data-dir")
    add_common(restoring)
    restoring.add_argument("src", type=Path, help="a directory made by `backup`")
    restoring.set_defaults(run=_restore)


def _backup(args: argparse.Namespace) -> int:
    started = time.monotonic()
    code, manifest = _attempt(lambda: backup(data_dir(args), args.dest), args.json)
    if manifest is not None:
        _report(args, "backed up", manifest, args.dest, started)
    return code


def _restore(args: argparse.Namespace) -> int:
    started = time.monotonic()
    code, manifest = _attempt(lambda: restore(args.src, data_dir(args)), args.json)
    if manifest is not None:
        _report(args, "restored", manifest, data_dir(args), started)
    return code


def _attempt(run: Callable[[], Manifest], as_json: bool) -> tuple[int, Manifest | None]:
    """Run the backup or restore; a refusal is a usage error, a failure mid-way is exit 1."""
    try:
        manifest = run()
    except BackupRefused as error:
        return _fail(EXIT_USAGE, "refused", str(error), as_json), None
    except (BackupFailed, OSError, sqlite3.Error) as error:
        return _fail(EXIT_FAILED, "failed", str(error), as_json), None
    return EXIT_OK, manifest


def _fail(code: int, status: str, message: str, as_json: bool) -> int:
    if as_json:
        print_json({"status": status, "error": message})
    print(f"darkroom: {message}", file=sys.stderr)
    return code


def _report(args: argparse.Namespace, done: str, manifest: Manifest, where: Path, started: float) -> None:
    seconds = round(time.monotonic() - started, 3)
    if args.json:
        print_json({"status": "ok", "path": str(where), "seconds": seconds, **msgspec.to_builtins(manifest)})
        return
    print(
        f"{done} {manifest.images} images, {manifest.versions} versions, {manifest.archives} archives "
        f"({manifest.files} files, {_size(manifest.file_bytes + manifest.database_bytes)}) "
        f"{'to' if done == 'backed up' else 'into'} {where} in {seconds:g} s"
    )


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / 1024 / 1024:.1f} MB"
