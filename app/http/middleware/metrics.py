"""Count and time every request by method, route template and status, for `GET /metrics`.

The route is the template the router matched (`/v1/images/{uuid}`), never the raw path, so a
label cannot take one value per image; a path no route matches is `<unmatched>`.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import Metrics

UNMATCHED = "<unmatched>"
# Any other method a client makes up is `other`: no label value may be the client's choice.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self._requests = metrics.requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"]
            # The router leaves the route it matched (fully, or by path only for a 405) in the scope.
            route = scope.get("route")
            self._requests.observe(
                (
                    method if method in METHODS else "other",
                    route.path if route is not None else UNMATCHED,
                    status,
                ),
                seconds,
            )
