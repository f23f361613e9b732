"""The image formats we accept, recognised from a file's first bytes (never from a URL or Content-Type)."""

from __future__ import annotations

from typing import Literal

from PIL import Image

ImageFormat = Literal["jpeg", "png", "gif", "webp", "tiff", "bmp", "avif", "heif"]

# How many leading bytes `sniff_format` needs to see.
SNIFF_BYTES = 64

# Our name → Pillow's plugin name. Formats outside this table (ICO, PSD, JPEG 2000, SGI, TGA…)
# are `unsupported_format` even though Pillow could open some of them: the contract lists
# what comes in, and every extra plugin is extra attack surface.
PILLOW_FORMATS: dict[ImageFormat, str] = {
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WEBP",
    "tiff": "TIFF",
    "bmp": "BMP",
    "avif": "AVIF",
    "heif": "HEIF",
}

_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}


def _iso_media_format(head: bytes) -> ImageFormat | None:
    """AVIF and HEIF share the ISO media `ftyp` box; its brands tell them apart."""
    if head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[0:4], "big")
    end = min(max(box_size, 16), len(head))
    brands = {head[8:12]} | {head[offset : offset + 4] for offset in range(16, end - 3, 4)}
    if brands & _AVIF_BRANDS:
        return "avif"
    if brands & _HEIF_BRANDS:
        return "heif"
    return None


def sniff_format(head: bytes) -> ImageFormat | None:
    """The format the first bytes of a file announce, or None when it is none we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:2] == b"BM":
        return "bmp"
    return _iso_media_format(head)


def pillow_formats() -> tuple[str, ...]:
    """Pillow plugins allowed to open a file: ours, less HEIF when no HEIF plugin is installed."""
    Image.init()  # plugins register lazily; a HEIF plugin only shows up once they have
    return tuple(name for name in PILLOW_FORMATS.values() if name in Image.OPEN)
