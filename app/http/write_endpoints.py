"""`/v1` writes declared as data: path, scope, body schema, and the check that makes the work.

The same declaration serves the endpoint itself and `POST /v1/operations/batch`, which checks
each of its items exactly as if it had been sent alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.authentication import Principal
from app.http.lookups import image_of
from app.http.routing import Route
from app.http.writes import V1Write
from app.operations.submission import Submission
from app.runtime import Darkroom


@dataclass(frozen=True, slots=True)
class WriteCheck:
    """What a check may look at: the caller, the store, and the path's parameters."""

    runtime: Darkroom
    principal: Principal
    path_params: Mapping[str, str]


Check = Callable[[WriteCheck, Any], Awaitable[Submission]]


@dataclass(frozen=True, slots=True)
class WriteEndpoint:
    method: str
    path: str
    # None: the endpoint checks scopes itself (the batch, per item).
    scope: str | None
    body: type[Any] | None
    check: Check

    def route(self) -> Route:
        return Route(self.path, self.handle, methods=[self.method])

    async def handle(self, request: Request) -> Response:
        write = await V1Write.begin(request, self.scope, has_body=self.body is not None)
        value = None
        if self.body is None:
            write.without_body()
        else:
            value = write.decode(self.body)
        if (replayed := await write.replay()) is not None:
            return replayed
        check = WriteCheck(write.runtime, write.principal, request.path_params)
        return await write.accept(await self.check(check, value))


def image_write(
    method: str,
    path: str,
    scope: str,
    body: type[Any] | None,
    type: str,
    params: Callable[[Any], dict[str, Any]],
) -> WriteEndpoint:
    """A write on the one image named by `{uuid}` in the path: `404` when it isn't the caller's."""

    async def check(context: WriteCheck, value: Any) -> Submission:
        image = await image_of(context.runtime.db, context.path_params["uuid"], context.principal.account_id)
        return Submission(
            type=type,
            params={"image_id": image.image_id, **params(value)},
            image_public_uuids=[image.public_uuid],
        )

    return WriteEndpoint(method, path, scope, body, check)
