"""The search dialect: `/imgs` writes (many or one; waited or not; strict, subset, urgent, lang),
`/imgs` reads and search, and `/ops`."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from app.client.models import Img, OpInfo, Page, SearchResult
from app.client.operations import AsyncOp
from app.client.resource import UNSET, Resource, decode, segment

Lang = Literal["en", "es", "pt", "fr", "ru"]
# A waited write is answered when its operation ends, within the server's sync timeout (60 s).
_WAITED_READ_TIMEOUT = 75.0


class Imgs(Resource):
    async def create(
        self,
        images: Sequence[Mapping[str, Any]],
        *,
        wait: bool = True,
        strict: bool = True,
        subset: bool = False,
        urgent: bool = False,
        lang: Lang = "en",
    ) -> AsyncOp:
        """`POST /imgs`: each image with its `id` and `src`. With `wait` (the default) the
        answer comes when the operation has ended; see `AsyncOp.raise_for_failure`."""
        return await self._write("POST", "/imgs", images, wait, strict, subset, urgent, lang)

    async def create_one(
        self,
        id: str | int,
        image: Mapping[str, Any],
        *,
        wait: bool = True,
        strict: bool = True,
        subset: bool = False,
        urgent: bool = False,
        lang: Lang = "en",
    ) -> AsyncOp:
        return await self._write("POST", _one(id), image, wait, strict, subset, urgent, lang)

    async def replace(
        self,
        images: Sequence[Mapping[str, Any]],
        *,
        wait: bool = True,
        strict: bool = True,
        subset: bool = False,
        urgent: bool = False,
        lang: Lang = "en",
    ) -> AsyncOp:
        """`PUT /imgs`: fields left out are cleared."""
        return await self._write("PUT", "/imgs", images, wait, strict, subset, urgent, lang)

    async def replace_one(
        self,
        id: str | int,
        image: Mapping[str, Any],
        *,
        wait: bool = True,
        strict: bool = True,
        subset: bool = False,
        urgent: bool = False,
        lang: Lang = "en",
    ) -> AsyncOp:
        return await self._write("PUT", _one(id), image, wait, strict, subset, urgent, lang)

    async def modify(
        self,
        images: Sequence[Mapping[str, Any]],
        *,
        wait: bool = True,
        strict: bool = True,
        subset: bool = False,
        urgent: bool = False,
        lang: Lang = "en",
    ) -> AsyncOp:
        """`PATCH /imgs`: fields left out are kept, None clears."""
        return await self._write("PATCH", "/imgs", images, wait, strict, subset, urgent, lang)

    async def modify_one(
        self,
        id: str | int,
        changes: Mapping[str, Any],
        *,
        wait: bool = True,
        strict: bool = True,
        subset: bool = False,
        urgent: bool = False,
        lang: Lang = "en",
    ) -> AsyncOp:
        return await self._write("PATCH", _one(id), changes, wait, strict, subset, urgent, lang)

    async def delete(
        self, ids: Sequence[str | int], *, wait: bool = True, subset: bool = False, urgent: bool = False
    ) -> AsyncOp:
        """`DELETE /imgs`: a missing id is skipped."""
        return await self._write("DELETE", "/imgs", builtins.list(ids), wait, True, subset, urgent, "en")

    async def delete_one(self, id: str | int, *, wait: bool = True, urgent: bool = False) -> AsyncOp:
        return await self._write("DELETE", _one(id), UNSET, wait, True, False, urgent, "en")

    async def get(self, id: str | int, *, fields: Sequence[str] | None = None) -> Img:
        """One image; `fields` keeps only those (and `image_id`)."""
        params = {"fields": builtins.list(fields) if fields else None}
        return await self._get(_one(id), Img, params)

    async def search(
        self,
        q: str = "",
        *,
        page: int = 1,
        limit: int = 50,
        sort_by: str | None = None,
        order: Literal["asc", "desc"] | None = None,
        fields: Sequence[str] | None = None,
        facets: Sequence[str] | None = None,
        facet_limit: int | None = None,
        count: bool = True,
    ) -> SearchResult:
        """`GET /imgs` with a query formula, like `t~sunset && d>=2020`."""
        params = {
            "q": q or None,
            "page": page,
            "limit": limit,
            "sort_by": sort_by,
            "order": order,
            "fields": builtins.list(fields) if fields else None,
            "facets": builtins.list(facets) if facets else None,
            "facet_limit": facet_limit,
            "count": count,
        }
        return await self._get("/imgs", SearchResult, params)

    async def _write(
        self,
        method: str,
        path: str,
        json: Any,
        wait: bool,
        strict: bool,
        subset: bool,
        urgent: bool,
        lang: Lang,
    ) -> AsyncOp:
        params = {"wait": wait, "strict": strict, "subset": subset, "urgent": urgent, "lang": lang}
        response = await self._transport.request(
            method,
            path,
            params=params,
            json=json,
            write=True,
            read_timeout=_WAITED_READ_TIMEOUT if wait else None,
            operation_answers=True,
        )
        return self._op_of(response)


class Ops(Resource):
    async def list(
        self,
        *,
        page: int = 1,
        limit: int = 50,
        finished: bool | None = None,
        success: bool | None = None,
        method: Literal["add", "upd", "del", "multiple"] | None = None,
    ) -> Page[OpInfo]:
        """The account's operations, newest first; `total` counts every match."""
        params = {"page": page, "limit": limit, "finished": finished, "success": success, "method": method}
        response = await self._transport.request("GET", "/ops", params=params)
        total = response.headers.get("x-total-count")
        return Page(
            items=decode(response.content, builtins.list[OpInfo]),
            has_more=response.headers.get("x-has-more") == "true",
            total=int(total) if total is not None else None,
        )

    async def get(self, op_id: int) -> AsyncOp:
        return AsyncOp(self._transport, await self._get(f"/ops/{op_id}", OpInfo))

    async def cancel(self, op_id: int) -> AsyncOp:
        """A queued or running operation; a finished one is `Conflict` (`operation_finished`)."""
        response = await self._transport.request("DELETE", f"/ops/{op_id}")
        return self._op_of(response)


def _one(id: str | int) -> str:
    return f"/imgs/{segment(id)}"
