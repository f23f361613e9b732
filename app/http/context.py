"""What an endpoint starts with: the running Darkroom and the caller, checked for a scope."""

from __future__ import annotations

from starlette.requests import Request

from app.accounts.authentication import Principal
from app.runtime import Darkroom


def darkroom(request: Request) -> Darkroom:
    runtime: Darkroom = request.app.state.darkroom
    return runtime


async def authorize(request: Request, scope: str | None) -> tuple[Darkroom, Principal]:
    """The runtime and the caller; `401` without a valid token, `403` without `scope`."""
    runtime = darkroom(request)
    client = request.client.host if request.client else None
    principal = await runtime.authenticator.authenticate(request.headers, client)
    if scope is not None:
        principal.require(scope)
    return runtime, principal
