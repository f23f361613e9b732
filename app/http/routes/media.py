"""Media files: versions in public (their names are unguessable), originals and archives only signed."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from app.errors import Forbidden, NotFound
from app.http.context import darkroom
from app.http.responses import etag_matches, not_modified
from app.http.routing import Route
from app.signing import sign, verify
from app.storage.media_files import MediaFile

IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE = "private, max-age=3600"
_NAME = re.compile(r"(?P<sha256>[0-9a-f]{64})(?:\.(?P<ext>jpeg|webp))?")
_ARCHIVE_NAME = re.compile(r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.zip")
_INVALID_LINK = "This link is not valid or has expired."
_MEDIA_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "avif": "image/avif",
    "heif": "image/heif",
}


def version_path(file: MediaFile) -> str:
    return f"/media/{file.sha256}.{file.ext}"


def private_query(secret: str, file: MediaFile, *, media_type: str, filename: str, expires: int) -> str:
    """The query string that makes `/media/private/<name>` readable until `expires`."""
    return signed_query(secret, private_path(file), media_type=media_type, filename=filename, expires=expires)


def signed_query(secret: str, path: str, *, media_type: str, filename: str, expires: int) -> str:
    """The query string that makes the private `path` readable until `expires`."""
    fields = _private_fields(path, media_type, filename, str(expires))
    return urlencode(
        {"exp": fields["expires"], "type": media_type, "filename": filename, "sig": sign(secret, fields)}
    )


def private_path(file: MediaFile) -> str:
    name = file.sha256 if file.ext is None else f"{file.sha256}.{file.ext}"
    return f"/media/private/{name}"


def archive_path(public_uuid: str) -> str:
    return f"/media/private/archives/{public_uuid}.zip"


def media_type_of(format: str) -> str:
    return _MEDIA_TYPES.get(format, "application/octet-stream")


def _private_fields(path: str, media_type: str, filename: str, expires: str) -> dict[str, str]:
    return {"path": path, "type": media_type, "filename": filename, "expires": expires}


def _verified(request: Request, secret: str, path: str) -> dict[str, str]:
    """The signed fields of a private link to `path`, or `403` when they do not verify."""
    query = request.query_params
    fields = _private_fields(path, query.get("type", ""), query.get("filename", ""), query.get("exp", ""))
    if not verify(secret, {**fields, "signature": query.get("sig", "")}, now=time.time()):
        raise Forbidden(_INVALID_LINK)
    return fields


async def public_version(request: Request) -> Response:
    match = _NAME.fullmatch(request.path_params["name"])
    if match is None or match["ext"] is None:
        raise NotFound("No such media file.")
    file = MediaFile(match["sha256"], match["ext"])
    etag = f'"{file.sha256}"'
    headers = {"Cache-Control": IMMUTABLE, "ETag": etag}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return not_modified(etag, headers)
    path = darkroom(request).media.path(file)
    if not path.is_file():
        raise NotFound("No such media file.")
    return FileResponse(path, headers=headers, media_type=media_type_of(file.ext or ""))


async def private_file(request: Request) -> Response:
    runtime = darkroom(request)
    match = _NAME.fullmatch(request.path_params["name"])
    if match is None:
        raise Forbidden(_INVALID_LINK)
    file = MediaFile(match["sha256"], match["ext"])
    fields = _verified(request, runtime.secret, private_path(file))
    etag = f'"{file.sha256}"'
    headers = {"Cache-Control": PRIVATE, "ETag": etag}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return not_modified(etag, headers)
    path = runtime.media.path(file)
    if not path.is_file():
        raise NotFound("The file is gone.")
    return FileResponse(path, headers=headers, media_type=fields["type"], filename=fields["filename"])


async def private_archive(request: Request) -> Response:
    runtime = darkroom(request)
    match = _ARCHIVE_NAME.fullmatch(request.path_params["name"])
    if match is None:
        raise Forbidden(_INVALID_LINK)
    fields = _verified(request, runtime.secret, archive_path(match["uuid"]))
    etag = f'"{match["uuid"]}"'  # an archive's bytes never change
    headers = {"Cache-Control": PRIVATE, "ETag": etag}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return not_modified(etag, headers)
    path = runtime.archives.path(match["uuid"])
    if not path.is_file():
        raise NotFound("The archive is gone.")
    return FileResponse(path, headers=headers, media_type=fields["type"], filename=fields["filename"])


routes = [
    Route("/media/private/archives/{name}", private_archive, methods=["GET"]),
    Route("/media/private/{name}", private_file, methods=["GET"]),
    Route("/media/{name}", public_version, methods=["GET"]),
]
