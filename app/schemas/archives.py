"""Archives as the library dialect shows them, and the body that asks for one."""

from __future__ import annotations

from typing import Annotated

import msgspec

from app.schemas.base import Limit, Offset, Schema

MAX_IMAGES_PER_ARCHIVE = 10_000
ImageUuids = Annotated[list[str], msgspec.Meta(min_length=1, max_length=MAX_IMAGES_PER_ARCHIVE)]
Filename = Annotated[str, msgspec.Meta(min_length=1, max_length=191)]
VersionName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class ArchiveCreate(Schema):
    """`POST /v1/archives`: the images (a list, or a set's members in set order) and what of them."""

    image_public_uuids: ImageUuids | None = None
    set_public_uuid: str | None = None
    version: VersionName = "original"
    filename: Filename | None = None


class ArchiveListQuery(Schema):
    limit: Limit = 50
    offset: Offset = 0


class ArchiveOut(Schema):
    public_uuid: str
    filename: str
    url: str
    bytes: int
    image_count: int
    created_at: str
    expires_at: str
