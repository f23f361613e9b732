"""Fixtures of the client tests: one real server on a port (faults off again after each test),
and clients that note every request they send."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from app.client import AsyncDarkroom, Retries
from app.testing import DarkroomServer

# Retries without the waits between them: the tests are about which requests go, not when.
QUICK_RETRIES = Retries(attempts=5, backoff=0.01, max_backoff=0.05)


@pytest.fixture(scope="package")
def server() -> Iterator[DarkroomServer]:
    """One worker: operations run one after another, so that a slow one holds the next back."""
    with DarkroomServer(workers=1) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults(server: DarkroomServer) -> Iterator[None]:
    yield
    server.faults()


@dataclass
class Sent:
    """What a client sent and what it got back, in order."""

    requests: list[httpx.Request] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # when each request went, by time.monotonic()

    async def request(self, request: httpx.Request) -> None:
        self.requests.append(request)
        self.times.append(time.monotonic())

    async def response(self, response: httpx.Response) -> None:
        self.responses.append(response)

    def to(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]


@pytest.fixture
def sent() -> Sent:
    return Sent()


@pytest.fixture
async def client(server: DarkroomServer, sent: Sent) -> AsyncIterator[AsyncDarkroom]:
    async with AsyncDarkroom(
        server.url,
        server.token,
        retries=QUICK_RETRIES,
        event_hooks={"request": [sent.request], "response": [sent.response]},
    ) as darkroom:
        yield darkroom
