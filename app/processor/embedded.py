"""Caption, keywords, creator, title and date embedded as IPTC or XMP (XMP wins where both are set)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from typing import Any

import msgspec
from PIL import Image, IptcImagePlugin

_MAX_XMP = 1024 * 1024
_MAX_TEXT = 2000
_MAX_KEYWORDS = 200

_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_XMP = "{http://ns.adobe.com/xap/1.0/}"
_PHOTOSHOP = "{http://ns.adobe.com/photoshop/1.0/}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# IPTC-IIM record 2 datasets.
_IPTC_TITLE, _IPTC_KEYWORDS, _IPTC_DATE, _IPTC_CREATOR, _IPTC_CAPTION = (
    (2, 5),
    (2, 25),
    (2, 55),
    (2, 80),
    (2, 120),
)
_IPTC_CHARSET = (1, 90)
_UTF8_ESCAPE = b"\x1b%G"
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


class EmbeddedMetadata(msgspec.Struct, frozen=True, kw_only=True):
    caption: str | None = None
    keywords: list[str] = msgspec.field(default_factory=list)
    creator: str | None = None
    title: str | None = None
    # YYYY-MM-DD: the day the picture was taken (or created), as the file says.
    date: str | None = None


def _clean(text: str) -> str | None:
    cleaned = " ".join(text.replace("\x00", " ").split())
    return cleaned[:_MAX_TEXT] or None


def _day(text: str | None) -> str | None:
    match = _DATE.match(text or "")
    if match is None:
        return None
    year, month, day = match.groups()
    return f"{year}-{month}-{day}" if 1 <= int(month) <= 12 and 1 <= int(day) <= 31 else None


def _iptc(image: Image.Image) -> dict[tuple[int, int], list[str]]:
    try:
        raw = IptcImagePlugin.getiptcinfo(image)  # type: ignore[arg-type]
    except Exception:  # a broken IPTC block: as if there were none
        return {}
    if not raw:
        return {}
    charset = "utf-8" if raw.get(_IPTC_CHARSET) == _UTF8_ESCAPE else "latin-1"
    fields: dict[tuple[int, int], list[str]] = {}
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        texts = []
        for item in values:
            if isinstance(item, bytes):
                try:
                    texts.append(item.decode(charset))
                except UnicodeDecodeError:
                    texts.append(item.decode("latin-1"))
        fields[key] = texts
    return fields


def _xmp_bytes(image: Image.Image) -> bytes | None:
    raw: Any = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if raw is None and hasattr(image, "tag_v2"):
        raw = image.tag_v2.get(700)  # TIFF keeps XMP in a tag
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    return raw if isinstance(raw, bytes) and raw.strip() else None


def _xmp(image: Image.Image) -> ElementTree.Element | None:
    raw = _xmp_bytes(image)
    # No DTD ever belongs in XMP; refusing one rules out entity expansion and external entities.
    if raw is None or len(raw) > _MAX_XMP or b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        return None
    try:
        return ElementTree.fromstring(raw.strip(b"\x00 \t\r\n"))
    except ElementTree.ParseError:
        return None


def _xmp_values(root: ElementTree.Element, name: str) -> list[str]:
    """A property's values: its rdf:li items (x-default first) or text, or an attribute."""
    values: list[str] = []
    for element in root.iter(name):
        items = list(element.iter(f"{_RDF}li"))
        if items:
            items.sort(key=lambda item: item.get(_XML_LANG) != "x-default")
            values.extend(item.text or "" for item in items)
        elif element.text:
            values.append(element.text)
    for description in root.iter(f"{_RDF}Description"):
        attribute = description.get(name)
        if attribute:
            values.append(attribute)
    return [text for text in (_clean(value) for value in values) if text]


def read_embedded(image: Image.Image) -> EmbeddedMetadata:
    """IPTC and XMP merged: the first non-empty of XMP then IPTC; keywords from both, deduplicated."""
    iptc = _iptc(image)
    root = _xmp(image)

    def xmp(name: str) -> list[str]:
        return _xmp_values(root, name) if root is not None else []

    def first(*candidates: list[str]) -> str | None:
        for values in candidates:
            for value in values:
                cleaned = _clean(value)
                if cleaned:
                    return cleaned
        return None

    keywords: list[str] = []
    for keyword in xmp(f"{_DC}subject") + iptc.get(_IPTC_KEYWORDS, []):
        cleaned = _clean(keyword)
        if cleaned and cleaned not in keywords and len(keywords) < _MAX_KEYWORDS:
            keywords.append(cleaned)
    date = first(xmp(f"{_PHOTOSHOP}DateCreated"), xmp(f"{_XMP}CreateDate"), iptc.get(_IPTC_DATE, []))
    return EmbeddedMetadata(
        caption=first(xmp(f"{_DC}description"), iptc.get(_IPTC_CAPTION, [])),
        keywords=keywords,
        creator=first(xmp(f"{_DC}creator"), iptc.get(_IPTC_CREATOR, [])),
        title=first(xmp(f"{_DC}title"), iptc.get(_IPTC_TITLE, [])),
        date=_day(date),
    )
