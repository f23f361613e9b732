"""The progress line: redrawn in place on a terminal, a plain line now and then elsewhere."""

from __future__ import annotations

import io

from app.cli.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_terminal_gets_one_line_redrawn_with_rate_and_eta() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress("import", 100, stream=stream, live=True, clock=clock)
    clock.now += 10
    progress.update(done=40, failed=5, skipped=5)
    assert progress.render(clock.now, 100) == (
        "import [####################....................] 50/100  failed 5  skipped 5  5.0/s  ETA 0:10"
    )
    clock.now += 0.05
    progress.update(done=41)  # too soon after the last: not drawn
    assert stream.getvalue().count("\r") == 1
    clock.now += 10
    progress.update(done=50)
    progress.finish()
    drawn = stream.getvalue()
    assert drawn.count("\r") == 3 and drawn.endswith("\n") and drawn.count("\n") == 1


def test_a_narrow_terminal_gets_no_bar() -> None:
    progress = Progress("ops", 3, stream=io.StringIO(), live=True, clock=Clock())
    progress.update(status="running", done=1)
    assert "[" not in progress.render(100.5, 30)
    assert progress.render(100.5, 30).startswith("ops running 1/3")


def test_elsewhere_a_plain_line_every_ten_seconds() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress("import", 10, stream=stream, live=False, clock=clock)
    progress.update(done=1)
    clock.now += 5
    progress.update(done=2)
    assert stream.getvalue() == ""
    clock.now += 6
    progress.update(done=3)
    progress.finish()
    assert stream.getvalue() == "import: 3/10  0.3/s  ETA 0:26\n"
