"""`Route`, as Starlette's, but an `async` endpoint is called directly: without the exception
handling Starlette's `request_response` wraps around each one (a closure and a wrapped `send`
per request, a cost a `304` poll shows), since `RequestEnvelope` handles every exception for
the whole app."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from starlette import routing
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send


class Route(routing.Route):
    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        if inspect.iscoroutinefunction(endpoint):
            self.app = _endpoint_app(endpoint)


def _endpoint_app(endpoint: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    return app
