"""The one layer around every request: id header, error envelope, metrics, whatever the app does."""

from __future__ import annotations

import json

import pytest
from starlette.types import Message, Receive, Scope, Send

from app.errors import NotFound
from app.http.middleware.envelope import RequestEnvelope
from app.metrics import Metrics


async def call(app: RequestEnvelope) -> list[Message]:
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [(b"x-request-id", b"rid-1")]}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def counted(metrics: Metrics) -> dict[tuple[str, str, int], int]:
    return {labels: sum(times.counts) for labels, times in metrics.requests._times.items()}


async def test_an_answer_gets_the_request_id_and_is_counted() -> None:
    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"x-request-id", b"from-the-endpoint"), (b"etag", b'"e"')]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    metrics = Metrics()
    start, _ = await call(RequestEnvelope(answer, metrics=metrics))
    assert start["headers"] == [(b"etag", b'"e"'), (b"x-request-id", b"rid-1")]
    assert counted(metrics) == {("GET", "<unmatched>", 304): 1}


@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [(NotFound("No such image."), 404, "not_found"), (RuntimeError("secret"), 500, "internal")],
)
async def test_an_exception_becomes_the_envelope_with_the_request_id(
    raised: Exception, status: int, code: str
) -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise raised

    metrics = Metrics()
    start, body = await call(RequestEnvelope(failing, metrics=metrics))
    assert start["status"] == status
    assert (b"x-request-id", b"rid-1") in start["headers"]
    error = json.loads(body["body"])["error"]
    assert (error["code"], error["request_id"]) == (code, "rid-1")
    assert "secret" not in body["body"].decode()
    assert counted(metrics) == {("GET", "<unmatched>", status): 1}


async def test_an_exception_after_the_head_is_raised_for_the_server_to_close_the_connection() -> None:
    async def breaks_mid_body(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise OSError("disk gone mid-stream")

    metrics = Metrics()
    with pytest.raises(OSError, match="mid-stream"):
        await call(RequestEnvelope(breaks_mid_body, metrics=metrics))
    assert counted(metrics) == {("GET", "<unmatched>", 200): 1}
