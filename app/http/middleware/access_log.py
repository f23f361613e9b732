"""The access log: one structured line per request (request id, method, path, status, duration).

The lines skip `logging`'s records and handlers, which cost more than the rest of a `304` (see
docs/benchmarks.md). Each is rendered here in the format `serve` gives every log line, and the
lines of one event-loop turn reach stderr in one write. The `darkroom.access` logger still
decides whether they are written (at INFO), as it did when the lines went through it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import msgspec

logger = logging.getLogger("darkroom.access")
_encoder = msgspec.json.Encoder()
_MOST_PENDING = 1024


class AccessLog:
    """Lines waiting for the end of the event-loop turn, then rendered and written together."""

    def __init__(self) -> None:
        self._pending: list[tuple[float, str, str, str, int, float]] = []
        # The time stamp of the last line, kept while lines come within the same millisecond.
        self._millisecond = -1
        self._second = -1
        self._local_second = ""
        self._stamp = ""

    @staticmethod
    def enabled() -> bool:
        return logger.isEnabledFor(logging.INFO)

    def add(self, request_id: str, method: str, path: str, status: int, seconds: float) -> None:
        self._pending.append((time.time(), request_id, method, path, status, seconds))
        if len(self._pending) == 1:
            asyncio.get_running_loop().call_soon(self._write)
        elif len(self._pending) >= _MOST_PENDING:
            # Also bounds the batch should a loop have closed before its turn ended.
            self._write()

    def _write(self) -> None:
        if not self._pending:
            return
        lines = []
        for now, request_id, method, path, status, seconds in self._pending:
            line = {
                "request_id": request_id,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            }
            lines.append(f"{self._asctime(now)} INFO {logger.name} {_encoder.encode(line).decode()}\n")
        self._pending.clear()
        sys.stderr.write("".join(lines))
        sys.stderr.flush()

    def _asctime(self, now: float) -> str:
        """As logging's `asctime`: local time, then milliseconds after a comma."""
        millisecond = int(now * 1000)
        if millisecond != self._millisecond:
            second, fraction = divmod(millisecond, 1000)
            if second != self._second:
                self._second = second
                self._local_second = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._millisecond = millisecond
            self._stamp = f"{self._local_second},{fraction:03d}"
        return self._stamp
