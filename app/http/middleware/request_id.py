"""Every response carries `X-Request-Id`: the client's own when well-formed, else a new one."""

from __future__ import annotations

import os
import random
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_VALID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_HEADER = b"x-request-id"


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


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == _HEADER:
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming and _VALID.fullmatch(incoming) else _new_id()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (_HEADER, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Replaces any X-Request-Id already there, like MutableHeaders would, at less cost.
                headers = [pair for pair in message.get("headers", ()) if pair[0] != _HEADER]
                headers.append(header)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)
