"""`token create|list|revoke`: manage service tokens, also while the server runs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec

from app.accounts.scopes import parse_scopes
from app.accounts.tokens import create_token, parse_networks
from app.cli.common import add_common, data_dir, print_json
from app.config import ConfigError, parse_duration
from app.storage import accounts_store
from app.storage.database import Database
from app.storage.migrations import migrate


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("token", help="manage service tokens")
    actions = parser.add_subparsers(dest="action", required=True)

    create = actions.add_parser("create", help="create a token (and its account if needed)")
    add_common(create)
    create.add_argument("--account", required=True)
    create.add_argument("--name", default="token")
    create.add_argument("--scopes", default=None, help="comma-separated (default: all)")
    create.add_argument("--expires-in", default=None, help="e.g. 3600s, 30m, 12h, 30d")
    create.add_argument("--ip", default=None, help="comma-separated CIDRs it may be used from")
    create.add_argument("--max-request-bytes", type=int, default=None)
    create.set_defaults(run=lambda args: asyncio.run(_create(args)))

    listing = actions.add_parser("list", help="list tokens")
    add_common(listing)
    listing.set_defaults(run=lambda args: asyncio.run(_list(args)))

    revoke = actions.add_parser("revoke", help="revoke a token by its uuid")
    add_common(revoke)
    revoke.add_argument("uuid")
    revoke.set_defaults(run=lambda args: asyncio.run(_revoke(args)))


@asynccontextmanager
async def _database(args: argparse.Namespace) -> AsyncIterator[Database]:
    db = Database(data_dir(args) / "darkroom.sqlite3", readers=1)
    await db.open()
    try:
        await migrate(db)
        yield db
    finally:
        await db.close()


async def _create(args: argparse.Namespace) -> int:
    try:
        scopes = parse_scopes(args.scopes) if args.scopes is not None else None
        networks = parse_networks(args.ip) if args.ip else None
    except ValueError as error:
        raise ConfigError(str(error)) from None
    expires_in = parse_duration("--expires-in", args.expires_in) if args.expires_in else None
    if args.max_request_bytes is not None and args.max_request_bytes < 1:
        raise ConfigError("--max-request-bytes must be at least 1")
    async with _database(args) as db:
        created = await create_token(
            db,
            account=args.account,
            name=args.name,
            scopes=scopes,
            expires_in=expires_in,
            ip_networks=networks,
            max_request_bytes=args.max_request_bytes,
        )
    if args.json:
        print_json({"uuid": created.token_uuid, "account": created.account_name, "token": created.token})
    else:
        print(
            f"created token {created.token_uuid} for account {created.account_name}",
            file=sys.stderr,
        )
        print(created.token)
    return 0


async def _list(args: argparse.Namespace) -> int:
    async with _database(args) as db:
        listings = await accounts_store.list_tokens(db)
    if args.json:
        print_json(msgspec.to_builtins(listings))
        return 0
    for token in listings:
        state = "revoked" if token.revoked_at else f"expires {token.expires_at or 'never'}"
        print(f"{token.token_uuid}  {token.account_name:<16} {token.token_name:<16} {state}")
    return 0


async def _revoke(args: argparse.Namespace) -> int:
    async with _database(args) as db, db.write() as tx:
        revoked = await accounts_store.revoke_token(tx, args.uuid)
    if args.json:
        print_json({"uuid": args.uuid, "revoked": revoked})
    elif revoked:
        print(f"revoked {args.uuid}")
    else:
        print(f"no active token {args.uuid}", file=sys.stderr)
    return 0 if revoked else 1
