"""`/imgs` reads: one image by its id; the search with the query formula, sort, facets, count."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import Scope
from app.errors import ImageNotFound, Unprocessable
from app.http.context import authorize
from app.http.imgs_views import imgs_views
from app.http.responses import get_response
from app.http.routing import Route
from app.http.urls import public_base
from app.schemas.imgs_out import projected, projection
from app.schemas.imgs_requests import SearchQuery, reject_unknown, search_query
from app.search.formula_ast import Formula
from app.search.formula_sql import CompiledFormula, Sql, compile_formula
from app.search.query_formula import has_similarity_filter, parse_formula
from app.storage import formula_search, images_store

# sort_by for the formula's own order: relevance of its text, distance of its images.
_SIMILARITY = ("similarity", "sim")


async def get_img(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    reject_unknown(request.query_params, {"fields"})
    keep = projection(request.query_params.getlist("fields"))
    found = await images_store.by_external_ids(runtime.db, principal.account_id, [request.path_params["id"]])
    image = found.get(request.path_params["id"])
    if image is None:
        raise ImageNotFound
    (shown,) = await imgs_views(runtime.db, [image], public_base(request, runtime.settings))
    return get_response(request, projected(shown, keep))


async def search_imgs(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    params = request.query_params
    single = {name: value for name, value in params.items() if name not in ("fields", "facets")}
    query = search_query(single, SearchQuery)
    keep = projection(params.getlist("fields"))
    facets = _facets(params.getlist("facets"))
    formula = parse_formula(query.q)
    neighbours = await runtime.phashes.resolve(runtime.db, principal.account_id, formula)
    compiled = await formula_search.driven(
        runtime.db, compile_formula(formula, account_id=principal.account_id, neighbours=neighbours)
    )
    order = _order(query, formula, compiled)
    offset = (query.page - 1) * query.limit

    async def results(counted: formula_search.Counted | None) -> list[dict[str, Any]]:
        images = await formula_search.page(
            runtime.db,
            compiled,
            order,
            limit=query.limit,
            offset=offset,
            counted=counted,
            similarity=query.sort_by in _SIMILARITY,
        )
        shown = await imgs_views(runtime.db, images, public_base(request, runtime.settings))
        return [projected(image, keep) for image in shown]

    async def total() -> formula_search.Counted | None:
        return await formula_search.count(runtime.db, compiled) if query.count else None

    async def counted_page() -> tuple[list[dict[str, Any]], formula_search.Counted | None]:
        if order is not None:
            shown, counted = await asyncio.gather(results(None), total())
            return shown, counted
        # Newest first, the count chooses how the page is read (formula_search.page): it is
        # counted even for count=false.
        counted = await formula_search.count(runtime.db, compiled, with_images=True)
        return await results(counted), counted

    # The page, the count and each facet are separate statements on separate readers: run
    # side by side, the answer takes the longest of them rather than their sum.
    (shown, counted), *faceted = await asyncio.gather(
        counted_page(),
        *(formula_search.facet(runtime.db, compiled, name, query.facet_limit) for name in facets),
    )
    count = counted.matches if counted is not None and query.count else None
    body = {"results": shown, "count": count, "facets": dict(zip(facets, faceted, strict=True))}
    return get_response(request, body)


def _order(query: SearchQuery, formula: Formula | None, compiled: CompiledFormula) -> Sql | None:
    if query.sort_by in _SIMILARITY:
        if not has_similarity_filter(formula):
            raise _unprocessable(
                "sort_by", "sort_by=similarity needs a text or image similarity filter in q."
            )
        return compiled.order_by(descending=query.order == "desc")
    if query.sort_by is None:
        if query.order is not None:
            raise _unprocessable("order", "order goes with sort_by.")
        return None
    if query.sort_by not in formula_search.SORTABLE:
        raise _unprocessable("sort_by", f"Images cannot be sorted by {query.sort_by!r}.")
    return formula_search.sort_by(query.sort_by, query.order or "asc")


def _facets(names: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(name.strip() for value in names for name in value.split(",") if name.strip()))
    unknown = [name for name in wanted if name not in formula_search.FACETS]
    if unknown:
        raise _unprocessable("facets", f"Unknown facets: {', '.join(unknown)}.")
    return wanted


def _unprocessable(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        message,
        field=field,
        items=[{"index": None, "id": None, "field": field, "code": "invalid", "message": message}],
    )


routes = [
    Route("/imgs", search_imgs, methods=["GET"]),
    Route("/imgs/{id:path}", get_img, methods=["GET"]),
]
