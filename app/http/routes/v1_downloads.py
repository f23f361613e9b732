"""`POST /v1/downloads`: a signed, expiring link to an original or a version (not an operation)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import PurePosixPath

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import Scope
from app.errors import ValidationFailed
from app.http.context import authorize
from app.http.lookups import image_of
from app.http.request_body import body_limit, read_body
from app.http.responses import JSONResponse
from app.http.routes.media import media_type_of, private_path, private_query
from app.http.routing import Route
from app.http.urls import public_base
from app.schemas.base import Schema, decode_json
from app.storage import versions_store
from app.storage.media_files import MediaFile
from app.timestamps import format_time

LINK_LIFETIME = 3600  # seconds


class DownloadRequest(Schema):
    image_public_uuid: str
    version: str | None = None


class DownloadLink(Schema):
    url: str
    filename: str
    access: str
    expires_at: str


async def create_download(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.DOWNLOAD)
    limit = body_limit(runtime.settings.max_body_bytes, principal.max_request_bytes)
    body = decode_json(await read_body(request, limit), DownloadRequest)
    image = await image_of(runtime.db, body.image_public_uuid, principal.account_id)
    if image.sha256 is None or image.format is None:
        raise ValidationFailed("This image has no file.", field="image_public_uuid")
    stem = PurePosixPath(image.filename or image.public_uuid).stem or image.public_uuid
    if body.version is None:
        file, format, filename = MediaFile(image.sha256), image.format, image.filename
        filename = filename or f"{stem}.{format}"
    else:
        versions = (await versions_store.versions_of(runtime.db, [image.image_id]))[image.image_id]
        chosen = next((v for v in versions if v.name == body.version), None)
        if chosen is None:
            names = ", ".join(v.name for v in versions) or "none"
            raise ValidationFailed(f"No version {body.version!r}; it has: {names}.", field="version")
        file, format = chosen.file, chosen.format
        filename = f"{stem}_{chosen.name}.{'jpg' if format == 'jpeg' else format}"
    expires = int(time.time()) + LINK_LIFETIME
    query = private_query(
        runtime.secret, file, media_type=media_type_of(format), filename=filename, expires=expires
    )
    url = f"{public_base(request, runtime.settings)}{private_path(file)}?{query}"
    expires_at = format_time(datetime.fromtimestamp(expires, UTC))
    return JSONResponse(DownloadLink(url=url, filename=filename, access="private", expires_at=expires_at))


routes = [Route("/v1/downloads", create_download, methods=["POST"])]
