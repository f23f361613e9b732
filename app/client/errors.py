"""What the client raises. Every exception is a `DarkroomError`:

DarkroomError
├── TransportError      the server could not be reached, or the connection broke, on every try
├── APIError            the server answered with its error envelope (status, code, field, request_id)
│   ├── ValidationError         400 or 422: `validation`, `query_invalid`, `unsupported_filter`
│   ├── Unauthorized            401 unauthorized
│   ├── Forbidden               403 forbidden
│   ├── NotFound                404 not_found, image_not_found, set_not_found, operation_not_found, …
│   ├── Conflict                409 idempotency_key_conflict, operation_finished
│   ├── PayloadTooLarge         413 payload_too_large
│   ├── RateLimited             429 rate_limited, still so after the retries (retry_after)
│   └── ServerError             5xx, still so after the retries
├── OperationFailed     an operation ended `failed` or `canceled` (raised by `raise_for_failure`)
└── WaitTimeout         an operation was still running when `wait` gave up (also a TimeoutError)

Writes the server accepted are never an `APIError`: a retried write that the server had already
accepted is replayed by its `Idempotency-Key`, not done twice.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
import msgspec


class DarkroomError(Exception):
    """Base of everything the client raises."""


class TransportError(DarkroomError):
    """No answer: connection refused or dropped, or a timeout, on every try. The httpx error of
    the last try is the cause."""


class APIError(DarkroomError):
    status_class: ClassVar[tuple[int, ...]] = ()

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        field: str | None = None,
        request_id: str | None = None,
        detail: Any = None,
        items: list[dict[str, Any]] | None = None,
        position: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.request_id = request_id
        self.detail = detail
        # Search API: every bad item of a 422, and where a query formula goes wrong.
        self.items = items or []
        self.position = position
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.status} {self.code}: {self.message}{where} [request {self.request_id}]"


class ValidationError(APIError):
    status_class = (400, 422)


class Unauthorized(APIError):
    status_class = (401,)


class Forbidden(APIError):
    status_class = (403,)


class NotFound(APIError):
    status_class = (404,)


class Conflict(APIError):
    status_class = (409,)


class PayloadTooLarge(APIError):
    status_class = (413,)


class RateLimited(APIError):
    status_class = (429,)


class ServerError(APIError):
    """Any 5xx."""


class OperationFailed(DarkroomError):
    """An operation that ended `failed` (code and message from its `error`) or `canceled`."""

    def __init__(self, code: str, message: str, *, operation: Any, items: list[dict[str, Any]]) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.operation = operation
        self.items = items


class WaitTimeout(DarkroomError, TimeoutError):
    """The operation did not finish in the time `wait` was given; it may finish later."""

    def __init__(self, message: str, *, operation: Any) -> None:
        super().__init__(message)
        self.operation = operation


_BY_STATUS: dict[int, type[APIError]] = {
    status: kind
    for kind in (ValidationError, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, RateLimited)
    for status in kind.status_class
}


class _Envelope(msgspec.Struct, forbid_unknown_fields=False):
    error: dict[str, Any]


_envelope = msgspec.json.Decoder(_Envelope)


def error_envelope(response: httpx.Response) -> dict[str, Any] | None:
    """The `error` object of an error answer, or None when the body is something else."""
    try:
        return _envelope.decode(response.content).error
    except msgspec.DecodeError:
        return None


def retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (this server sends seconds, never a date)."""
    value = response.headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def api_error(response: httpx.Response) -> APIError:
    """The exception for an error answer, whatever its body."""
    envelope = error_envelope(response) or {}
    status = response.status_code
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else APIError)
    return kind(
        str(envelope.get("message") or response.reason_phrase or "Error."),
        status=status,
        code=str(envelope.get("code") or ("internal" if status >= 500 else "unknown")),
        field=envelope.get("field"),
        request_id=envelope.get("request_id") or response.headers.get("x-request-id"),
        detail=envelope.get("detail"),
        items=envelope.get("items"),
        position=envelope.get("position"),
        retry_after=retry_after(response),
    )
