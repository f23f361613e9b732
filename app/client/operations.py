"""An operation the client started or looked up, and following it to its end.

`wait` asks the server to hold each poll until the operation changes (`Prefer: wait=N`) and
says which state it already has (`If-None-Match`), so that following an operation costs one
request per change, not one per poll interval.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator
from typing import Any, Generic, Self, TypeVar

import anyio
import msgspec

from app.client.errors import OperationFailed, WaitTimeout
from app.client.models import OperationInfo, OpInfo
from app.client.transport import Transport

S = TypeVar("S", OperationInfo, OpInfo)

MAX_WAIT = 60  # seconds the server holds a poll at most
# Beyond the seconds asked for: the answer may come a little after them.
_READ_MARGIN = 10.0


class FollowedOperation(Generic[S]):
    """What both dialects' operations share; they differ in their paths and their fields."""

    _decoder: msgspec.json.Decoder[S]

    def __init__(self, transport: Transport, info: S) -> None:
        self._transport = transport
        self._info: S = info
        self._etag: str | None = None

    @property
    def info(self) -> S:
        """The operation as the last answer showed it."""
        return self._info

    @property
    def finished(self) -> bool:
        return self._info.finished

    @property
    def succeeded(self) -> bool:
        return self._info.succeeded

    @property
    def _path(self) -> str:
        raise NotImplementedError

    def _failure(self) -> OperationFailed | None:
        raise NotImplementedError

    async def cancel(self) -> Self:
        """Cancel it if it has not finished (a finished one is `Conflict` on `/ops`)."""
        raise NotImplementedError

    async def follow(self) -> AsyncGenerator[S]:
        """The operation as it stands, then again after each change, until it has finished;
        one request per change. No time limit: stop iterating to give up."""
        yield self._info
        while not self.finished:
            if await self._poll(MAX_WAIT):
                yield self._info

    async def refresh(self) -> Self:
        """Look once (cheap: `304` when nothing changed)."""
        await self._poll(None)
        return self

    async def wait(self, timeout: float = 60.0) -> Self:
        """Until the operation has finished, however it ended (see `raise_for_failure`).
        `WaitTimeout` after `timeout` seconds; the operation goes on regardless."""
        deadline = anyio.current_time() + timeout
        while not self.finished:
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                raise WaitTimeout(f"{self._path} has not finished after {timeout:g} s", operation=self._info)
            await self._poll(min(MAX_WAIT, max(1, math.ceil(remaining))))
        return self

    def raise_for_failure(self) -> Self:
        """`OperationFailed` if it ended failed or canceled; itself otherwise."""
        failure = self._failure()
        if failure is not None:
            raise failure
        return self

    async def _poll(self, wait: int | None) -> bool:
        """Whether the operation changed (a `304` means it did not)."""
        headers = {}
        if self._etag is not None:
            headers["If-None-Match"] = self._etag
        if wait is not None:
            headers["Prefer"] = f"wait={wait}"
        response = await self._transport.request(
            "GET",
            self._path,
            headers=headers,
            read_timeout=None if wait is None else wait + _READ_MARGIN,
        )
        if response.status_code == 304:
            return False
        self._info = self._decoder.decode(response.content)
        self._etag = response.headers.get("etag")
        return True

    def _replace(self, content: bytes) -> None:
        self._info = self._decoder.decode(content)
        self._etag = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._info!r}>"


class OperationFields:
    """Shortcuts to the fields of a library-dialect operation (async and sync handles alike)."""

    @property
    def info(self) -> OperationInfo:
        raise NotImplementedError

    @property
    def uuid(self) -> str:
        return self.info.uuid

    @property
    def status(self) -> str:
        return self.info.status

    @property
    def result(self) -> dict[str, Any]:
        return self.info.result or {}


class OpFields:
    """Shortcuts to the fields of a search-dialect operation."""

    @property
    def info(self) -> OpInfo:
        raise NotImplementedError

    @property
    def op_id(self) -> int:
        return self.info.op_id

    @property
    def uuid(self) -> str:
        return self.info.uuid


class AsyncOperation(FollowedOperation[OperationInfo], OperationFields):
    """An operation of the library dialect (`/v1/operations/{uuid}`)."""

    _decoder = msgspec.json.Decoder(OperationInfo)

    @property
    def _path(self) -> str:
        return f"/v1/operations/{self._info.uuid}"

    async def cancel(self) -> Self:
        response = await self._transport.request("POST", f"{self._path}/cancel")
        self._replace(response.content)
        return self

    def _failure(self) -> OperationFailed | None:
        info = self._info
        if info.status == "failed":
            error = info.error or {}
            return OperationFailed(
                str(error.get("code", "failed")),
                str(error.get("message", "The operation failed.")),
                operation=info,
                items=list(error.get("items") or []),
            )
        if info.status == "canceled":
            return OperationFailed("canceled", "The operation was canceled.", operation=info, items=[])
        return None


class AsyncOp(FollowedOperation[OpInfo], OpFields):
    """An operation of the search dialect (`/ops/{op_id}`)."""

    _decoder = msgspec.json.Decoder(OpInfo)

    @property
    def _path(self) -> str:
        return f"/ops/{self._info.op_id}"

    async def cancel(self) -> Self:
        response = await self._transport.request("DELETE", self._path)
        self._replace(response.content)
        return self

    def _failure(self) -> OperationFailed | None:
        info = self._info
        if not info.finished or info.success:
            return None
        first = info.errors[0] if info.errors else None
        return OperationFailed(
            first.code if first else "failed",
            first.msg if first else "The operation did not succeed.",
            operation=info,
            items=[msgspec.to_builtins(error) for error in info.errors],
        )
