"""Who is calling: a token from `Authorization: Bearer` or `API-Key`, checked against the database.

Tokens are cached in memory so that a poll needs no query. The command line may add or revoke
tokens while the server runs, so a background task compares a cheap fingerprint of the tokens
table every `refresh_interval` seconds and drops the cache when it moved: a revocation takes
effect within that interval.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from app.accounts.tokens import hash_token
from app.errors import Forbidden, Unauthorized
from app.storage import accounts_store
from app.storage.database import Database
from app.timestamps import now_text

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Principal:
    """The account and token behind a request."""

    account_id: int
    account_uuid: str
    account_name: str
    token_id: int
    token_uuid: str
    token_name: str
    scopes: frozenset[str]
    expires_at: str | None
    max_request_bytes: int | None
    ip_networks: tuple[IPNetwork, ...]
    revoked: bool

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This token lacks the scope {scope}.", detail={"scope": scope})


def token_from_headers(headers: Mapping[str, str]) -> str | None:
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    api_key = headers.get("api-key")
    return api_key.strip() if api_key and api_key.strip() else None


class Authenticator:
    def __init__(self, db: Database, *, refresh_interval: float = 1.0) -> None:
        self._db = db
        self._refresh_interval = refresh_interval
        self._cache: dict[str, Principal] = {}
        self._fingerprint: tuple[int, int, int] | None = None

    async def authenticate(self, headers: Mapping[str, str], client_host: str | None) -> Principal:
        token = token_from_headers(headers)
        if token is None:
            raise Unauthorized("Send a token as 'Authorization: Bearer <token>' or 'API-Key'.")
        token_hash = hash_token(token)
        principal = self._cache.get(token_hash)
        if principal is None:
            principal = await self._load(token_hash)
        if principal.revoked:
            raise Unauthorized("This token was revoked.")
        if principal.expires_at is not None and principal.expires_at <= now_text():
            raise Unauthorized("This token has expired.")
        if principal.ip_networks and not _allowed(client_host, principal.ip_networks):
            raise Forbidden("This token may not be used from this address.")
        return principal

    async def _load(self, token_hash: str) -> Principal:
        row = await accounts_store.token_by_hash(self._db, token_hash)
        if row is None:
            raise Unauthorized("Unknown token.")
        principal = Principal(
            account_id=row.account_id,
            account_uuid=row.account_uuid,
            account_name=row.account_name,
            token_id=row.token_id,
            token_uuid=row.token_uuid,
            token_name=row.token_name,
            scopes=frozenset(row.scopes),
            expires_at=row.expires_at,
            max_request_bytes=row.max_request_bytes,
            ip_networks=tuple(ipaddress.ip_network(n) for n in row.ip_networks),
            revoked=row.revoked_at is not None,
        )
        self._cache[token_hash] = principal
        return principal

    async def refresh_forever(self) -> None:
        """Drop the cache whenever the tokens table changed (run as a background task)."""
        while True:
            fingerprint = await accounts_store.tokens_fingerprint(self._db)
            if fingerprint != self._fingerprint:
                self._cache.clear()
                self._fingerprint = fingerprint
            await asyncio.sleep(self._refresh_interval)


def _allowed(client_host: str | None, networks: tuple[IPNetwork, ...]) -> bool:
    if client_host is None:
        return False
    try:
        address = ipaddress.ip_address(client_host)
    except ValueError:
        return False
    return any(address in network for network in networks)
