"""Making service tokens: random secrets shown once, stored only as their hash."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from app.accounts.scopes import ALL_SCOPES
from app.storage import accounts_store
from app.storage.accounts_store import NewToken
from app.storage.database import Database, Transaction
from app.timestamps import format_time, now

TOKEN_PREFIX = "drk_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def parse_networks(text: str) -> list[str]:
    """CIDRs from a comma-separated list, normalised; ValueError on a bad one."""
    networks = []
    for part in text.split(","):
        if part.strip():
            networks.append(str(ipaddress.ip_network(part.strip(), strict=False)))
    return networks


@dataclass(frozen=True, slots=True)
class CreatedToken:
    token: str
    token_uuid: str
    account_name: str


async def create_token(
    db: Database,
    *,
    account: str,
    name: str,
    scopes: list[str] | None = None,
    expires_in: float | None = None,
    ip_networks: list[str] | None = None,
    max_request_bytes: int | None = None,
) -> CreatedToken:
    """Create the account if needed and a token for it; the token is returned once, here."""
    secret = generate_token()
    async with db.write() as tx:
        return await _insert(tx, secret, account, name, scopes, expires_in, ip_networks, max_request_bytes)


async def ensure_token(db: Database, *, account: str, name: str, token: str) -> bool:
    """Create exactly this all-scopes token unless it exists; True when it was created."""
    async with db.write() as tx:
        if await accounts_store.token_exists(tx, hash_token(token)):
            return False
        await _insert(tx, token, account, name, None, None, None, None)
        return True


async def _insert(
    tx: Transaction,
    secret: str,
    account: str,
    name: str,
    scopes: list[str] | None,
    expires_in: float | None,
    ip_networks: list[str] | None,
    max_request_bytes: int | None,
) -> CreatedToken:
    expires_at = None
    if expires_in is not None:
        expires_at = format_time(now() + timedelta(seconds=expires_in))
    new = NewToken(
        token_uuid=str(uuid.uuid4()),
        name=name,
        token_hash=hash_token(secret),
        scopes=list(ALL_SCOPES) if scopes is None else scopes,
        ip_networks=ip_networks or [],
        max_request_bytes=max_request_bytes,
        expires_at=expires_at,
    )
    account_id = await accounts_store.ensure_account(tx, account, str(uuid.uuid4()))
    await accounts_store.insert_token(tx, account_id, new)
    return CreatedToken(token=secret, token_uuid=new.token_uuid, account_name=account)
