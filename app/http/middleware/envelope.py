"""Everything around a request, in one layer: its id, its error envelope, its metrics and log line.

One layer rather than one per concern because each layer costs a coroutine and a wrapped `send`
per message, which showed in the poll benchmark (docs/benchmarks.md); the concerns themselves
live in their own modules. It also stands in for Starlette's ServerErrorMiddleware and
ExceptionMiddleware, which `DarkroomApp` leaves out: every exception ends here.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.errors import api_error_for, error_response
from app.http.middleware.access_log import AccessLog
from app.http.middleware.metrics import request_labels
from app.http.middleware.request_id import REQUEST_ID_HEADER, assign_request_id
from app.metrics import Metrics


class RequestEnvelope:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self._requests = metrics.requests
        self._access_log = AccessLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = assign_request_id(scope)
        id_header = (REQUEST_ID_HEADER, request_id.encode("latin-1"))
        status = 0  # until the response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Replaces any X-Request-Id already there, like MutableHeaders would, at less cost.
                headers = [pair for pair in message.get("headers", ()) if pair[0] != REQUEST_ID_HEADER]
                headers.append(id_header)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exception:
            if status:
                # The head is gone: uvicorn logs the error and closes the connection, which is all
                # a client can still be told.
                raise
            await error_response(api_error_for(exception, scope), request_id)(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            self._requests.observe(request_labels(scope, status or 500), seconds)
            if self._access_log.enabled():
                self._access_log.add(request_id, scope["method"], scope["path"], status or 500, seconds)
