"""`search QUERY`: a query-formula search (`GET /imgs`) printed as a table; a formula the server
cannot read is shown with a caret under the place it names, and is a usage error (exit 2)."""

from __future__ import annotations

import argparse
from typing import Any

import msgspec

from app.cli import remote
from app.cli.common import EXIT_OK, print_json
from app.cli.remote import CommandFailed
from app.client import AsyncDarkroom, ValidationError

DEFAULT_COLUMNS = ("image_id", "public_uuid", "title", "width", "height", "date")
_CELL_WIDTH = 48


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("search", help="search with a query formula, print a table")
    remote.add_remote(parser)
    parser.add_argument("query", help='a query formula, like "t~sunset && d>=2020" ("" for everything)')
    parser.add_argument("--limit", type=int, default=20, help="results per page (default 20)")
    parser.add_argument("--page", type=int, default=1)
    parser.add_argument("--sort-by", default=None, help="a field, aspect_ratio or similarity")
    parser.add_argument("--order", choices=("asc", "desc"), default=None)
    parser.add_argument(
        "--fields",
        action="append",
        default=[],
        help=f"columns, comma-separated (default: {','.join(DEFAULT_COLUMNS)})",
    )
    parser.set_defaults(run=lambda args: remote.run(args, _search))


async def _search(args: argparse.Namespace, client: AsyncDarkroom) -> int:
    fields = [name.strip() for given in args.fields for name in given.split(",") if name.strip()]
    columns = ["image_id", *(name for name in fields if name != "image_id")] if fields else [*DEFAULT_COLUMNS]
    try:
        found = await client.imgs.search(
            args.query,
            page=args.page,
            limit=args.limit,
            sort_by=args.sort_by,
            order=args.order,
            # Without --fields, a table needs only its columns; --json shows whole images.
            fields=fields or (None if args.json else list(DEFAULT_COLUMNS)),
        )
    except ValidationError as error:
        raise _query_error(args.query, error) from None
    rows = [msgspec.to_builtins(image) for image in found.results]
    if args.json:
        kept = set(columns) if fields else None
        results = [{k: v for k, v in row.items() if kept is None or k in kept} for row in rows]
        print_json({"results": results, "count": found.count, "facets": found.facets})
        return EXIT_OK
    if not fields:
        # Images uploaded through /v1 have no image_id, many no title or date: no empty columns.
        columns = [name for name in columns if any(cell(row.get(name)) for row in rows)]
    if rows:
        print(table(columns, [[cell(row.get(name)) for name in columns] for row in rows]))
    first = (args.page - 1) * args.limit
    shown = f"{first + 1}-{first + len(rows)}" if rows else "none"
    print(f"{shown} of {found.count} matches")
    return EXIT_OK


def _query_error(query: str, error: ValidationError) -> CommandFailed:
    """The server's message; where it gives a position in the formula, the formula and a caret."""
    message = f"{error.code}: {error.message}" + (f" ({error.field})" if error.field else "")
    if error.position is None:
        return CommandFailed(error.code, message)
    caret = f"\n  {query}\n  {' ' * error.position}^"
    return CommandFailed(error.code, message, shown=message + caret, position=error.position)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return ", ".join(value)
        return f"{len(value)} items"
    text = " ".join(str(value).split())
    return text if len(text) <= _CELL_WIDTH else text[: _CELL_WIDTH - 1] + "…"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns as wide as their widest cell, two spaces apart; numbers to the right."""
    widths = [max(len(text) for text in column) for column in zip(headers, *rows, strict=True)]
    numeric = [all(row[i].isdigit() or not row[i] for row in rows) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = (
            text.rjust(width) if right else text.ljust(width)
            for text, width, right in zip(cells, widths, numeric, strict=True)
        )
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * width for width in widths]), *map(line, rows)])
