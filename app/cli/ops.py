"""`ops watch UUID` (or an op_id): follow an operation live until it ends, one request per
change; exit 0 when it succeeded, 1 when it failed or was canceled, 2 when there is none."""

from __future__ import annotations

import argparse
from typing import Any

import msgspec

from app.cli import remote
from app.cli.common import EXIT_ITEMS_FAILED, EXIT_OK, print_json
from app.cli.progress import Progress
from app.cli.remote import CommandFailed
from app.client import AsyncDarkroom, NotFound
from app.client.models import OperationInfo


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("ops", help="follow operations")
    actions = parser.add_subparsers(dest="action", required=True)
    watch = actions.add_parser("watch", help="follow an operation live until it ends")
    remote.add_remote(watch)
    watch.add_argument("uuid", help="the operation's uuid (op-…), or its op_id as /ops shows it")
    watch.set_defaults(run=lambda args: remote.run(args, _watch))


async def _watch(args: argparse.Namespace, client: AsyncDarkroom) -> int:
    try:
        # Both dialects show the same operations: an op_id leads to the uuid it has in /v1.
        uuid = (await client.ops.get(int(args.uuid))).info.uuid if args.uuid.isdigit() else args.uuid
        operation = await client.operations.get(uuid)
    except NotFound:
        raise CommandFailed("operation_not_found", f"no operation {args.uuid}") from None
    progress = Progress(f"{operation.uuid} {operation.info.type}", operation.info.progress.total)
    async for info in operation.follow():
        counts = info.progress
        progress.update(status=info.status, total=counts.total, done=counts.done, failed=counts.failed)
    progress.finish()
    info = operation.info
    if args.json:
        print_json(msgspec.to_builtins(info))
    else:
        print(ending(info))
    return EXIT_OK if info.status == "succeeded" else EXIT_ITEMS_FAILED


def ending(info: OperationInfo) -> str:
    """How it ended, in a line or a few: the result's message, or the error and its items."""
    head = f"{info.uuid} {info.type} {info.status}"
    if info.status == "succeeded":
        message = (info.result or {}).get("message")
        return f"{head}: {message}" if message else head
    if info.error is None:
        return f"{head}: {(info.result or {}).get('message', '')}".rstrip(": ")
    lines = [f"{head}: {info.error.get('code')}: {info.error.get('message')}"]
    for item in info.error.get("items") or []:
        lines.append(f"  item {item.get('index')}: {item.get('code')}: {item.get('message')}")
    return "\n".join(lines)
