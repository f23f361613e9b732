"""`/imgs` reads: one image by its id, with `fields`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.accounts.scopes import Scope
from app.errors import ImageNotFound
from app.http.context import authorize
from app.http.imgs_views import imgs_views
from app.http.responses import get_response
from app.http.urls import public_base
from app.schemas.imgs_out import projected, projection
from app.schemas.imgs_requests import reject_unknown
from app.storage import images_store


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


routes = [Route("/imgs/{id:path}", get_img, methods=["GET"])]
