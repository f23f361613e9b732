"""Parse the command line and hand over to the command; exit 0 ok, 1 items failed, 2 usage or
connection error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.cli import backup, import_files, ops, search, serve, tokens
from app.cli.common import EXIT_USAGE
from app.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="darkroom", description="Darkroom image API server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve.add_parser(commands)
    tokens.add_parser(commands)
    backup.add_parser(commands)
    import_files.add_parser(commands)
    ops.add_parser(commands)
    search.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ConfigError as error:
        print(f"darkroom: {error}", file=sys.stderr)
        return EXIT_USAGE
    return code
