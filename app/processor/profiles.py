"""Version profiles (`DARKROOM_VERSIONS`: `name:long_edge:format,…`) and crop boxes."""

from __future__ import annotations

import re
from math import gcd
from typing import Literal

import msgspec

OutputFormat = Literal["jpeg", "webp"]

DEFAULT_VERSIONS = "thumb:256:jpeg,small:640:jpeg,medium:1280:jpeg,large:2048:jpeg"
MAX_LONG_EDGE = 16_384  # the largest side WebP can encode, and far beyond any sensible version

_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_FORMATS: dict[str, OutputFormat] = {"jpeg": "jpeg", "jpg": "jpeg", "webp": "webp"}
# Common aspect ratios a crop is named after when it is within 1 % of one.
_ASPECTS = [(1, 1), (4, 3), (3, 2), (16, 9), (5, 4), (21, 9), (2, 1), (3, 1)]


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    # Long edge in pixels; a smaller original is never upscaled.
    size: int
    # Images with transparency are WebP whatever the profile says.
    format: OutputFormat


def parse_profiles(raw: str) -> tuple[Profile, ...]:
    """Parse `thumb:256:jpeg,small:640:webp`; a ValueError names the entry that is wrong."""
    profiles: list[Profile] = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        parts = entry.split(":")
        if len(parts) != 3:
            raise ValueError(
                f"DARKROOM_VERSIONS: {entry!r} must be name:long_edge:format, like thumb:256:jpeg"
            )
        name, size_text, format_text = (part.strip() for part in parts)
        if not _NAME.fullmatch(name):
            raise ValueError(
                f"DARKROOM_VERSIONS: {name!r} must be a lowercase name (letters, digits, _; 32 at most)"
            )
        if name.startswith("crop"):
            raise ValueError(f"DARKROOM_VERSIONS: {name!r}: names starting with 'crop' are for crops")
        if not size_text.isdigit() or not 1 <= int(size_text) <= MAX_LONG_EDGE:
            raise ValueError(
                f"DARKROOM_VERSIONS: {entry!r}: the long edge must be a number from 1 to {MAX_LONG_EDGE}"
            )
        if format_text.lower() not in _FORMATS:
            raise ValueError(f"DARKROOM_VERSIONS: {entry!r}: the format must be jpeg or webp")
        if any(profile.name == name for profile in profiles):
            raise ValueError(f"DARKROOM_VERSIONS: {name!r} is listed twice")
        profiles.append(Profile(name=name, size=int(size_text), format=_FORMATS[format_text.lower()]))
    if not profiles:
        raise ValueError("DARKROOM_VERSIONS: at least one version is needed, like thumb:256:jpeg")
    return tuple(profiles)


DEFAULT_PROFILES = parse_profiles(DEFAULT_VERSIONS)


class CropBox(msgspec.Struct, frozen=True, kw_only=True):
    """A region of the upright image, in pixels of the original, and the long edge to render it at."""

    x: int
    y: int
    width: int
    height: int
    size: int = 1280

    def check(self, upright_width: int, upright_height: int) -> None:
        """ValueError when the box is empty or leaves the image: the caller's input is wrong."""
        if self.width < 1 or self.height < 1 or self.size < 1:
            raise ValueError("a crop needs a positive width, height and size")
        if self.x < 0 or self.y < 0:
            raise ValueError("a crop cannot start left of or above the image")
        if self.x + self.width > upright_width or self.y + self.height > upright_height:
            raise ValueError(f"the crop leaves the {upright_width}×{upright_height} image")

    @property
    def name(self) -> str:
        """`crop_16x9`: the reduced aspect ratio, snapped to a common one within 1 %."""
        ratio = self.width / self.height
        for long, short in _ASPECTS:
            for wide, high in ((long, short), (short, long)):
                if abs(ratio / (wide / high) - 1) <= 0.01:
                    return f"crop_{wide}x{high}"
        divisor = gcd(self.width, self.height)
        return f"crop_{self.width // divisor}x{self.height // divisor}"
