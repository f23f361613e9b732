"""Images as the library dialect shows them, and the bodies that change them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

import msgspec

from app.errors import ValidationFailed
from app.schemas.base import Limit, Offset, Schema, Title
from app.schemas.keywords import parse_keyword
from app.search import fulltext
from app.storage.image_search import EXIF_NUMBER_PROPERTIES, ImageFilters
from app.storage.images_store import Credit, ImageRow, Keyword
from app.timestamps import format_time, parse_time

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


class SetMembershipOut(Schema):
    public_uuid: str
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
    sets: list[SetMembershipOut]
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


ExifProperty = Literal["make", "model", "lens", "iso", "focal_length", "f_number", "exposure_time"]
Rating = Annotated[int, msgspec.Meta(ge=0, le=5)]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{64}$")]


class ImageListQuery(Schema):
    """`GET /v1/images`: paging and every filter of the contract (they stack)."""

    limit: Limit = 50
    offset: Offset = 0
    query: str | None = None
    keyword: str | None = None
    namespace: str | None = None
    rating: Rating | None = None
    min_rating: Rating | None = None
    exif_property: ExifProperty | None = None
    exif_value: str | None = None
    created_at_from: str | None = None
    created_at_to: str | None = None
    updated_at_from: str | None = None
    updated_at_to: str | None = None
    creation_date_from: str | None = None
    creation_date_to: str | None = None
    has_geo: bool | None = None
    bbox: str | None = None
    set_public_uuid: str | None = None
    # Beyond the contract: the images whose original has these bytes (`import` skips a file
    # the library holds already by asking this).
    sha256: Sha256 | None = None

    def filters(self) -> ImageFilters:
        """Everything but the set, which needs a lookup (see the route)."""
        if (self.exif_property is None) != (self.exif_value is None):
            missing = "exif_value" if self.exif_value is None else "exif_property"
            raise ValidationFailed("exif_property and exif_value go together.", field=missing)
        if self.exif_property in EXIF_NUMBER_PROPERTIES and not _is_number(self.exif_value):
            raise ValidationFailed(
                f"exif_value must be a number for {self.exif_property}.", field="exif_value"
            )
        return ImageFilters(
            text=fulltext.parse(self.query) if self.query is not None else None,
            keyword=parse_keyword(self.keyword, "keyword") if self.keyword is not None else None,
            namespace=self.namespace.strip().lower() if self.namespace is not None else None,
            rating=self.rating,
            min_rating=self.min_rating,
            exif=(self.exif_property, self.exif_value or "") if self.exif_property else None,
            created_at=(
                _timestamp(self.created_at_from, "created_at_from", end=False),
                _timestamp(self.created_at_to, "created_at_to", end=True),
            ),
            updated_at=(
                _timestamp(self.updated_at_from, "updated_at_from", end=False),
                _timestamp(self.updated_at_to, "updated_at_to", end=True),
            ),
            creation_date=(
                _creation_bound(self.creation_date_from, "creation_date_from", end=False),
                _creation_bound(self.creation_date_to, "creation_date_to", end=True),
            ),
            has_geo=self.has_geo,
            bbox=_bbox(self.bbox) if self.bbox is not None else None,
            sha256=self.sha256.lower() if self.sha256 is not None else None,
        )


def _is_number(text: str | None) -> bool:
    try:
        float(text or "")
    except ValueError:
        return False
    return True


def _timestamp(text: str | None, field: str, *, end: bool) -> str | None:
    """A bound on a stored time; a bare date covers its whole day."""
    if text is None:
        return None
    try:
        if len(text) <= 10 and "T" not in text:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
        else:
            moment = parse_time(text)
    except ValueError:
        raise ValidationFailed(f"{field} must be an ISO 8601 date or timestamp.", field=field) from None
    return format_time(moment)


def _creation_bound(text: str | None, field: str, *, end: bool) -> str | None:
    """Creation dates are stored as dates or timestamps; both compare as text against a bound
    that is a date (`2024-05-01`) or, for the end of a day, just past its last timestamp."""
    if text is None:
        return None
    try:
        if len(text) <= 10 and "T" not in text:
            day = date.fromisoformat(text).isoformat()
            return day + "~" if end else day  # "~" sorts after "T…" and after the bare date
        return format_time(parse_time(text))
    except ValueError:
        raise ValidationFailed(f"{field} must be an ISO 8601 date or timestamp.", field=field) from None


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in text.split(","))
    except ValueError:
        raise ValidationFailed("bbox is min_lon,min_lat,max_lon,max_lat in degrees.", field="bbox") from None
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise ValidationFailed("bbox longitudes are between -180 and 180.", field="bbox")
    if not (-90 <= min_lat <= max_lat <= 90):
        raise ValidationFailed("bbox latitudes are between -90 and 90, min first.", field="bbox")
    return min_lon, min_lat, max_lon, max_lat


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


def image_out(
    image: ImageRow,
    keywords: list[Keyword],
    credits: list[Credit],
    versions: list[VersionOut],
    sets: list[SetMembershipOut],
) -> ImageOut:
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
        sets=sets,
        versions=versions,
        created_at=image.created_at,
        updated_at=image.updated_at,
    )
