"""Sending one logical request: base URL and token, timeouts, and retries.

A request is tried again on connection errors, timeouts, `429` and `5xx`, with exponential
backoff and jitter, waiting at least what `Retry-After` asks. A write gets one fresh
`Idempotency-Key` before its first try and sends that same key on every retry, so that the
server does its work once however often the answer is lost on the way back.
"""

from __future__ import annotations

import functools
import random
import ssl
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import msgspec

from app.client.errors import TransportError, api_error, error_envelope, retry_after

IDEMPOTENCY_KEY = "Idempotency-Key"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Errors after which the same request may simply be sent again (its write has its key).
_RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

EventHook = Callable[..., Awaitable[Any]]
_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Retries:
    """How hard to try: `attempts` in all, the first included; no retries with `attempts=1`."""

    attempts: int = 5
    backoff: float = 0.2  # seconds before the first retry, doubled for each one after it
    max_backoff: float = 10.0
    # A longer Retry-After is not waited for: the `RateLimited` or `ServerError` is raised at once.
    max_retry_after: float = 120.0

    def delay(self, attempt: int, asked: float | None, dice: random.Random) -> float | None:
        """Seconds to wait after try number `attempt` (from 1) went wrong, or None to give up;
        `asked`: the answer's Retry-After."""
        if attempt >= self.attempts:
            return None
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        backoff = dice.uniform(ceiling / 2, ceiling)  # jittered: clients that failed together spread out
        if asked is None:
            return backoff
        if asked > self.max_retry_after:
            return None
        return max(asked, backoff)


class Transport:
    """The one place requests are sent; every endpoint method goes through `request`."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retries: Retries | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: Mapping[str, Sequence[EventHook]] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.retries = retries or Retries()
        self._token = token
        self._timeout = timeout
        self._dice = random.Random()
        self._http = httpx.AsyncClient(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            event_hooks={name: list(hooks) for name, hooks in (event_hooks or {}).items()},
            headers={"User-Agent": "darkroom-client"},
            verify=_tls(),
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = msgspec.UNSET,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
        authenticated: bool = True,
        read_timeout: float | None = None,
        operation_answers: bool = False,
        retries: Retries | None = None,
    ) -> httpx.Response:
        """The answer of `method path`, retried as the module says; an error answer is raised.

        `write`: send an Idempotency-Key. `operation_answers`: an error status whose body is an
        operation, not an error (a waited `/imgs` write that failed), is returned, not raised.
        `retries`: instead of the client's.
        """
        sent = self._headers(headers, write=write, authenticated=authenticated)
        content = None
        if json is not msgspec.UNSET:
            content = _encoder.encode(json)
            sent["Content-Type"] = "application/json"
        timeout = self._timeout if read_timeout is None else self._timeout_reading(read_timeout)

        def build() -> httpx.Request:
            return self._http.build_request(
                method,
                path,
                params=_query(params),
                content=content,
                files=files,
                data=data,
                headers=sent,
                timeout=timeout,
            )

        response = await self._send_with_retries(build, operation_answers, retries or self.retries)
        if response.status_code >= 400 and not (operation_answers and _is_operation(response)):
            raise api_error(response)
        return response

    def _headers(
        self, given: Mapping[str, str] | None, *, write: bool, authenticated: bool
    ) -> dict[str, str]:
        headers = dict(given or {})
        if authenticated:
            headers["Authorization"] = f"Bearer {self._token}"
        if write:
            # Chosen once for this logical write; every retry below sends the same key.
            headers.setdefault(IDEMPOTENCY_KEY, str(uuid.uuid4()))
        return headers

    def _timeout_reading(self, seconds: float) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self._timeout.connect, read=seconds, write=self._timeout.write, pool=self._timeout.pool
        )

    async def _send_with_retries(
        self, build: Callable[[], httpx.Request], operation_answers: bool, retries: Retries
    ) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._http.send(build())
            except _RETRYABLE_ERRORS as error:
                delay = retries.delay(attempt, None, self._dice)
                if delay is None:
                    raise TransportError(f"{error.request.method} {error.request.url}: {error!r}") from error
            else:
                if not _should_retry(response, operation_answers):
                    return response
                delay = retries.delay(attempt, retry_after(response), self._dice)
                if delay is None:
                    return response
                await response.aclose()
            await anyio.sleep(delay)


@functools.cache
def _tls() -> ssl.SSLContext:
    """Loading the CA bundle takes a tenth of a second or more: once per process, not per client."""
    return httpx.create_ssl_context()


def _should_retry(response: httpx.Response, operation_answers: bool) -> bool:
    status = response.status_code
    if status == 429:
        return True
    if status < 500:
        return False
    return not (operation_answers and _is_operation(response))


def _is_operation(response: httpx.Response) -> bool:
    """An answer carrying an operation (a JSON object that is not the error envelope)."""
    return response.headers.get("content-type", "").startswith("application/json") and (
        error_envelope(response) is None
    )


def _query(params: Mapping[str, Any] | None) -> list[tuple[str, str | int | float | bool | None]] | None:
    """Query parameters without the ones left out (None); booleans as the server spells them;
    a list repeats its parameter."""
    if params is None:
        return None
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for name, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None:
                continue
            pairs.append((name, ("true" if item else "false") if isinstance(item, bool) else str(item)))
    return pairs
