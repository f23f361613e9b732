"""`GET /v1/me`: the caller's account, token and scopes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import ALL_SCOPES
from app.http.context import authorize
from app.http.responses import get_response
from app.http.routing import Route
from app.schemas.accounts import AccountOut, MeOut, TokenOut


async def me(request: Request) -> Response:
    _, principal = await authorize(request, None)
    return get_response(
        request,
        MeOut(
            account=AccountOut(uuid=principal.account_uuid, name=principal.account_name),
            token=TokenOut(
                uuid=principal.token_uuid, name=principal.token_name, expires_at=principal.expires_at
            ),
            capabilities=[scope for scope in ALL_SCOPES if scope in principal.scopes],
        ),
    )


routes = [Route("/v1/me", me, methods=["GET"])]
