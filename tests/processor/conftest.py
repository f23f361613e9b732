"""Fixtures of the processor tests: the shared image corpus and a local `src` server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processor.source_server import SourceServer, serving

# The corpus lives beside the clone: <workspace>/main is the repo, <workspace>/shared the corpus.
CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the image corpus is not at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="module")
def source_server() -> Iterator[SourceServer]:
    with serving() as server:
        yield server
