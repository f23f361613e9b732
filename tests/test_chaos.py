"""The crash harness's short run: three kills of a real server under a mixed workload, and not
one invariant broken (bench/chaos.py; `make chaos` runs the long one)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processor.conftest import CORPUS

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the image corpus is missing")
def test_three_kills_break_no_invariant(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "bench/chaos.py", "--seed", "7", "--kills", "3", "--ops", "12", "--small", "--json"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(run.stdout)
    assert report["violation_lines"] == [], run.stderr
    assert run.returncode == 0
    assert report["kills_survived"] == 3
    # The kills came while the server had work in hand, and the retries found it.
    assert report["operations_interrupted"] > 0
    assert report["retries_replayed"] > 0
    assert report["operations_checked"] >= report["writes"]
