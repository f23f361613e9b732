"""An image as the search API shows it (`image_id` for the external id, `caption`, `date`, …),
and the `fields` projection of its answers."""

from __future__ import annotations

from typing import Any

from app.errors import Unprocessable
from app.schemas.base import Schema
from app.schemas.images import VersionOut
from app.schemas.imgs import COLUMNS, UNSET, Status, Unset
from app.storage.images_store import ImageRow, Keyword

# Every field an answer may hold, in the order it shows them.
FIELDS: tuple[str, ...] = (
    "image_id",
    "public_uuid",
    *COLUMNS,
    "keywords",
    "width",
    "height",
    "n_faces",
    "versions",
)
_FIELD_SET = frozenset(FIELDS)


def keyword_text(keyword: Keyword) -> str:
    return keyword.value if keyword.namespace is None else f"{keyword.namespace}:{keyword.value}"


def img_out(image: ImageRow, keywords: list[Keyword], versions: list[VersionOut]) -> dict[str, Any]:
    shown: dict[str, Any] = {"image_id": image.external_id, "public_uuid": image.public_uuid}
    for name, column in COLUMNS.items():
        value = getattr(image, column)
        if name == "date" and isinstance(value, str):
            value = value[:10]  # a timestamp set through /v1 shows as its day
        shown[name] = value
    shown["keywords"] = [keyword_text(keyword) for keyword in keywords]
    shown["width"], shown["height"], shown["n_faces"] = image.width, image.height, image.n_faces
    shown["versions"] = versions
    return shown


def projection(fields: list[str]) -> frozenset[str] | None:
    """The fields to keep (always with `image_id`); None keeps all; an unknown one is `422`."""
    if not fields:
        return None
    names = {name.strip() for field in fields for name in field.split(",") if name.strip()}
    unknown = sorted(names - _FIELD_SET)
    if unknown:
        raise Unprocessable(
            f"Unknown fields: {', '.join(unknown)}.",
            field="fields",
            items=[
                {"index": None, "id": None, "field": "fields", "code": "invalid", "message": name}
                for name in unknown
            ],
        )
    return frozenset(names | {"image_id"})


def projected(shown: dict[str, Any], keep: frozenset[str] | None) -> dict[str, Any]:
    if keep is None:
        return shown
    return {name: value for name, value in shown.items() if name in keep}


class ImgOut(Schema):
    """`img_out` as a type, for the API description: every field but `image_id` may be left
    out by `fields`."""

    image_id: str | None
    public_uuid: str | Unset = UNSET
    src: str | Unset | None = UNSET
    url_img_watermark: str | Unset | None = UNSET
    url_img_thumbnail: str | Unset | None = UNSET
    title: str | Unset | None = UNSET
    headline: str | Unset | None = UNSET
    caption: str | Unset | None = UNSET
    alt_text: str | Unset | None = UNSET
    ai_generated: bool | Unset | None = UNSET
    model_release: bool | Unset | None = UNSET
    property_release: bool | Unset | None = UNSET
    nsfw: bool | Unset | None = UNSET
    status: Status | Unset | None = UNSET
    date: str | Unset | None = UNSET
    location: str | Unset | None = UNSET
    city: str | Unset | None = UNSET
    country: str | Unset | None = UNSET
    event: str | Unset | None = UNSET
    author: str | Unset | None = UNSET
    provider: str | Unset | None = UNSET
    shot: str | Unset | None = UNSET
    scene: str | Unset | None = UNSET
    technique: str | Unset | None = UNSET
    medium: str | Unset | None = UNSET
    categories: list[str] | Unset = UNSET
    collections: list[str] | Unset = UNSET
    keywords: list[str] | Unset = UNSET
    width: int | Unset | None = UNSET
    height: int | Unset | None = UNSET
    n_faces: int | Unset | None = UNSET
    versions: list[VersionOut] | Unset = UNSET


class SearchAnswer(Schema):
    """`GET /imgs`: the page of results, the total (null with `count=false`) and the facets."""

    results: list[ImgOut]
    count: int | None
    facets: dict[str, dict[str, int]]
