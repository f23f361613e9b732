"""Faults injected on purpose, so that client libraries can test their retries against a real server.

Off unless `Faults.configure` turns them on (the embedded test server's `faults(...)` does):
`delay_ms` slows every operation down, `fail_rate` makes that share of operations fail with
`fault_injected`, and `drop_rate` cuts that share of write responses after the write was
accepted, so that the client sees a dropped connection for work that was in fact done.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.operations.context import OperationFailed

FAULT_CODE = "fault_injected"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class FaultSettings:
    delay_ms: int = 0
    fail_rate: float = 0.0
    drop_rate: float = 0.0


class Faults:
    """What to inject, and the seeded dice that decide which operation or response is hit."""

    def __init__(self) -> None:
        self.settings = FaultSettings()
        self._random = random.Random()

    def configure(
        self, delay_ms: int = 0, fail_rate: float = 0.0, drop_rate: float = 0.0, seed: int | None = None
    ) -> None:
        """Replace every fault at once; no argument turns them all off."""
        if delay_ms < 0:
            raise ValueError(f"delay_ms must not be negative, got {delay_ms}")
        for name, rate in (("fail_rate", fail_rate), ("drop_rate", drop_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {rate}")
        self._random = random.Random(seed)
        # One assignment: the server's thread never sees half of a new configuration.
        self.settings = FaultSettings(delay_ms, fail_rate, drop_rate)

    def _hit(self, rate: float) -> bool:
        return rate > 0.0 and self._random.random() < rate

    async def before_operation(self) -> None:
        """Called by the engine as an operation starts to run."""
        settings = self.settings
        if settings.delay_ms:
            await asyncio.sleep(settings.delay_ms / 1000)
        if self._hit(settings.fail_rate):
            raise OperationFailed(FAULT_CODE, "This operation failed on purpose: a fault was injected.")

    def drop_response(self) -> bool:
        return self._hit(self.settings.drop_rate)


class ResponseDropped(Exception):
    """Raised to the server after a write's response head went out without its body."""


class DropResponseMiddleware:
    """For a share of accepted writes (2xx), send the head with its real Content-Length, then
    fail instead of sending the body: the server closes the connection mid-response."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not self.faults.settings.drop_rate
            or scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
        ):
            await self.app(scope, receive, send)
            return
        dropped = False

        async def send_or_drop(message: Message) -> None:
            nonlocal dropped
            if message["type"] == "http.response.start":
                dropped = 200 <= message["status"] < 300 and self.faults.drop_response()
            elif dropped:
                return  # the body never leaves
            await send(message)

        await self.app(scope, receive, send_or_drop)
        if dropped:
            raise ResponseDropped(f"{scope['method']} {scope['path']}: response dropped (fault injected)")
