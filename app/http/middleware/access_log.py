"""One structured log line per request: request id, method, path, status, duration."""

from __future__ import annotations

import logging
import time

import msgspec
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.middleware.request_id import request_id_of

logger = logging.getLogger("darkroom.access")
_encoder = msgspec.json.Encoder()


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
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
            line = {
                "request_id": request_id_of(scope),
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            logger.info(_encoder.encode(line).decode())
