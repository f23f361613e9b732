"""Bodies of the writes that edit an image's fields: metadata, rating, alt text, credits."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from app.errors import ValidationFailed
from app.schemas.base import Schema

Text = Annotated[str, msgspec.Meta(max_length=2000)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=191)]
Labels = Annotated[list[Name], msgspec.Meta(max_length=200)]
Status = Literal["Active", "Withdrawn", "Reserved", "RDA Only"]

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class MetadataPut(Schema):
    """`PUT /v1/images/{uuid}/metadata`: partial; fields left out stay, `null` clears."""

    creator: Text | Unset | None = UNSET
    copyright_notice: Text | Unset | None = UNSET
    copyright_marked: bool | Unset | None = UNSET
    credit_line: Text | Unset | None = UNSET
    usage_terms: Text | Unset | None = UNSET
    headline: Text | Unset | None = UNSET
    city: Text | Unset | None = UNSET
    country: Text | Unset | None = UNSET
    location: Text | Unset | None = UNSET
    event: Text | Unset | None = UNSET
    url_img_watermark: Text | Unset | None = UNSET
    url_img_thumbnail: Text | Unset | None = UNSET
    status: Status | Unset | None = UNSET
    provider: Text | Unset | None = UNSET
    shot: Text | Unset | None = UNSET
    scene: Text | Unset | None = UNSET
    technique: Text | Unset | None = UNSET
    medium: Text | Unset | None = UNSET
    categories: Labels | Unset | None = UNSET
    collections: Labels | Unset | None = UNSET
    ai_generated: bool | Unset | None = UNSET
    model_release: bool | Unset | None = UNSET
    property_release: bool | Unset | None = UNSET
    nsfw: bool | Unset | None = UNSET

    def changes(self) -> dict[str, Any]:
        changes = {
            name: getattr(self, name) for name in self.__struct_fields__ if getattr(self, name) is not UNSET
        }
        if not changes:
            raise ValidationFailed("Set at least one metadata field.")
        for name in ("categories", "collections"):
            if name in changes and changes[name] is None:
                changes[name] = []  # a list column is never null: null clears it
        return changes


class RatingPut(Schema):
    rating: Annotated[int, msgspec.Meta(ge=0, le=5)]


class AltTextPut(Schema):
    alt_text: Text | None


class Credit(Schema):
    role: Name
    name: Name


Aspect = Annotated[str, msgspec.Meta(pattern=r"^[1-9][0-9]{0,3}:[1-9][0-9]{0,3}$")]
Pixels = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Length = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class CropPut(Schema):
    """`PUT /v1/images/{uuid}/crop`: a box in whole pixels of the upright image."""

    aspect: Aspect
    x: Pixels
    y: Pixels
    width: Length
    height: Length


class CropDelete(Schema):
    aspect: Aspect


class Regenerate(Schema):
    image_public_uuids: Annotated[list[str], msgspec.Meta(min_length=1, max_length=10_000)] | None = None
    set_public_uuid: str | None = None
