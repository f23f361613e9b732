"""Query parameters of the search API: of every write, and of the operations list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, TypeVar

import msgspec

from app.errors import Unprocessable
from app.schemas.base import Page, field_from_error
from app.search.colour_tags import Language

T = TypeVar("T")


class WriteOptions(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    wait: bool = True
    strict: bool = True
    subset: bool = False
    urgent: bool = False
    lang: Language = "en"


class OpsQuery(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    page: Page = 1
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 50
    finished: bool | None = None
    success: bool | None = None
    method: Literal["add", "upd", "del", "multiple"] | None = None


def search_query(params: Mapping[str, str], type: type[T]) -> T:
    """Query parameters into `type`; on the search API a bad one is `422`, naming it."""
    try:
        return msgspec.convert(dict(params), type=type, strict=False)
    except msgspec.ValidationError as error:
        message, field = field_from_error(error)
        raise Unprocessable(
            message,
            field=field,
            items=[{"index": None, "id": None, "field": field, "code": "invalid", "message": message}],
        ) from None


def reject_unknown(params: Mapping[str, str], allowed: set[str]) -> None:
    """On the search API an unknown query parameter is `422`, naming it."""
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise Unprocessable(
            f"Unknown query parameters: {', '.join(unknown)}.",
            field=unknown[0],
            items=[
                {"index": None, "id": None, "field": name, "code": "invalid", "message": "Unknown parameter."}
                for name in unknown
            ],
        )


class SearchQuery(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`GET /imgs`; `fields` and `facets` repeat, so they are read apart (getlist)."""

    q: str = ""
    page: Page = 1
    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 50
    sort_by: str | None = None
    order: Literal["asc", "desc"] | None = None
    facet_limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 100
    count: bool = True
