"""The request id every response carries as `X-Request-Id`."""

from __future__ import annotations

import os
import random
import re

from starlette.types import Scope

_VALID = re.compile(r"[A-Za-z0-9._-]{1,128}")
REQUEST_ID_HEADER = b"x-request-id"


# Ids made ahead: drawing 8 random bytes per request showed in the poll benchmark.
_ready: list[str] = []
# A forked child must not hand out its parent's ids again.
os.register_at_fork(after_in_child=_ready.clear)


def _new_id() -> str:
    """16 hex digits; an id only has to be unique, not secret."""
    try:
        return _ready.pop()
    except IndexError:
        digits = random.randbytes(8 * 256).hex()
        _ready.extend(digits[start : start + 16] for start in range(16, len(digits), 16))
        return digits[:16]


def request_id_of(scope: Scope) -> str:
    request_id: str = scope.get("state", {}).get("request_id", "")
    return request_id


def assign_request_id(scope: Scope) -> str:
    """The request's id, kept in its scope: the client's own when well-formed, else a new one."""
    incoming = None
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            incoming = value.decode("latin-1")
            break
    request_id = incoming if incoming and _VALID.fullmatch(incoming) else _new_id()
    scope.setdefault("state", {})["request_id"] = request_id
    return request_id
