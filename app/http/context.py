"""What an endpoint starts with: the running Darkroom and the caller, checked for a scope."""

from __future__ import annotations

from starlette.requests import Request

from app.accounts.authentication import Principal, token_from_headers
from app.runtime import Darkroom


def header(request: Request, name: bytes) -> str | None:
    """A request header's first value, `name` in lower case; cheaper than `request.headers`."""
    headers: list[tuple[bytes, bytes]] = request.scope["headers"]
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def darkroom(request: Request) -> Darkroom:
    runtime: Darkroom = request.app.darkroom
    return runtime


async def authorize(request: Request, scope: str | None) -> tuple[Darkroom, Principal]:
    """The runtime and the caller; `401` without a valid token, `403` without `scope`."""
    runtime = darkroom(request)
    client = request.scope.get("client")
    authorization = header(request, b"authorization")
    api_key = None if authorization else header(request, b"api-key")
    token = token_from_headers(authorization, api_key)
    principal = await runtime.authenticator.authenticate(token, client[0] if client else None)
    if scope is not None:
        principal.require(scope)
    return runtime, principal
