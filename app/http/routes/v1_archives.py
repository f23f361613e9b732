"""`/v1/archives`: ask for a ZIP of images (an operation); list the ready ones with signed links."""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import Scope
from app.archives.entries import safe_name
from app.config import Settings
from app.errors import ArchiveNotFound, ValidationFailed
from app.http.context import authorize
from app.http.lookups import image_ids_of, set_of
from app.http.paging import page
from app.http.responses import get_response
from app.http.routes.media import archive_path, signed_query
from app.http.routing import Route
from app.http.urls import public_base
from app.http.write_endpoints import WriteCheck, WriteEndpoint
from app.operations.submission import Submission
from app.operations.types import archive
from app.schemas.archives import ArchiveCreate, ArchiveListQuery, ArchiveOut
from app.schemas.base import convert_query
from app.storage import archives_store, sets_store
from app.storage.archives_store import ORIGINAL, ArchiveRow
from app.timestamps import now, now_text, parse_time

ZIP_MEDIA_TYPE = "application/zip"
_CROP = re.compile(r"crop_[1-9][0-9]{0,3}x[1-9][0-9]{0,3}")
_UNSAFE_FILENAME = re.compile(r"[/\\\x00-\x1f\x7f]")


async def list_archives(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, ArchiveListQuery)
    rows = await archives_store.of_account(
        runtime.db, principal.account_id, now_text(), limit=query.limit + 1, offset=query.offset
    )
    archives, headers = page(rows, query.limit, query.offset)
    base_url = public_base(request, runtime.settings)
    return get_response(request, [archive_out(row, base_url, runtime.secret) for row in archives], headers)


async def get_archive(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    row = await archives_store.by_uuid(
        runtime.db, request.path_params["uuid"], principal.account_id, now_text()
    )
    if row is None:
        raise ArchiveNotFound
    return get_response(request, archive_out(row, public_base(request, runtime.settings), runtime.secret))


def archive_out(row: ArchiveRow, base_url: str, secret: str) -> ArchiveOut:
    # The link lives as long as the archive: the same archive is listed with the same URL,
    # so the list keeps its ETag, and a link handed on stops when the archive goes.
    expires = int(parse_time(row.expires_at).timestamp())
    path = archive_path(row.public_uuid)
    query = signed_query(secret, path, media_type=ZIP_MEDIA_TYPE, filename=row.filename, expires=expires)
    return ArchiveOut(
        public_uuid=row.public_uuid,
        filename=row.filename,
        url=f"{base_url}{path}?{query}",
        bytes=row.bytes,
        image_count=row.image_count,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


async def _check_create(context: WriteCheck, body: ArchiveCreate) -> Submission:
    db, account_id = context.runtime.db, context.principal.account_id
    if (body.image_public_uuids is None) == (body.set_public_uuid is None):
        raise ValidationFailed("Give either image_public_uuids or set_public_uuid.")
    _require_version(body.version, context.runtime.settings)
    if body.image_public_uuids is not None:
        uuids = list(dict.fromkeys(body.image_public_uuids))
        image_ids = await image_ids_of(db, account_id, uuids, "image_public_uuids")
        default_name = f"archive-{now():%Y-%m-%d}"
    else:
        found = await set_of(db, body.set_public_uuid or "", account_id)
        members = await sets_store.member_ids(db, found.set_id)
        if not members:
            raise ValidationFailed("The set has no images.", field="set_public_uuid")
        uuids, image_ids = list(members), list(members.values())
        default_name = found.name
    params: dict[str, Any] = {
        # Chosen now, so that a rerun of the operation makes the same archive, not a second one.
        "archive_uuid": str(uuid.uuid4()),
        "image_ids": image_ids,
        "version": body.version,
        "filename": _filename(body.filename, default_name),
    }
    return Submission(
        type=archive.TYPE, params=params, image_public_uuids=uuids, progress_total=len(image_ids)
    )


def _require_version(version: str, settings: Settings) -> None:
    """`original`, a configured profile, or a crop's name; whether each image has it is the
    operation's to check."""
    profiles = [profile.name for profile in settings.profiles]
    if version == ORIGINAL or version in profiles or _CROP.fullmatch(version):
        return
    raise ValidationFailed(
        f"No version {version!r}: use original, {', '.join(profiles)} or a crop like crop_16x9.",
        field="version",
    )


def _filename(given: str | None, default: str) -> str:
    """The name offered for download: the given one as it is, the default made safe; `.zip` added."""
    if given is None:
        name = safe_name(default, "archive")
    elif _UNSAFE_FILENAME.search(given):
        raise ValidationFailed("A filename cannot hold /, \\ or control characters.", field="filename")
    else:
        name = given
    return name if name.lower().endswith(".zip") else f"{name}.zip"


WRITES = [WriteEndpoint("POST", "/v1/archives", Scope.DOWNLOAD, ArchiveCreate, _check_create)]

routes = [
    Route("/v1/archives", list_archives, methods=["GET"]),
    Route("/v1/archives/{uuid}", get_archive, methods=["GET"]),
    *(endpoint.route() for endpoint in WRITES),
]
