"""Images as the library dialect shows them, and the bodies that change them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

import msgspec

from app.errors import ValidationFailed
from app.schemas.base import Limit, Offset, Schema, Title
from app.storage.images_store import Credit, ImageRow, Keyword
from app.timestamps import format_time

Rotation = Literal[0, 90, 180, 270]


class KeywordOut(Schema):
    value: str
    namespace: str | None


class VersionOut(Schema):
    name: str
    width: int
    height: int
    format: str
    bytes: int
    url: str


class ImageMetadata(Schema):
    headline: str | None
    creator: str | None
    copyright_notice: str | None
    copyright_marked: bool | None
    credit_line: str | None
    usage_terms: str | None
    city: str | None
    country: str | None
    location: str | None
    event: str | None
    provider: str | None
    shot: str | None
    scene: str | None
    technique: str | None
    medium: str | None
    status: str | None
    url_img_watermark: str | None
    url_img_thumbnail: str | None
    ai_generated: bool | None
    model_release: bool | None
    property_release: bool | None
    nsfw: bool | None
    categories: list[str]
    collections: list[str]


class CreditOut(Schema):
    role: str
    name: str


class ImageOut(Schema):
    public_uuid: str
    external_id: str | None
    title: str | None
    description: str | None
    creation_date: str | None
    alt_text: str | None
    keywords: list[KeywordOut]
    credits: list[CreditOut]
    rating: int | None
    src: str | None
    filename: str | None
    width: int | None
    height: int | None
    format: str | None
    bytes: int | None
    sha256: str | None
    n_faces: int | None
    rotation: int
    metadata: ImageMetadata
    exif: dict[str, Any]
    versions: list[VersionOut]
    created_at: str
    updated_at: str


class ImagePatch(Schema):
    """`PATCH /v1/images/{uuid}`: fields left out stay, `null` clears."""

    title: Title | msgspec.UnsetType | None = msgspec.UNSET
    description: str | msgspec.UnsetType | None = msgspec.UNSET
    creation_date: str | msgspec.UnsetType | None = msgspec.UNSET
    rotation: Rotation | msgspec.UnsetType = msgspec.UNSET

    def changes(self) -> dict[str, Any]:
        """The columns to set, `creation_date` normalised; at least one, or `400`."""
        changes = {
            name: getattr(self, name)
            for name in self.__struct_fields__
            if getattr(self, name) is not msgspec.UNSET
        }
        if not changes:
            raise ValidationFailed("Set at least one of title, description, creation_date, rotation.")
        if isinstance(changes.get("creation_date"), str):
            changes["creation_date"] = normalise_creation_date(changes["creation_date"])
        return changes


class ImageListQuery(Schema):
    limit: Limit = 50
    offset: Offset = 0


def normalise_creation_date(text: str) -> str:
    """Any ISO 8601 date (`2024-05-01`) or timestamp; a timestamp is kept as UTC."""
    try:
        if len(text) <= 10 and "T" not in text:
            return date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "creation_date must be an ISO 8601 date or timestamp.", field="creation_date"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_time(moment)


def split_keyword(text: str) -> Keyword:
    """`axis:value` is namespace `axis`; `a:b:c` is namespace `a`, value `b:c`."""
    namespace, colon, value = text.partition(":")
    if colon and namespace and value:
        return Keyword(namespace, value)
    return Keyword(None, text)


def image_out(image: ImageRow, keywords: list[Keyword], credits: list[Credit]) -> ImageOut:
    return ImageOut(
        public_uuid=image.public_uuid,
        external_id=image.external_id,
        title=image.title,
        description=image.description,
        creation_date=image.creation_date,
        alt_text=image.alt_text,
        keywords=[KeywordOut(value=k.value, namespace=k.namespace) for k in keywords],
        credits=[CreditOut(role=c.role, name=c.name) for c in credits],
        rating=image.rating,
        src=image.src,
        filename=image.filename,
        width=image.width,
        height=image.height,
        format=image.format,
        bytes=image.bytes,
        sha256=image.sha256,
        n_faces=image.n_faces,
        rotation=image.rotation,
        metadata=msgspec.convert(
            {name: getattr(image, name) for name in ImageMetadata.__struct_fields__},
            ImageMetadata,
        ),
        exif=image.exif,
        versions=[],
        created_at=image.created_at,
        updated_at=image.updated_at,
    )
