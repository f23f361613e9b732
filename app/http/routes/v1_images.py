"""`/v1/images`: list and read images; change and delete them through operations."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import Scope
from app.errors import ValidationFailed
from app.http.context import authorize
from app.http.image_views import image_views, version_out
from app.http.lookups import image_ids_of, image_of, set_of
from app.http.paging import page
from app.http.responses import get_response
from app.http.routing import Route
from app.http.urls import public_base
from app.http.write_endpoints import WriteCheck, WriteEndpoint, image_write
from app.operations.submission import Submission
from app.operations.types import image_delete, image_fields, image_files, image_update
from app.schemas.base import convert_query
from app.schemas.image_fields import (
    AltTextPut,
    Credit,
    CropDelete,
    CropPut,
    MetadataPut,
    RatingPut,
    Regenerate,
)
from app.schemas.images import ImageListQuery, ImagePatch
from app.storage import image_search, sets_store, versions_store


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


async def _check_regenerate(context: WriteCheck, body: Regenerate) -> Submission:
    db, account_id = context.runtime.db, context.principal.account_id
    if (body.image_public_uuids is None) == (body.set_public_uuid is None):
        raise ValidationFailed("Give either image_public_uuids or set_public_uuid.")
    if body.image_public_uuids is not None:
        uuids = list(dict.fromkeys(body.image_public_uuids))
        image_ids = await image_ids_of(db, account_id, uuids, "image_public_uuids")
    else:
        found = await set_of(db, body.set_public_uuid or "", account_id)
        members = await sets_store.member_ids(db, found.set_id)
        uuids, image_ids = list(members), list(members.values())
    return Submission(
        type=image_files.REGENERATE,
        params={"image_ids": image_ids},
        image_public_uuids=uuids,
        progress_total=len(image_ids),
    )


async def _check_crop(context: WriteCheck, body: CropPut) -> Submission:
    image = await image_of(context.runtime.db, context.path_params["uuid"], context.principal.account_id)
    if image.width is None or image.height is None or image.sha256 is None:
        raise ValidationFailed("The image has no file to crop.")
    if body.x + body.width > image.width or body.y + body.height > image.height:
        raise ValidationFailed(
            f"The box leaves the {image.width}×{image.height} image.",
            field="width" if body.x + body.width > image.width else "height",
        )
    box = {"x": body.x, "y": body.y, "width": body.width, "height": body.height}
    return Submission(
        type=image_files.CROP,
        params={"image_id": image.image_id, "name": image_files.crop_name(body.aspect), "box": box},
        image_public_uuids=[image.public_uuid],
    )


async def _check_crop_delete(context: WriteCheck, body: CropDelete) -> Submission:
    image = await image_of(context.runtime.db, context.path_params["uuid"], context.principal.account_id)
    name = image_files.crop_name(body.aspect)
    versions = (await versions_store.versions_of(context.runtime.db, [image.image_id]))[image.image_id]
    if all(version.name != name for version in versions):
        raise ValidationFailed(f"The image has no {body.aspect} crop.", field="aspect")
    return Submission(
        type=image_files.CROP_DELETE,
        params={"image_id": image.image_id, "name": name},
        image_public_uuids=[image.public_uuid],
    )


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
    WriteEndpoint("POST", "/v1/images/regenerate", Scope.IMAGES_WRITE, Regenerate, _check_regenerate),
    WriteEndpoint("PUT", "/v1/images/{uuid}/crop", Scope.METADATA_WRITE, CropPut, _check_crop),
    WriteEndpoint("DELETE", "/v1/images/{uuid}/crop", Scope.METADATA_WRITE, CropDelete, _check_crop_delete),
    image_write(
        "POST",
        "/v1/images/{uuid}/extract_metadata",
        Scope.METADATA_WRITE,
        None,
        image_files.EXTRACT_METADATA,
        lambda _: {},
    ),
]

routes = [
    Route("/v1/images", list_images, methods=["GET"]),
    Route("/v1/images/{uuid}", get_image, methods=["GET"]),
    Route("/v1/images/{uuid}/versions", list_versions, methods=["GET"]),
    *(endpoint.route() for endpoint in WRITES),
]
