"""Who is calling: a token from `Authorization: Bearer` or `API-Key`, checked against the database.

Tokens are cached in memory, keyed by the token as sent, so that a poll needs neither a query
nor a hash. The command line may add or revoke tokens while the server runs, so a background
task compares a cheap fingerprint of the tokens table every `refresh_interval` seconds and drops
the cache when it moved: a revocation takes effect within that interval.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass

from app.accounts.tokens import hash_token
from app.errors import Forbidden, Unauthorized
from app.storage import accounts_store
from app.storage.database import Database
from app.timestamps import parse_time

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
    expires_at_epoch: float | None  # the same moment, for a comparison per request
    max_request_bytes: int | None
    ip_networks: tuple[IPNetwork, ...]
    revoked: bool

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This token lacks the scope {scope}.", detail={"scope": scope})


def token_from_headers(authorization: str | None, api_key: str | None) -> str | None:
    """The token of `Authorization: Bearer <token>`, else of `API-Key: <token>`."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        value = value.strip()
        return value if value and scheme.lower() == "bearer" else None
    api_key = api_key.strip() if api_key else None
    return api_key or None


class Authenticator:
    def __init__(self, db: Database, *, refresh_interval: float = 1.0) -> None:
        self._db = db
        self._refresh_interval = refresh_interval
        # Only tokens found in the database are kept, so unknown tokens cannot grow it.
        self._cache: dict[str, Principal] = {}
        self._fingerprint: tuple[int, int, int] | None = None

    async def authenticate(self, token: str | None, client_host: str | None) -> Principal:
        """The principal of `token` (from `token_from_headers`); `401` or `403` when it may not call."""
        if token is None:
            raise Unauthorized("Send a token as 'Authorization: Bearer <token>' or 'API-Key'.")
        principal = self._cache.get(token)
        if principal is None:
            principal = await self._load(token)
        if principal.revoked:
            raise Unauthorized("This token was revoked.")
        if principal.expires_at_epoch is not None and principal.expires_at_epoch <= time.time():
            raise Unauthorized("This token has expired.")
        if principal.ip_networks and not _allowed(client_host, principal.ip_networks):
            raise Forbidden("This token may not be used from this address.")
        return principal

    async def _load(self, token: str) -> Principal:
        row = await accounts_store.token_by_hash(self._db, hash_token(token))
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
            expires_at_epoch=None if row.expires_at is None else parse_time(row.expires_at).timestamp(),
            max_request_bytes=row.max_request_bytes,
            ip_networks=tuple(ipaddress.ip_network(n) for n in row.ip_networks),
            revoked=row.revoked_at is not None,
        )
        self._cache[token] = principal
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
