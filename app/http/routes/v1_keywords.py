"""Keywords: add to and remove from an image, rename across images, count them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.accounts.scopes import Scope
from app.http.context import authorize
from app.http.lookups import image_ids_of, image_of
from app.http.paging import page
from app.http.responses import get_response
from app.http.writes import V1Write
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


async def add_keywords(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.KEYWORDS_WRITE)
    parsed = write.decode(KeywordsAdd).parsed()
    if (replayed := await write.replay()) is not None:
        return replayed
    image = await image_of(write.runtime.db, request.path_params["uuid"], write.principal.account_id)
    return await write.accept(
        Submission(
            type=keywords.ADD,
            params={"image_id": image.image_id, "keywords": keywords.keyword_params(parsed)},
            image_public_uuids=[image.public_uuid],
        )
    )


async def remove_keyword(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.KEYWORDS_WRITE)
    keyword = write.decode(KeywordRemove).parsed()
    if (replayed := await write.replay()) is not None:
        return replayed
    image = await image_of(write.runtime.db, request.path_params["uuid"], write.principal.account_id)
    return await write.accept(
        Submission(
            type=keywords.REMOVE,
            params={"image_id": image.image_id, "keyword": keywords.keyword_params([keyword])[0]},
            image_public_uuids=[image.public_uuid],
        )
    )


async def rename_keyword(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.KEYWORDS_WRITE)
    rename = write.decode(KeywordRename)
    old, new = rename.parsed()
    if (replayed := await write.replay()) is not None:
        return replayed
    image_ids = None
    if rename.image_public_uuids is not None:
        image_ids = await image_ids_of(
            write.runtime.db,
            write.principal.account_id,
            rename.image_public_uuids,
            "image_public_uuids",
        )
    from_, to = keywords.keyword_params([old, new])
    return await write.accept(
        Submission(
            type=keywords.RENAME,
            params={"from": from_, "to": to, "image_ids": image_ids},
            image_public_uuids=rename.image_public_uuids or [],
        )
    )


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
    Route("/v1/images/{uuid}/keywords", add_keywords, methods=["POST"]),
    Route("/v1/images/{uuid}/keywords", remove_keyword, methods=["DELETE"]),
    Route("/v1/keywords/rename", rename_keyword, methods=["POST"]),
    Route("/v1/keywords", list_keywords, methods=["GET"]),
    Route("/v1/keywords/namespaces", list_namespaces, methods=["GET"]),
]
