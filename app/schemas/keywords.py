"""Keywords as written by clients: `sunset`, or namespaced `artist:Marina`."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

import msgspec

from app.errors import ValidationFailed
from app.schemas.base import Limit, Offset, Schema
from app.storage.images_store import Keyword

MAX_KEYWORD_LENGTH = 191
_SPACES = re.compile(r"\s+")

KeywordText = Annotated[str, msgspec.Meta(min_length=1, max_length=2 * MAX_KEYWORD_LENGTH)]
ImageUuids = Annotated[list[str], msgspec.Meta(max_length=10_000)]


def _clean(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def parse_keyword(text: str, field: str, namespace: str | None = None) -> Keyword:
    """`axis:value` is namespace `axis`; `a:b:c` is namespace `a`, value `b:c`. Namespaces are
    lowercase; values keep their case; whitespace is collapsed."""
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise ValidationFailed("A keyword may not hold control characters.", field=field)
    text = _clean(text)
    if namespace is None:
        head, colon, tail = text.partition(":")
        if colon and head.strip() and tail.strip():
            namespace, text = head, tail
    namespace = _clean(namespace).lower() if namespace else None
    value = _clean(text)
    if not value or (namespace is not None and not namespace):
        raise ValidationFailed("A keyword may not be empty.", field=field)
    if len(value) > MAX_KEYWORD_LENGTH or len(namespace or "") > MAX_KEYWORD_LENGTH:
        raise ValidationFailed(f"A keyword is at most {MAX_KEYWORD_LENGTH} characters.", field=field)
    return Keyword(namespace, value)


class KeywordsAdd(Schema):
    keywords: Annotated[list[KeywordText], msgspec.Meta(min_length=1, max_length=200)]

    def parsed(self) -> list[Keyword]:
        return [parse_keyword(text, f"keywords[{n}]") for n, text in enumerate(self.keywords)]


class KeywordRemove(Schema):
    keyword: KeywordText
    namespace: KeywordText | None = None

    def parsed(self) -> Keyword:
        return parse_keyword(self.keyword, "keyword", self.namespace)


class KeywordRename(Schema):
    from_: KeywordText = msgspec.field(name="from")
    to: KeywordText
    image_public_uuids: ImageUuids | None = None

    def parsed(self) -> tuple[Keyword, Keyword]:
        return parse_keyword(self.from_, "from"), parse_keyword(self.to, "to")


class KeywordListQuery(Schema):
    limit: Limit = 50
    offset: Offset = 0
    namespace: str | None = None
    prefix: str | None = None


class NamespaceListQuery(Schema):
    limit: Limit = 50
    offset: Offset = 0
