"""`/v1/images`: list and read images; change and delete them through operations."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.accounts.scopes import Scope
from app.http.context import authorize
from app.http.image_views import image_views, version_out
from app.http.lookups import image_of, set_of
from app.http.paging import page
from app.http.responses import get_response
from app.http.urls import public_base
from app.http.write_endpoints import image_write
from app.operations.types import image_delete, image_fields, image_update
from app.schemas.base import convert_query
from app.schemas.image_fields import AltTextPut, Credit, MetadataPut, RatingPut
from app.schemas.images import ImageListQuery, ImagePatch
from app.storage import image_search, versions_store


async def list_images(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, ImageListQuery)
    filters = query.filters()
    if query.set_public_uuid is not None:
        filters.set_id = (await set_of(runtime.db, query.set_public_uuid, principal.account_id)).set_id
    rows = await image_search.search(
        runtime.db, principal.account_id, filters, limit=query.limit + 1, offset=query.offset
    )
    images, headers = page(rows, query.limit, query.offset)
    return get_response(
        request, await image_views(runtime.db, images, public_base(request, runtime.settings)), headers
    )


async def get_image(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    image = await image_of(runtime.db, request.path_params["uuid"], principal.account_id)
    (view,) = await image_views(runtime.db, [image], public_base(request, runtime.settings))
    return get_response(request, view)


async def list_versions(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    image = await image_of(runtime.db, request.path_params["uuid"], principal.account_id)
    versions = (await versions_store.versions_of(runtime.db, [image.image_id]))[image.image_id]
    base_url = public_base(request, runtime.settings)
    return get_response(request, [version_out(version, base_url) for version in versions])


WRITES = [
    image_write(
        "PATCH",
        "/v1/images/{uuid}",
        Scope.IMAGES_WRITE,
        ImagePatch,
        image_update.TYPE,
        lambda patch: {"changes": patch.changes()},
    ),
    image_write("DELETE", "/v1/images/{uuid}", Scope.IMAGES_DELETE, None, image_delete.TYPE, lambda _: {}),
    image_write(
        "PUT",
        "/v1/images/{uuid}/metadata",
        Scope.METADATA_WRITE,
        MetadataPut,
        image_fields.METADATA,
        lambda metadata: {"changes": metadata.changes()},
    ),
    image_write(
        "PUT",
        "/v1/images/{uuid}/rating",
        Scope.RATINGS_WRITE,
        RatingPut,
        image_fields.RATING,
        lambda rating: {"changes": msgspec.structs.asdict(rating)},
    ),
    image_write(
        "PUT",
        "/v1/images/{uuid}/alt_text",
        Scope.METADATA_WRITE,
        AltTextPut,
        image_fields.ALT_TEXT,
        lambda alt_text: {"changes": msgspec.structs.asdict(alt_text)},
    ),
    image_write(
        "POST",
        "/v1/images/{uuid}/credits",
        Scope.METADATA_WRITE,
        Credit,
        image_fields.CREDITS_ADD,
        msgspec.structs.asdict,
    ),
    image_write(
        "DELETE",
        "/v1/images/{uuid}/credits",
        Scope.METADATA_WRITE,
        Credit,
        image_fields.CREDITS_REMOVE,
        msgspec.structs.asdict,
    ),
]

routes = [
    Route("/v1/images", list_images, methods=["GET"]),
    Route("/v1/images/{uuid}", get_image, methods=["GET"]),
    Route("/v1/images/{uuid}/versions", list_versions, methods=["GET"]),
    *(endpoint.route() for endpoint in WRITES),
]
