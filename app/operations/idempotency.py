"""Idempotency keys: their form, and the fingerprint of the request they were first used for."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from app.errors import ValidationFailed

HEADER = "Idempotency-Key"
_encoder = msgspec.json.Encoder(order="sorted")


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    key: str
    fingerprint: str


def check_key(key: str) -> str:
    """A key is 1–255 printable ASCII characters."""
    if not 1 <= len(key) <= 255 or not all(" " <= c <= "~" for c in key):
        raise ValidationFailed("Idempotency-Key must be 1 to 255 printable ASCII characters.", field=HEADER)
    return key


def fingerprint(method: str, path: str, query: Mapping[str, Any], body: Any) -> str:
    """The same request, whatever its key order or whitespace, gives the same fingerprint."""
    canonical = _encoder.encode({"method": method.upper(), "path": path, "query": dict(query), "body": body})
    return hashlib.sha256(canonical).hexdigest()
