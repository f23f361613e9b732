"""The error envelope, and the one place every error becomes a response.

`ErrorMiddleware` catches what endpoints raise: an `ApiError` is rendered as itself; a full,
read-only or locked storage becomes `507 insufficient_storage` or `503 unavailable`; anything
else is logged with the request id and answered `500 internal` without a traceback. Starlette's
own 404 and 405 come through `http_exception_handler`.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import (
    ApiError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    resource_fault,
)
from app.http.middleware.request_id import request_id_of
from app.http.responses import JSONResponse

logger = logging.getLogger("darkroom.errors")


def error_response(error: ApiError, request_id: str) -> JSONResponse:
    body = {
        "error": {
            "code": error.code,
            "message": error.message,
            "detail": error.detail,
            "field": error.field,
            "request_id": request_id,
            **error.extra,
        }
    }
    return JSONResponse(body, status_code=error.status, headers=error.headers)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for HTTPException only
        raise exc
    error: ApiError
    if exc.status_code == 404:
        error = NotFound(f"No route for {request.url.path}.")
    elif exc.status_code == 405:
        error = MethodNotAllowed(
            f"{request.method} is not allowed on {request.url.path}.", headers=dict(exc.headers or {})
        )
    elif exc.status_code == 413:
        error = PayloadTooLarge(str(exc.detail))
    elif 400 <= exc.status_code < 500:
        error = ValidationFailed(str(exc.detail))
    else:
        error = InternalError()
    return error_response(error, request_id_of(request.scope))


class ErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except ApiError as error:
            if started:
                raise
            await error_response(error, request_id_of(scope))(scope, receive, send)
        except Exception as error:
            fault = resource_fault(error)
            if fault is None:
                logger.exception("unhandled error in request %s", request_id_of(scope))
                fault = InternalError()
            else:
                logger.warning("request %s: %s (%s)", request_id_of(scope), fault.code, error)
            if started:
                return
            await error_response(fault, request_id_of(scope))(scope, receive, send)
