"""Images as the search API writes and shows them (`/imgs`), checked item by item.

A request's items are validated one by one so that a `422` lists every bad item, not only
the first. Field names map to the stored ones as spec/README.md says (caption → description,
date → creation_date, author → creator, id → external id).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal

import msgspec

from app.schemas.base import field_from_error
from app.schemas.keywords import MAX_KEYWORD_LENGTH

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET

Text = Annotated[str, msgspec.Meta(max_length=2000)]
Title = Annotated[str, msgspec.Meta(max_length=191)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_KEYWORD_LENGTH)]
Labels = Annotated[list[Label], msgspec.Meta(max_length=200)]
Src = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
Status = Literal["Active", "Withdrawn", "Reserved", "RDA Only"]

_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

# Search-API name → stored column (keywords are stored apart).
COLUMNS = {
    "src": "src",
    "url_img_watermark": "url_img_watermark",
    "url_img_thumbnail": "url_img_thumbnail",
    "title": "title",
    "headline": "headline",
    "caption": "description",
    "alt_text": "alt_text",
    "ai_generated": "ai_generated",
    "model_release": "model_release",
    "property_release": "property_release",
    "nsfw": "nsfw",
    "status": "status",
    "date": "creation_date",
    "location": "location",
    "city": "city",
    "country": "country",
    "event": "event",
    "author": "creator",
    "provider": "provider",
    "shot": "shot",
    "scene": "scene",
    "technique": "technique",
    "medium": "medium",
    "categories": "categories",
    "collections": "collections",
}
LIST_COLUMNS = frozenset({"categories", "collections"})


class ImgItem(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One image of a write; which fields are required depends on the write (see `check_item`)."""

    id: str | int | Unset = UNSET
    src: Src | Unset | None = UNSET
    url_img_watermark: Text | Unset | None = UNSET
    url_img_thumbnail: Text | Unset | None = UNSET
    title: Title | Unset | None = UNSET
    headline: Text | Unset | None = UNSET
    caption: Annotated[str, msgspec.Meta(max_length=20000)] | Unset | None = UNSET
    alt_text: Text | Unset | None = UNSET
    ai_generated: bool | Unset | None = UNSET
    model_release: bool | Unset | None = UNSET
    property_release: bool | Unset | None = UNSET
    nsfw: bool | Unset | None = UNSET
    status: Status | Unset | None = UNSET
    date: str | Unset | None = UNSET
    location: Text | Unset | None = UNSET
    city: Text | Unset | None = UNSET
    country: Text | Unset | None = UNSET
    event: Text | Unset | None = UNSET
    author: Text | Unset | None = UNSET
    provider: Text | Unset | None = UNSET
    shot: Text | Unset | None = UNSET
    scene: Text | Unset | None = UNSET
    technique: Text | Unset | None = UNSET
    medium: Text | Unset | None = UNSET
    keywords: Labels | Unset | None = UNSET
    categories: Labels | Unset | None = UNSET
    collections: Labels | Unset | None = UNSET


WriteKind = Literal["create", "replace", "modify", "delete"]


@dataclass(slots=True)
class ItemProblem:
    index: int
    id: str | None
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


@dataclass(slots=True)
class CheckedItem:
    """A valid item: its id, and the stored columns it sets (`None` clears)."""

    index: int
    id: str
    src: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    keywords: list[str] | None = None


def check_id(value: Any) -> str:
    """An id is a string or an integer (kept as its decimal string), 1–256 characters, no
    control characters. ValueError says what is wrong."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("an id is a string or an integer")
    text = str(value)
    if not 1 <= len(text) <= 256:
        raise ValueError("an id has 1 to 256 characters")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise ValueError("an id may not hold control characters")
    return text


def normalise_date(text: str) -> str:
    """`YYYY-MM-DD`, unpadded accepted (`2005-5-13`); ValueError when it is not a real day."""
    match = _DATE.match(text.strip())
    if match is None:
        raise ValueError("a date is YYYY-MM-DD")
    return date(int(match[1]), int(match[2]), int(match[3])).isoformat()


def check_item(raw: Any, index: int, kind: WriteKind, path_id: str | None) -> CheckedItem | ItemProblem:
    """One item of a write, checked completely."""
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    shown_id = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    shown_id = shown_id or path_id

    def problem(field: str | None, code: str, message: str) -> ItemProblem:
        return ItemProblem(index, shown_id, field, code, message)

    try:
        item = msgspec.convert(raw, ImgItem)
    except msgspec.ValidationError as error:
        message, field = field_from_error(error)
        return problem(field, "invalid", message)
    if isinstance(item.id, msgspec.UnsetType):
        if path_id is None:
            return problem("id", "missing", "Every image needs an id.")
        item_id = path_id
    else:
        try:
            item_id = check_id(item.id)
        except ValueError as error:
            return problem("id", "invalid", str(error).capitalize() + ".")
        if path_id is not None and item_id != path_id:
            return problem("id", "invalid", "The id in the body differs from the one in the path.")
    if kind in ("create", "replace") and not isinstance(item.src, str):
        return problem("src", "missing", "A new or replaced image needs its src.")
    checked = CheckedItem(index, item_id)
    for name, column in COLUMNS.items():
        value = getattr(item, name)
        if value is UNSET:
            if kind == "replace":
                checked.columns[column] = [] if column in LIST_COLUMNS else None
            continue
        if name == "date" and value is not None:
            try:
                value = normalise_date(value)
            except ValueError as error:
                return problem("date", "invalid", str(error).capitalize() + ".")
        if column in LIST_COLUMNS and value is None:
            value = []
        checked.columns[column] = value
    checked.src = checked.columns.pop("src", None)
    if not isinstance(item.keywords, msgspec.UnsetType):
        checked.keywords = item.keywords or []
    elif kind == "replace":
        checked.keywords = []
    return checked


def check_items(
    raws: list[Any], kind: WriteKind, path_id: str | None = None
) -> tuple[list[CheckedItem], list[ItemProblem]]:
    """Every item checked; ids must be unique within the request."""
    good: list[CheckedItem] = []
    bad: list[ItemProblem] = []
    seen: set[str] = set()
    for index, raw in enumerate(raws):
        check = _check_delete_item(raw, index) if kind == "delete" else None
        result = check or check_item(raw, index, kind, path_id)
        if isinstance(result, ItemProblem):
            bad.append(result)
        elif result.id in seen:
            bad.append(
                ItemProblem(index, result.id, "id", "duplicate_id", "This id is already in the request.")
            )
        else:
            seen.add(result.id)
            good.append(result)
    return good, bad


def _check_delete_item(raw: Any, index: int) -> CheckedItem | ItemProblem:
    value = raw.get("id") if isinstance(raw, dict) and set(raw) == {"id"} else raw
    if isinstance(raw, dict) and set(raw) != {"id"}:
        return ItemProblem(index, None, "id", "invalid", 'A delete item is an id or {"id": …}.')
    try:
        return CheckedItem(index, check_id(value))
    except ValueError as error:
        return ItemProblem(index, None, "id", "invalid", str(error).capitalize() + ".")
