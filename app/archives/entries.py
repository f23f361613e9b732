"""What an archive holds for an image: an entry name that is safe to extract anywhere and unique
within the archive, and whether the bytes are worth compressing."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

# Formats that are compressed already: deflating them costs CPU and saves next to nothing.
STORED_FORMATS = frozenset({"jpeg", "png", "gif", "webp", "avif", "heif"})
MAX_NAME_LENGTH = 200  # characters; common file systems allow 255 bytes per name
_UNPORTABLE = re.compile(r'[/\\:*?"<>|]')  # separators, and what Windows refuses in a name
_DOTS = re.compile(r"\.{2,}")


def compressed(format: str | None) -> bool:
    """Whether an entry of this format is deflated (TIFF, BMP, anything unknown) or stored."""
    return format not in STORED_FORMATS


def extension(format: str) -> str:
    return "jpg" if format == "jpeg" else format


def wanted_name(public_uuid: str, filename: str | None, format: str, version: str | None) -> str:
    """The image's own filename (or `<uuid>.<ext>`); a version is `<stem>_<version>.<ext>`, as a
    download of it is named."""
    if version is None:
        return filename or f"{public_uuid}.{extension(format)}"
    stem = PurePosixPath(filename or public_uuid).stem or public_uuid
    return f"{stem}_{version}.{extension(format)}"


def safe_name(name: str, fallback: str) -> str:
    """`name` without what could escape the folder it is extracted to or trip a file system:
    separators, `..`, control and format characters (a right-to-left override could disguise
    an extension), leading dots (hidden files), trailing dots and spaces (Windows drops them).
    `fallback` (already safe) when nothing is left."""
    text = unicodedata.normalize("NFC", name)
    text = "".join("_" if unicodedata.category(char).startswith("C") else char for char in text)
    text = _DOTS.sub(".", _UNPORTABLE.sub("_", text))
    text = text.lstrip(". ").rstrip(". ")
    if len(text) > MAX_NAME_LENGTH:
        suffix = PurePosixPath(text).suffix[:16]
        text = text[: MAX_NAME_LENGTH - len(suffix)].rstrip(". ") + suffix
    return text or fallback


class UniqueNames:
    """Hands out each name once, `photo (2).jpg` for the second `photo.jpg`. Names differing only
    in case count as the same: they would overwrite each other on macOS and Windows."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        # The last number given for each name, so that the thousandth `photo.jpg` does not
        # try the 999 before it.
        self._numbers: dict[str, int] = {}

    def claim(self, name: str) -> str:
        key, candidate = name.casefold(), name
        if key in self._taken:
            path, number = PurePosixPath(name), self._numbers.get(key, 1)
            while candidate.casefold() in self._taken:
                number += 1
                candidate = f"{path.stem} ({number}){path.suffix}"
            self._numbers[key] = number
        self._taken.add(candidate.casefold())
        return candidate
