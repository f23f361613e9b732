"""Accounts and tokens in the database."""

from __future__ import annotations

import msgspec

from app.storage.database import Database, Transaction
from app.storage.queries import QUERIES
from app.timestamps import now_text

_ACCOUNT_BY_NAME = QUERIES["account_by_name"]
_INSERT_ACCOUNT = QUERIES["insert_account"]
_INSERT_TOKEN = QUERIES["insert_token"]
_TOKEN_BY_HASH = QUERIES["token_by_hash"]
_TOKEN_EXISTS = QUERIES["token_exists_by_hash"]
_LIST_TOKENS = QUERIES["list_tokens"]
_REVOKE_TOKEN = QUERIES["revoke_token"]
_TOKENS_FINGERPRINT = QUERIES["tokens_fingerprint"]


class TokenRow(msgspec.Struct, frozen=True, kw_only=True):
    token_id: int
    token_uuid: str
    token_name: str
    scopes: list[str]
    ip_networks: list[str]
    max_request_bytes: int | None
    expires_at: str | None
    revoked_at: str | None
    account_id: int
    account_uuid: str
    account_name: str


class TokenListing(msgspec.Struct, frozen=True, kw_only=True):
    token_uuid: str
    token_name: str
    account_name: str
    scopes: list[str]
    ip_networks: list[str]
    max_request_bytes: int | None
    expires_at: str | None
    revoked_at: str | None
    created_at: str


class NewToken(msgspec.Struct, frozen=True, kw_only=True):
    token_uuid: str
    name: str
    token_hash: str
    scopes: list[str]
    ip_networks: list[str]
    max_request_bytes: int | None
    expires_at: str | None


async def ensure_account(tx: Transaction, name: str, public_uuid: str) -> int:
    """The id of the account called `name`, created with `public_uuid` when absent."""
    row = await tx.fetch_one(_ACCOUNT_BY_NAME, (name,))
    if row is not None:
        return int(row["account_id"])
    return await tx.insert(_INSERT_ACCOUNT, (public_uuid, name, now_text()))


async def insert_token(tx: Transaction, account_id: int, token: NewToken) -> None:
    await tx.insert(
        _INSERT_TOKEN,
        (
            token.token_uuid,
            account_id,
            token.name,
            token.token_hash,
            msgspec.json.encode(token.scopes).decode(),
            msgspec.json.encode(token.ip_networks).decode(),
            token.max_request_bytes,
            token.expires_at,
            now_text(),
        ),
    )


async def token_exists(tx: Transaction, token_hash: str) -> bool:
    return await tx.fetch_one(_TOKEN_EXISTS, (token_hash,)) is not None


async def token_by_hash(db: Database, token_hash: str) -> TokenRow | None:
    row = await db.fetch_one(_TOKEN_BY_HASH, (token_hash,))
    if row is None:
        return None
    values = dict(row)
    values["scopes"] = msgspec.json.decode(values["scopes"])
    values["ip_networks"] = msgspec.json.decode(values["ip_networks"])
    return msgspec.convert(values, TokenRow)


async def list_tokens(db: Database) -> list[TokenListing]:
    listings = []
    for row in await db.fetch_all(_LIST_TOKENS):
        values = dict(row)
        values["scopes"] = msgspec.json.decode(values["scopes"])
        values["ip_networks"] = msgspec.json.decode(values["ip_networks"])
        listings.append(msgspec.convert(values, TokenListing))
    return listings


async def revoke_token(tx: Transaction, token_uuid: str) -> bool:
    """Revoke a token; False when there is no such unrevoked token."""
    return await tx.execute(_REVOKE_TOKEN, (now_text(), token_uuid)) > 0


async def tokens_fingerprint(db: Database) -> tuple[int, int, int]:
    row = await db.fetch_one(_TOKENS_FINGERPRINT)
    if row is None:
        return (0, 0, 0)
    return (int(row["n"]), int(row["last_id"]), int(row["revoked"]))
