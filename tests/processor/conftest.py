"""Fixtures of the processor tests: the shared image corpus, a local `src` server, a worker pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.processor.pool import ProcessorPool
from tests.processor.source_server import SourceServer, serving

# The corpus lives beside the clone: <workspace>/main is the repo, <workspace>/shared the corpus.
CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Module-wide, so that one worker pool serves a whole test module (workers take a while)."""
    return "asyncio"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the image corpus is not at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="module")
def source_server() -> Iterator[SourceServer]:
    with serving() as server:
        yield server


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[ProcessorPool]:
    """Two workers with a short timeout: a hang costs the tests two seconds, not a minute."""
    workers = ProcessorPool(workers=2, timeout=2.0)
    await workers.start()
    yield workers
    await workers.close()
