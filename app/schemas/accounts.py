"""The caller as `GET /v1/me` shows it: account, token and scopes."""

from __future__ import annotations

from app.schemas.base import Schema


class AccountOut(Schema):
    uuid: str
    name: str


class TokenOut(Schema):
    uuid: str
    name: str
    expires_at: str | None


class MeOut(Schema):
    account: AccountOut
    token: TokenOut
    capabilities: list[str]
