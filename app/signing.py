"""HMAC-SHA256 signatures with the server's secret: upload tickets and private media URLs."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_FIELD = "signature"


def _canonical(fields: Mapping[str, str]) -> bytes:
    # Length-prefixed pairs in key order: no value can be crafted to look like another split.
    parts = []
    for name in sorted(fields):
        if name == SIGNATURE_FIELD:
            continue
        value = fields[name]
        parts.append(f"{len(name)}:{name}{len(value)}:{value}")
    return "".join(parts).encode("utf-8", "surrogatepass")


def sign(secret: str, fields: Mapping[str, str]) -> str:
    return hmac.new(secret.encode(), _canonical(fields), hashlib.sha256).hexdigest()


def signed(secret: str, fields: Mapping[str, str]) -> dict[str, str]:
    """The fields with their signature added."""
    return {**fields, SIGNATURE_FIELD: sign(secret, fields)}


def verify(secret: str, fields: Mapping[str, str], *, now: float | None = None) -> bool:
    """True when the signature matches and the `expires` field (Unix seconds) is in the future."""
    given = fields.get(SIGNATURE_FIELD, "")
    if not hmac.compare_digest(given, sign(secret, fields)):
        return False
    try:
        expires = int(fields["expires"])
    except (KeyError, ValueError):
        return False
    return expires > (time.time() if now is None else now)
