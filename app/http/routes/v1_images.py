"""`/v1/images`: list and read images; change and delete them through operations."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.accounts.scopes import Scope
from app.http.context import authorize
from app.http.image_views import image_views
from app.http.lookups import image_of
from app.http.paging import page
from app.http.responses import get_response
from app.http.writes import V1Write
from app.operations.submission import Submission
from app.operations.types import image_delete, image_fields, image_update
from app.schemas.base import convert_query
from app.schemas.image_fields import AltTextPut, Credit, MetadataPut, RatingPut
from app.schemas.images import ImageListQuery, ImagePatch
from app.storage import images_store


async def list_images(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, ImageListQuery)
    rows = await images_store.list_newest(
        runtime.db, principal.account_id, limit=query.limit + 1, offset=query.offset
    )
    images, headers = page(rows, query.limit, query.offset)
    return get_response(request, await image_views(runtime.db, images), headers)


async def get_image(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    image = await image_of(runtime.db, request.path_params["uuid"], principal.account_id)
    (view,) = await image_views(runtime.db, [image])
    return get_response(request, view)


async def patch_image(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.IMAGES_WRITE)
    changes = write.decode(ImagePatch).changes()
    return await _accept_for_image(write, image_update.TYPE, {"changes": changes})


async def delete_image(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.IMAGES_DELETE, has_body=False)
    write.without_body()
    return await _accept_for_image(write, image_delete.TYPE, {})


async def _set_fields(
    request: Request, scope: str, type: str, schema: type[RatingPut] | type[AltTextPut]
) -> Response:
    write = await V1Write.begin(request, scope)
    changes = msgspec.structs.asdict(write.decode(schema))
    return await _accept_for_image(write, type, {"changes": changes})


async def put_metadata(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.METADATA_WRITE)
    changes = write.decode(MetadataPut).changes()
    return await _accept_for_image(write, image_fields.METADATA, {"changes": changes})


async def put_rating(request: Request) -> Response:
    return await _set_fields(request, Scope.RATINGS_WRITE, image_fields.RATING, RatingPut)


async def put_alt_text(request: Request) -> Response:
    return await _set_fields(request, Scope.METADATA_WRITE, image_fields.ALT_TEXT, AltTextPut)


async def add_credit(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.METADATA_WRITE)
    credit = write.decode(Credit)
    params = {"role": credit.role, "name": credit.name}
    return await _accept_for_image(write, image_fields.CREDITS_ADD, params)


async def remove_credit(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.METADATA_WRITE)
    credit = write.decode(Credit)
    params = {"role": credit.role, "name": credit.name}
    return await _accept_for_image(write, image_fields.CREDITS_REMOVE, params)


async def _accept_for_image(write: V1Write, type: str, params: dict[str, Any]) -> Response:
    """Replay, check the image exists, accept: the tail of every write on one image."""
    if (replayed := await write.replay()) is not None:
        return replayed
    image = await image_of(write.runtime.db, write.request.path_params["uuid"], write.principal.account_id)
    return await write.accept(
        Submission(
            type=type,
            params={"image_id": image.image_id, **params},
            image_public_uuids=[image.public_uuid],
        )
    )


routes = [
    Route("/v1/images", list_images, methods=["GET"]),
    Route("/v1/images/{uuid}", get_image, methods=["GET"]),
    Route("/v1/images/{uuid}", patch_image, methods=["PATCH"]),
    Route("/v1/images/{uuid}", delete_image, methods=["DELETE"]),
    Route("/v1/images/{uuid}/metadata", put_metadata, methods=["PUT"]),
    Route("/v1/images/{uuid}/rating", put_rating, methods=["PUT"]),
    Route("/v1/images/{uuid}/alt_text", put_alt_text, methods=["PUT"]),
    Route("/v1/images/{uuid}/credits", add_credit, methods=["POST"]),
    Route("/v1/images/{uuid}/credits", remove_credit, methods=["DELETE"]),
]
