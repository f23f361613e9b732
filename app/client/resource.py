"""What every group of endpoint methods shares: reads decoded into models, lists into pages,
writes into operations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from app.client.models import OperationInfo, OpInfo, Page
from app.client.operations import AsyncOp, AsyncOperation
from app.client.transport import Transport

T = TypeVar("T")

UNSET: Any = msgspec.UNSET
"""The default of an optional field: left out of the body (None, by contrast, clears it)."""


def body(**fields: Any) -> dict[str, Any]:
    """A request body without the fields left UNSET."""
    return {name: value for name, value in fields.items() if value is not UNSET}


def segment(value: str | int) -> str:
    """A path segment, percent-encoded (`a/b` is `a%2Fb`)."""
    return quote(str(value), safe="")


def decode(content: bytes, type: type[T]) -> T:
    return msgspec.json.decode(content, type=type)


class Resource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def _get(self, path: str, type: type[T], params: Mapping[str, Any] | None = None) -> T:
        response = await self._transport.request("GET", path, params=params)
        return decode(response.content, type)

    async def _page(self, path: str, type: type[T], params: Mapping[str, Any]) -> Page[T]:
        """A `/v1` list: the items, `X-Has-More` and `X-Next-Offset`."""
        response = await self._transport.request("GET", path, params=params)
        next_offset = response.headers.get("x-next-offset")
        return Page(
            items=decode(response.content, list[type]),  # type: ignore[valid-type]
            has_more=response.headers.get("x-has-more") == "true",
            next_offset=int(next_offset) if next_offset is not None else None,
        )

    async def _operation(self, method: str, path: str, json: Any = UNSET) -> AsyncOperation:
        """A `/v1` write: sent with its Idempotency-Key, answered with the operation."""
        response = await self._transport.request(method, path, json=json, write=True)
        return self._operation_of(response)

    def _operation_of(self, response: httpx.Response) -> AsyncOperation:
        return AsyncOperation(self._transport, decode(response.content, OperationInfo))

    def _op_of(self, response: httpx.Response) -> AsyncOp:
        return AsyncOp(self._transport, decode(response.content, OpInfo))
