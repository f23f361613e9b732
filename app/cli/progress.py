"""A progress line on stderr: redrawn in place on a terminal, a plain line now and then elsewhere
(a log file or a CI job gets a record, not a stream of carriage returns)."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

# A terminal is redrawn at most this often; anything else gets a line this seldom.
_REDRAW_EVERY = 0.1
_LINE_EVERY = 10.0
_BAR_WIDTH = (10, 40)


@dataclass(slots=True)
class Counts:
    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def settled(self) -> int:
        return self.done + self.failed + self.skipped


class Progress:
    """`update()` as things happen, `finish()` at the end; `live` defaults to whether the stream
    is a terminal. `status` is a word or two shown before the bar (an operation's state)."""

    def __init__(
        self,
        label: str,
        total: int,
        *,
        stream: TextIO | None = None,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.counts = Counts(total)
        self.status = ""
        self._stream = stream or sys.stderr
        self._live = self._stream.isatty() if live is None else live
        self._clock = clock
        self._started = clock()
        self._drawn_at: float | None = None
        self._width = 0

    def update(
        self,
        *,
        status: str | None = None,
        total: int | None = None,
        done: int | None = None,
        failed: int | None = None,
        skipped: int | None = None,
    ) -> None:
        """What is given, as it now stands."""
        counts = self.counts
        counts.total = counts.total if total is None else total
        counts.done = counts.done if done is None else done
        counts.failed = counts.failed if failed is None else failed
        counts.skipped = counts.skipped if skipped is None else skipped
        self.status = self.status if status is None else status
        self.draw()

    def draw(self, *, force: bool = False) -> None:
        """Redraw if it is time to (also with no change: the rate and the ETA move on)."""
        now = self._clock()
        every = _REDRAW_EVERY if self._live else _LINE_EVERY
        if self._drawn_at is None and not self._live:
            self._drawn_at = now  # the first plain line comes after one interval, not at once
        if not force and self._drawn_at is not None and now - self._drawn_at < every:
            return
        self._drawn_at = now
        if self._live:
            line = self.render(now, shutil.get_terminal_size().columns)
            # Spaces over what is left of a longer previous line.
            self._stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            self._stream.write(self.render(now, None) + "\n")
        self._stream.flush()

    def finish(self) -> None:
        """The last state, and the line ended so that what follows starts on its own."""
        if self._live:
            self.draw(force=True)
            self._stream.write("\n")
            self._stream.flush()

    def render(self, now: float, columns: int | None) -> str:
        """The line; `columns` is the terminal's width (None: no bar)."""
        counts = self.counts
        elapsed = max(now - self._started, 1e-9)
        rate = counts.settled / elapsed
        parts = [f"{counts.settled}/{counts.total}"]
        if counts.failed:
            parts.append(f"failed {counts.failed}")
        if counts.skipped:
            parts.append(f"skipped {counts.skipped}")
        parts.append(f"{rate:.1f}/s")
        remaining = counts.total - counts.settled
        if remaining > 0 and counts.settled:
            parts.append(f"ETA {_duration(remaining / rate)}")
        head = f"{self.label} {self.status}".strip()
        tail = "  ".join(parts)
        if columns is None:
            return f"{head}: {tail}"
        room = columns - len(head) - len(tail) - 6
        width = min(_BAR_WIDTH[1], room)
        if width < _BAR_WIDTH[0]:
            return f"{head} {tail}"[: columns - 1]
        filled = width * counts.settled // counts.total if counts.total else width
        return f"{head} [{'#' * filled}{'.' * (width - filled)}] {tail}"


def _duration(seconds: float) -> str:
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
