"""What every command shares: `--data-dir`, `--json`, and printing either way."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import msgspec

# Exit statuses of every command: all went well, some items failed, a usage or connection error.
EXIT_OK, EXIT_ITEMS_FAILED, EXIT_USAGE = 0, 1, 2


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data directory (default: DARKROOM_DATA_DIR, then ./data)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def data_dir(args: argparse.Namespace) -> Path:
    given: Path | None = args.data_dir
    return given or Path(os.environ.get("DARKROOM_DATA_DIR") or "data")


def print_json(value: Any) -> None:
    print(msgspec.json.encode(value).decode())
