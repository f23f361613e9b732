"""Bodies of uploads: the ticket request, and the upload from a URL."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from app.schemas.base import Schema, Title
from app.schemas.images import normalise_creation_date
from app.schemas.keywords import KeywordText, parse_keyword

Filename = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Src = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class UploadFields(Schema):
    """What an upload may say about the image to be; checked before any file is taken."""

    title: Title | None = None
    description: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None
    keywords: Annotated[list[KeywordText], msgspec.Meta(max_length=200)] = msgspec.field(default_factory=list)
    creation_date: str | None = None
    set_public_uuid: str | None = None
    read_metadata: bool = False

    def image_fields(self) -> dict[str, Any]:
        """The fields as the `upload` operation takes them (keywords parsed, date normalised)."""
        return {
            "title": self.title,
            "description": self.description,
            "creation_date": (normalise_creation_date(self.creation_date) if self.creation_date else None),
            "keywords": [
                msgspec.to_builtins(parse_keyword(text, f"keywords[{n}]"))
                for n, text in enumerate(self.keywords)
            ],
        }


class UploadTicketRequest(UploadFields, kw_only=True):
    filename: Filename


class UploadFromUrl(UploadFields, kw_only=True):
    src: Src
    filename: Filename | None = None


class UploadTicket(Schema):
    upload_url: str
    file_field: str
    fields: dict[str, str]
    transaction_uuid: str
    expires_at: str
