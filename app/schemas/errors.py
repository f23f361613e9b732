"""The error envelope every error status answers with, in both dialects."""

from __future__ import annotations

from typing import Any

import msgspec

from app.schemas.base import Schema


class ErrorItem(Schema):
    """One bad item of a search-API request (`/imgs`)."""

    index: int | None
    id: str | None
    field: str | None
    code: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    detail: Any
    field: str | None
    request_id: str
    # Search API only: every bad item of a `422`, and where a query formula goes wrong.
    items: list[ErrorItem] | msgspec.UnsetType = msgspec.UNSET
    position: int | msgspec.UnsetType = msgspec.UNSET


class ErrorEnvelope(Schema):
    error: ErrorOut
