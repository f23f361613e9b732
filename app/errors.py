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
└── InternalError           500 internal
"""

from __future__ import annotations

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


class InternalError(ApiError):
    pass


class Unprocessable(ApiError):
    status = 422
    code = "validation"
    default_message = "The request is not valid."

    def __init__(self, message: str | None = None, *, items: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, extra={"items": items}, **kwargs)
