"""Keywords: add to and remove from an image, rename across images, count them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import Scope
from app.http.context import authorize
from app.http.lookups import image_ids_of
from app.http.paging import page
from app.http.responses import get_response
from app.http.routing import Route
from app.http.write_endpoints import WriteCheck, WriteEndpoint, image_write
from app.operations.submission import Submission
from app.operations.types import keywords
from app.schemas.base import convert_query
from app.schemas.keywords import (
    KeywordListQuery,
    KeywordRemove,
    KeywordRename,
    KeywordsAdd,
    NamespaceListQuery,
)
from app.storage import keywords_store


async def _check_rename(context: WriteCheck, rename: KeywordRename) -> Submission:
    old, new = rename.parsed()
    image_ids = None
    if rename.image_public_uuids is not None:
        image_ids = await image_ids_of(
            context.runtime.db,
            context.principal.account_id,
            rename.image_public_uuids,
            "image_public_uuids",
        )
    from_, to = keywords.keyword_params([old, new])
    return Submission(
        type=keywords.RENAME,
        params={"from": from_, "to": to, "image_ids": image_ids},
        image_public_uuids=rename.image_public_uuids or [],
    )


WRITES = [
    image_write(
        "POST",
        "/v1/images/{uuid}/keywords",
        Scope.KEYWORDS_WRITE,
        KeywordsAdd,
        keywords.ADD,
        lambda add: {"keywords": keywords.keyword_params(add.parsed())},
    ),
    image_write(
        "DELETE",
        "/v1/images/{uuid}/keywords",
        Scope.KEYWORDS_WRITE,
        KeywordRemove,
        keywords.REMOVE,
        lambda remove: {"keyword": keywords.keyword_params([remove.parsed()])[0]},
    ),
    WriteEndpoint("POST", "/v1/keywords/rename", Scope.KEYWORDS_WRITE, KeywordRename, _check_rename),
]


async def list_keywords(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, KeywordListQuery)
    rows = await keywords_store.counts(
        runtime.db,
        principal.account_id,
        namespace=query.namespace.strip().lower() if query.namespace is not None else None,
        prefix=query.prefix.casefold() if query.prefix else None,
        limit=query.limit + 1,
        offset=query.offset,
    )
    counts, headers = page(rows, query.limit, query.offset)
    return get_response(request, counts, headers)


async def list_namespaces(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, NamespaceListQuery)
    rows = await keywords_store.namespace_counts(
        runtime.db, principal.account_id, limit=query.limit + 1, offset=query.offset
    )
    counts, headers = page(rows, query.limit, query.offset)
    return get_response(request, counts, headers)


routes = [
    *(endpoint.route() for endpoint in WRITES),
    Route("/v1/keywords", list_keywords, methods=["GET"]),
    Route("/v1/keywords/namespaces", list_namespaces, methods=["GET"]),
]
