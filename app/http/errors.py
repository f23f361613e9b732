"""The error envelope, and the one place every exception becomes an error a client is told.

An `ApiError` is told as itself; Starlette's own 404, 405 and refused bodies become theirs; a
full, read-only or locked storage becomes `507 insufficient_storage` or `503 unavailable`;
anything else is logged with the request id and told as `500 internal` without a traceback.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.types import Scope

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


def api_error_for(exception: Exception, scope: Scope) -> ApiError:
    """What a client is told about an exception its request raised; the unexpected are logged."""
    if isinstance(exception, ApiError):
        return exception
    if isinstance(exception, HTTPException):
        return _router_error(exception, scope)
    request_id = request_id_of(scope)
    fault = resource_fault(exception)
    if fault is None:
        logger.error("unhandled error in request %s", request_id, exc_info=exception)
        return InternalError()
    logger.warning("request %s: %s (%s)", request_id, fault.code, exception)
    return fault


def _router_error(exception: HTTPException, scope: Scope) -> ApiError:
    """Starlette's own: no route (404), a method the route lacks (405), a body it refused."""
    status, method, path = exception.status_code, scope["method"], scope["path"]
    if status == 404:
        return NotFound(f"No route for {path}.")
    if status == 405:
        return MethodNotAllowed(f"{method} is not allowed on {path}.", headers=dict(exception.headers or {}))
    if status == 413:
        return PayloadTooLarge(str(exception.detail))
    if 400 <= status < 500:
        return ValidationFailed(str(exception.detail))
    return InternalError()
