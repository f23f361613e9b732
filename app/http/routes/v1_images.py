"""`/v1/images`: list and read images; change and delete them through operations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.accounts.scopes import Scope
from app.http.context import authorize
from app.http.lookups import image_of
from app.http.paging import page
from app.http.responses import get_response
from app.http.writes import V1Write
from app.operations.submission import Submission
from app.operations.types import image_delete, image_update
from app.schemas.base import convert_query
from app.schemas.images import ImageListQuery, ImagePatch, image_out
from app.storage import images_store


async def list_images(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, ImageListQuery)
    rows = await images_store.list_newest(
        runtime.db, principal.account_id, limit=query.limit + 1, offset=query.offset
    )
    images, headers = page(rows, query.limit, query.offset)
    keywords = await images_store.keywords_of(runtime.db, [image.image_id for image in images])
    body = [image_out(image, keywords[image.image_id]) for image in images]
    return get_response(request, body, headers)


async def get_image(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    image = await image_of(runtime.db, request.path_params["uuid"], principal.account_id)
    keywords = await images_store.keywords_of(runtime.db, [image.image_id])
    return get_response(request, image_out(image, keywords[image.image_id]))


async def patch_image(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.IMAGES_WRITE)
    changes = write.decode(ImagePatch).changes()
    if (replayed := await write.replay()) is not None:
        return replayed
    image = await image_of(write.runtime.db, request.path_params["uuid"], write.principal.account_id)
    return await write.accept(
        Submission(
            type=image_update.TYPE,
            params={"image_id": image.image_id, "changes": changes},
            image_public_uuids=[image.public_uuid],
        )
    )


async def delete_image(request: Request) -> Response:
    write = await V1Write.begin(request, Scope.IMAGES_DELETE, has_body=False)
    write.without_body()
    if (replayed := await write.replay()) is not None:
        return replayed
    image = await image_of(write.runtime.db, request.path_params["uuid"], write.principal.account_id)
    return await write.accept(
        Submission(
            type=image_delete.TYPE,
            params={"image_id": image.image_id},
            image_public_uuids=[image.public_uuid],
        )
    )


routes = [
    Route("/v1/images", list_images, methods=["GET"]),
    Route("/v1/images/{uuid}", get_image, methods=["GET"]),
    Route("/v1/images/{uuid}", patch_image, methods=["PATCH"]),
    Route("/v1/images/{uuid}", delete_image, methods=["DELETE"]),
]
