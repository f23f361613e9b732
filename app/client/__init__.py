"""A typed client of both dialects: `AsyncDarkroom` (the core) and `Darkroom` (blocking).

    with Darkroom(url, token) as darkroom:
        operation = darkroom.sets.create("Holidays").wait().raise_for_failure()
        set_uuid = operation.result["set_public_uuid"]

Every write carries a fresh `Idempotency-Key`, reused when it is retried (connection errors,
timeouts, `429`, `5xx`, with backoff honouring `Retry-After`); errors are in `errors.py`.
"""

from app.client.client import AsyncDarkroom
from app.client.errors import (
    APIError,
    Conflict,
    DarkroomError,
    Forbidden,
    NotFound,
    OperationFailed,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    ValidationError,
    WaitTimeout,
)
from app.client.library_operations import BatchCall
from app.client.models import OperationInfo, OpInfo, Page
from app.client.operations import AsyncOp, AsyncOperation
from app.client.sync import Darkroom, Op, Operation
from app.client.transport import Retries

__all__ = [
    "APIError",
    "AsyncDarkroom",
    "AsyncOp",
    "AsyncOperation",
    "BatchCall",
    "Conflict",
    "Darkroom",
    "DarkroomError",
    "Forbidden",
    "NotFound",
    "Op",
    "OpInfo",
    "Operation",
    "OperationFailed",
    "OperationInfo",
    "Page",
    "PayloadTooLarge",
    "RateLimited",
    "Retries",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "ValidationError",
    "WaitTimeout",
]
