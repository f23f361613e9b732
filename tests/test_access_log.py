"""The access log: one line per request, in the format of every other log line, when enabled."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator

import pytest
from starlette.types import Message, Receive, Scope, Send

from app.http.middleware.envelope import RequestEnvelope
from app.metrics import Metrics

LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO darkroom\.access (\{.*\})")


async def answer_304(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", b'"x"')]})
    await send({"type": "http.response.body", "body": b""})


async def request(app: RequestEnvelope, path: str) -> None:
    scope = {"type": "http", "method": "GET", "path": path, "headers": [(b"x-request-id", b"abc")]}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    await app(scope, receive, send)


@pytest.fixture
def access_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("darkroom.access")
    level = logger.level
    yield logger
    logger.setLevel(level)


async def test_one_line_per_request_after_the_loop_turn(
    access_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    access_logger.setLevel(logging.INFO)
    app = RequestEnvelope(answer_304, metrics=Metrics())
    await request(app, "/v1/operations/one")
    await request(app, "/v1/operations/two")
    await asyncio.sleep(0)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    fields = [json.loads(match[1]) for line in lines if (match := LINE.fullmatch(line))]
    assert [f["path"] for f in fields] == ["/v1/operations/one", "/v1/operations/two"]
    assert {(f["request_id"], f["method"], f["status"]) for f in fields} == {("abc", "GET", 304)}
    assert all(isinstance(f["duration_ms"], float) for f in fields)


async def test_no_line_when_the_logger_is_off(
    access_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    access_logger.setLevel(logging.WARNING)
    await request(RequestEnvelope(answer_304, metrics=Metrics()), "/v1/operations/one")
    await asyncio.sleep(0)
    assert capsys.readouterr().err == ""
