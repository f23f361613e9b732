"""Error answers become exceptions carrying the envelope: status, code, field, request id."""

from __future__ import annotations

import httpx
import pytest

from app.client import (
    APIError,
    AsyncDarkroom,
    Conflict,
    DarkroomError,
    NotFound,
    RateLimited,
    Retries,
    ServerError,
    TransportError,
    Unauthorized,
    ValidationError,
)
from app.testing import DarkroomServer
from tests.client.conftest import Sent


async def test_not_found_carries_code_and_request_id(client: AsyncDarkroom, sent: Sent) -> None:
    with pytest.raises(NotFound) as raised:
        await client.images.get("no-such-image")
    error = raised.value
    assert (error.status, error.code) == (404, "image_not_found")
    assert error.request_id == sent.responses[-1].headers["X-Request-Id"]
    assert isinstance(error, APIError) and isinstance(error, DarkroomError)
    assert "image_not_found" in str(error) and error.request_id in str(error)


async def test_validation_names_the_field_and_is_not_retried(client: AsyncDarkroom, sent: Sent) -> None:
    with pytest.raises(ValidationError) as raised:
        await client.sets.create("Bad colour", colour="mauve")
    assert (raised.value.status, raised.value.code, raised.value.field) == (400, "validation", "colour")
    assert len(sent.requests) == 1


async def test_search_dialect_validation_lists_every_bad_item(client: AsyncDarkroom) -> None:
    with pytest.raises(ValidationError) as raised:
        await client.imgs.create([{"id": "a"}, {"id": "b", "src": "http://127.0.0.1/x.png", "nsfw": "yes"}])
    error = raised.value
    assert error.status == 422
    assert [(item["index"], item["field"]) for item in error.items] == [(0, "src"), (1, "nsfw")]


async def test_a_bad_token_is_unauthorized(server: DarkroomServer) -> None:
    async with AsyncDarkroom(server.url, "drk_not-a-token") as client:
        with pytest.raises(Unauthorized) as raised:
            await client.me()
    assert raised.value.code == "unauthorized"


async def test_cancelling_a_finished_op_is_a_conflict(client: AsyncDarkroom) -> None:
    op = await client.imgs.delete_one("already-gone")
    with pytest.raises(Conflict) as raised:
        await op.cancel()
    assert raised.value.code == "operation_finished"


async def test_an_unreachable_server_is_a_transport_error_after_the_retries() -> None:
    sent = Sent()
    refused = "http://127.0.0.1:9"  # discard port: nothing listens there
    retries = Retries(attempts=3, backoff=0.01)
    async with AsyncDarkroom(
        refused, "t", retries=retries, event_hooks={"request": [sent.request]}
    ) as client:
        with pytest.raises(TransportError) as raised:
            await client.me()
        assert not await client.healthy()
    assert len(sent.requests) == 3 + 1
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


def answering(*statuses: int, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    """A transport answering with these statuses in turn (the last one again and again)."""
    answers = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        status = answers.pop(0) if len(answers) > 1 else answers[0]
        body = {"error": {"code": "x", "message": "m", "detail": None, "field": None, "request_id": "r-1"}}
        return httpx.Response(status, json=body, headers=headers)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("statuses", "raised", "tries"),
    [
        pytest.param((503, 503, 503), ServerError, 3, id="5xx-every-time"),
        pytest.param((502, 404), NotFound, 2, id="5xx-then-an-answer"),
        pytest.param((429, 429, 429), RateLimited, 3, id="429-every-time"),
    ],
)
async def test_retried_statuses(statuses: tuple[int, ...], raised: type[APIError], tries: int) -> None:
    sent = Sent()
    async with AsyncDarkroom(
        "http://darkroom.test",
        "t",
        retries=Retries(attempts=3, backoff=0.01),
        transport=answering(*statuses, headers={"Retry-After": "0"}),
        event_hooks={"request": [sent.request]},
    ) as client:
        with pytest.raises(raised) as error:
            await client.sets.create("x")
    assert len(sent.requests) == tries
    assert len({request.headers["Idempotency-Key"] for request in sent.requests}) == 1
    assert error.value.request_id == "r-1"
