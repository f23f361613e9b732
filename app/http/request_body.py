"""Reading a request body with a size cap, stopping as soon as it is passed."""

from __future__ import annotations

from starlette.requests import Request

from app.errors import PayloadTooLarge, ValidationFailed


def body_limit(global_limit: int, token_limit: int | None) -> int:
    return global_limit if token_limit is None else min(global_limit, token_limit)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or `413` without reading past `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise ValidationFailed("Content-Length is not a number.", field="Content-Length") from None
        if length > limit:
            raise PayloadTooLarge(f"The body is over the limit of {limit} bytes.")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(f"The body is over the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)
