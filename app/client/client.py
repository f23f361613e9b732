"""`AsyncDarkroom`: every endpoint of both dialects, grouped by resource, over one httpx client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType

import httpx

from app.client.errors import DarkroomError
from app.client.library_files import Archives, Downloads, Uploads
from app.client.library_images import Images, Keywords
from app.client.library_operations import Operations
from app.client.library_sets import Sets
from app.client.models import Me
from app.client.resource import decode
from app.client.search import Imgs, Ops
from app.client.transport import DEFAULT_TIMEOUT, EventHook, Retries, Transport


class AsyncDarkroom:
    """`AsyncDarkroom(url, token)`; use it as `async with`, or `aclose()` it.

    Library dialect: `images`, `keywords`, `sets`, `uploads`, `downloads`, `archives`,
    `operations`. Search dialect: `imgs`, `ops`. Writes answer with an operation handle;
    `await op.wait()` follows it to its end.

    `transport` and `event_hooks` go to the underlying `httpx.AsyncClient` (hooks are async).
    """

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
        self._transport = Transport(
            url, token, timeout=timeout, retries=retries, transport=transport, event_hooks=event_hooks
        )
        self.images = Images(self._transport)
        self.keywords = Keywords(self._transport)
        self.sets = Sets(self._transport)
        self.uploads = Uploads(self._transport)
        self.downloads = Downloads(self._transport)
        self.archives = Archives(self._transport)
        self.operations = Operations(self._transport)
        self.imgs = Imgs(self._transport)
        self.ops = Ops(self._transport)

    @property
    def url(self) -> str:
        return self._transport.url

    async def me(self) -> Me:
        """`GET /v1/me`: the account, the token and its scopes."""
        response = await self._transport.request("GET", "/v1/me")
        return decode(response.content, Me)

    async def healthy(self) -> bool:
        """Whether `GET /healthz` answers (no token needed, no retries)."""
        try:
            response = await self._transport.request(
                "GET", "/healthz", authenticated=False, retries=Retries(attempts=1)
            )
        except DarkroomError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> AsyncDarkroom:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()
