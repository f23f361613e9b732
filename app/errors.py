"""The API's errors: one hierarchy, each with its status and stable code; one handler renders them.

ApiError
├── Unauthorized            401 unauthorized
├── Forbidden               403 forbidden
├── ValidationFailed        400 validation (field names what is wrong)
├── NotFound                404 not_found, and its kinds: image_, set_, operation_, archive_
├── MethodNotAllowed        405 method_not_allowed
├── IdempotencyKeyConflict  409 idempotency_key_conflict
├── OperationFinished       409 operation_finished
├── PayloadTooLarge         413 payload_too_large
├── RateLimited             429 rate_limited (with Retry-After)
├── InsufficientStorage     507 insufficient_storage (the disk or quota is full)
├── Unavailable             503 unavailable (with Retry-After: storage read-only or locked)
└── InternalError           500 internal

`resource_fault` says which of the last three a low-level storage exception is.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Any, ClassVar


class ApiError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"
    default_message: ClassVar[str] = "Internal server error."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.field = field
        self.detail = detail
        self.headers = headers or {}
        # More members of the error object, for the errors of the search API.
        self.extra = extra or {}
        super().__init__(self.message)


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"
    default_message = "A valid token is required."


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    default_message = "This token may not do that."


class ValidationFailed(ApiError):
    status = 400
    code = "validation"
    default_message = "The request is not valid."


class NotFound(ApiError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class ImageNotFound(NotFound):
    code = "image_not_found"
    default_message = "No such image."


class SetNotFound(NotFound):
    code = "set_not_found"
    default_message = "No such set."


class OperationNotFound(NotFound):
    code = "operation_not_found"
    default_message = "No such operation."


class ArchiveNotFound(NotFound):
    code = "archive_not_found"
    default_message = "No such archive."


class MethodNotAllowed(ApiError):
    status = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed here."


class IdempotencyKeyConflict(ApiError):
    status = 409
    code = "idempotency_key_conflict"
    default_message = "This Idempotency-Key was used for a different request."


class OperationFinished(ApiError):
    status = 409
    code = "operation_finished"
    default_message = "The operation has already finished."


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class RateLimited(ApiError):
    status = 429
    code = "rate_limited"
    default_message = "Too many queued operations; retry later."


class InsufficientStorage(ApiError):
    status = 507
    code = "insufficient_storage"
    default_message = "The server has no storage space left; nothing was changed. Retry once space is freed."


class Unavailable(ApiError):
    status = 503
    code = "unavailable"
    default_message = "Storage is read-only or busy for now; nothing was changed. Retry later."
    retry_after: ClassVar[int] = 5  # seconds

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("Retry-After", str(self.retry_after))


class InternalError(ApiError):
    pass


_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_UNAVAILABLE_ERRNOS = frozenset({errno.EROFS, errno.EACCES})
_FULL_SQLITE = frozenset({sqlite3.SQLITE_FULL})
_UNAVAILABLE_SQLITE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY})


def resource_fault(error: BaseException) -> ApiError | None:
    """The error to answer when `error` (or what caused it) is storage that is full, read-only
    or locked rather than a bug; None otherwise. SQLite's busy and locked states, once its
    timeout has passed, are such faults too: the write can simply be tried again."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            # The primary code is the low byte; extended codes (SQLITE_READONLY_DBMOVED...) add to it.
            primary = (getattr(current, "sqlite_errorcode", None) or 0) & 0xFF
            if primary in _FULL_SQLITE:
                return InsufficientStorage()
            if primary in _UNAVAILABLE_SQLITE:
                return Unavailable()
        elif isinstance(current, OSError):
            if current.errno in _FULL_ERRNOS:
                return InsufficientStorage()
            if current.errno in _UNAVAILABLE_ERRNOS:
                return Unavailable()
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(cause for cause in (current.__cause__, current.__context__) if cause is not None)
    return None


class Unprocessable(ApiError):
    status = 422
    code = "validation"
    default_message = "The request is not valid."

    def __init__(self, message: str | None = None, *, items: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, extra={"items": items}, **kwargs)
