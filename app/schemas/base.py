"""The one base of every schema, shared constraints, and the one place decode errors become ours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import msgspec

from app.errors import ValidationFailed


class Schema(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=False):
    """Base of request and response bodies: unknown fields are refused."""


T = TypeVar("T")

Limit = Annotated[int, msgspec.Meta(ge=1, le=200)]
# SQLite binds integers up to 2**63 - 1: past that an offset would be a server error, not a page.
Offset = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
# The search API's pages: (page - 1) × limit (≤ 10 000) stays well within SQLite's integers.
Page = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
Title = Annotated[str, msgspec.Meta(max_length=191)]

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>[^`]*)`")
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]*)`")


def field_from_error(error: msgspec.MsgspecError) -> tuple[str, str | None]:
    """msgspec's message (ending in a full stop) and the field path it names."""
    message, field = _field_from(str(error))
    return message + ".", field


def _field_from(message: str) -> tuple[str, str | None]:
    """Split msgspec's message into (message, field path like `keywords[2]`)."""
    path = None
    match = _AT.search(message)
    if match:
        message = message[: match.start()]
        path = match["path"].lstrip(".") or None
    for pattern in (_UNKNOWN, _MISSING):
        named = pattern.search(message)
        if named:
            path = f"{path}.{named['name']}" if path else named["name"]
    return message, path


def validation_error(error: msgspec.MsgspecError, *, prefix: str | None = None) -> ValidationFailed:
    message, field = _field_from(str(error))
    if prefix:
        field = f"{prefix}.{field}" if field else prefix
    return ValidationFailed(message + ".", field=field)


def decode_json(body: bytes, type: type[T]) -> T:
    """Decode a request body strictly into `type`, or raise `400 validation` naming the field."""
    if not body.strip():
        raise ValidationFailed("A JSON body is required.")
    try:
        return msgspec.json.decode(body, type=type)
    except msgspec.DecodeError as error:
        if isinstance(error, msgspec.ValidationError):
            raise validation_error(error) from None
        raise ValidationFailed(f"The body is not valid JSON: {error}.") from None


def decode_any_json(body: bytes) -> Any:
    """Decode JSON without a schema (for fingerprints); the caller has validated it already."""
    return msgspec.json.decode(body)


def convert_query(params: Mapping[str, str], type: type[T]) -> T:
    """Query parameters into `type`, strings converted ('5' to 5), unknown ones refused."""
    try:
        return msgspec.convert(dict(params), type=type, strict=False)
    except msgspec.ValidationError as error:
        raise validation_error(error) from None
