"""Retries: a dropped write is sent again with its key and done once; 429 waits as it is told;
the backoff itself, as a pure function."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import httpx
import pytest
from PIL import Image as PillowImage

from app.client import AsyncDarkroom, Retries, TransportError
from app.client.transport import EventHook
from app.testing import DarkroomServer
from tests.client.conftest import QUICK_RETRIES, Sent


def seed_dropping(first: int) -> int:
    """A seed whose dice drop the first `first` write responses and let the next one through."""
    return seed_rolling(*[True] * first, False)


def seed_rolling(*drops: bool) -> int:
    """A seed whose dice, at `drop_rate=0.5`, drop the write responses as `drops` says, in order."""
    for seed in range(1000):
        dice = random.Random(seed)
        if [dice.random() < 0.5 for _ in drops] == list(drops):
            return seed
    raise AssertionError("no such seed")


async def test_a_write_dropped_after_acceptance_is_retried_with_its_key_and_done_once(
    server: DarkroomServer, client: AsyncDarkroom, sent: Sent
) -> None:
    before = await client.operations.list(type="set_create", limit=200)
    server.faults(drop_rate=0.5, seed=seed_dropping(2))
    operation = await client.sets.create("Dropped twice")
    server.faults()
    posts = sent.to("POST", "/v1/sets")
    assert len(posts) == 3
    assert len({post.headers["Idempotency-Key"] for post in posts}) == 1
    assert sent.responses[-1].headers["Idempotent-Replayed"] == "true"
    await operation.wait(10)
    assert operation.succeeded
    after = await client.operations.list(type="set_create", limit=200)
    assert [op.uuid for op in after][: len(after) - len(before)] == [operation.uuid]
    named = [s for s in await client.sets.list(limit=200) if s.name == "Dropped twice"]
    assert [s.public_uuid for s in named] == [operation.result["set_public_uuid"]]


async def test_a_file_upload_dropped_after_acceptance_sends_the_whole_file_again(
    server: DarkroomServer, client: AsyncDarkroom, sent: Sent, tmp_path: Path
) -> None:
    """The file goes as a stream from disk; its retry reads it from the start again, and the
    ticket, good for one file, answers with the same operation."""
    path = tmp_path / "teal.png"
    PillowImage.new("RGB", (300, 200), (0, 128, 128)).save(path)
    # The ticket's answer goes through, the file's first answer is dropped, its second not.
    server.faults(drop_rate=0.5, seed=seed_rolling(False, True, False))
    operation = await client.uploads.upload_file(path)
    server.faults()
    posts = sent.to("POST", "/v1/uploads/file")
    assert len(posts) == 2
    assert sent.responses[-1].headers["Idempotent-Replayed"] == "true"
    await operation.wait(30)
    image = await client.images.get(operation.result["image_public_uuid"])
    assert image.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


async def test_each_logical_write_has_its_own_key(client: AsyncDarkroom, sent: Sent) -> None:
    await client.sets.create("One")
    await client.sets.create("Two")
    keys = [post.headers["Idempotency-Key"] for post in sent.to("POST", "/v1/sets")]
    assert len(keys) == 2 and keys[0] != keys[1]


async def test_a_write_dropped_on_every_try_is_a_transport_error(
    server: DarkroomServer, client: AsyncDarkroom, sent: Sent
) -> None:
    server.faults(drop_rate=1.0)
    with pytest.raises(TransportError) as raised:
        await client.sets.create("Never answered")
    assert len(sent.to("POST", "/v1/sets")) == QUICK_RETRIES.attempts
    assert "peer closed connection" in str(raised.value.__cause__)
    server.faults()
    # The work was done, once: the caller can tell by listing.
    named = [s for s in await client.sets.list(limit=200) if s.name == "Never answered"]
    assert len(named) == 1


async def test_429_waits_for_retry_after_then_goes_through_with_the_same_key() -> None:
    """One worker busy with a slow operation, one queued: a write over the queue's bound is
    answered `429` with `Retry-After: 5`, and accepted when it comes back with its key."""
    sent = Sent()
    with DarkroomServer(workers=1, max_queued=1) as server:

        async def full_speed_once_limited(response: httpx.Response) -> None:
            if response.status_code == 429:
                server.faults()

        server.faults(delay_ms=1000)
        hooks: dict[str, list[EventHook]] = {
            "request": [sent.request],
            "response": [sent.response, full_speed_once_limited],
        }
        async with AsyncDarkroom(server.url, server.token, event_hooks=hooks) as client:
            written = [await client.sets.create(name) for name in ("Running", "Queued", "Third")]
            for operation in written:
                await operation.wait(10)
    answers = [r for r in sent.responses if r.request.method == "POST"]
    limited = next(n for n, answer in enumerate(answers) if answer.status_code == 429)
    assert answers[limited].headers["Retry-After"] == "5"
    assert answers[limited + 1].status_code == 202
    first, retry = answers[limited].request, answers[limited + 1].request
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    posts = sent.to("POST", "/v1/sets")
    assert sent.times[sent.requests.index(retry)] - sent.times[sent.requests.index(first)] >= 5.0
    assert len(posts) == 4 and all(operation.succeeded for operation in written)


@pytest.mark.parametrize(
    ("attempt", "asked", "low", "high"),
    [
        pytest.param(1, None, 0.1, 0.2, id="first-retry-half-to-full-backoff"),
        pytest.param(3, None, 0.4, 0.8, id="doubled-each-time"),
        pytest.param(4, 5.0, 5.0, 5.0, id="retry-after-wins-when-longer"),
        pytest.param(4, 0.1, 0.8, 1.6, id="backoff-wins-when-longer"),
    ],
)
def test_delay(attempt: int, asked: float | None, low: float, high: float) -> None:
    retries = Retries(attempts=10, backoff=0.2, max_backoff=10.0)
    for seed in range(20):
        delay = retries.delay(attempt, asked, random.Random(seed))
        assert delay is not None and low <= delay <= high


@pytest.mark.parametrize(
    ("retries", "attempt", "asked"),
    [
        pytest.param(Retries(attempts=3), 3, None, id="attempts-spent"),
        pytest.param(Retries(attempts=1), 1, None, id="no-retries"),
        pytest.param(Retries(max_retry_after=60), 1, 61.0, id="retry-after-too-long"),
    ],
)
def test_gives_up(retries: Retries, attempt: int, asked: float | None) -> None:
    assert retries.delay(attempt, asked, random.Random(0)) is None


def test_backoff_is_capped() -> None:
    retries = Retries(attempts=100, backoff=1.0, max_backoff=3.0)
    assert all((retries.delay(50, None, random.Random(seed)) or 0) <= 3.0 for seed in range(20))
