"""Render the versions of an image: upright, sRGB, resized from large to small, encoded, stored.

Speed comes from never touching more pixels than the largest output needs: a JPEG is decoded at
the DCT scale that still covers it (`decode.load`), the "master" is resized to it before anything
else runs on it, and each smaller version is resized from the previous one (`reducing_gap` makes
Pillow `reduce()` by an integer factor first, then finish with LANCZOS).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import msgspec
from PIL import Image

from app.processor.colour_management import to_srgb, working_mode
from app.processor.profiles import CropBox, OutputFormat, Profile
from app.processor.store import MediaStore

JPEG_QUALITY = 85
WEBP_QUALITY = 85
PROGRESSIVE_FROM = 1280  # long edge from which a JPEG is progressive
_REDUCING_GAP = 3.0
_ARTIST, _COPYRIGHT = 0x013B, 0x8298

# EXIF orientation → the transposes that make the image upright (as ImageOps.exif_transpose).
_ORIENT: dict[int, tuple[Image.Transpose, ...]] = {
    1: (),
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}
# The image's `rotation`, clockwise; Pillow's ROTATE_* turn counter-clockwise.
_ROTATE: dict[int, tuple[Image.Transpose, ...]] = {
    0: (),
    90: (Image.Transpose.ROTATE_270,),
    180: (Image.Transpose.ROTATE_180,),
    270: (Image.Transpose.ROTATE_90,),
}


class Version(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    width: int
    height: int
    format: OutputFormat
    bytes: int
    sha256: str


def check_rotation(rotation: int) -> None:
    if rotation not in _ROTATE:
        raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation}")


def swaps_sides(orientation: int, rotation: int) -> bool:
    return (orientation >= 5) != (rotation in (90, 270))


def upright_size(width: int, height: int, orientation: int, rotation: int) -> tuple[int, int]:
    return (height, width) if swaps_sides(orientation, rotation) else (width, height)


def fit(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """The size with `long_edge` as its longer side, never larger than the image itself."""
    longest = max(width, height)
    if long_edge >= longest:
        return width, height
    scale = long_edge / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def master_long_edge(
    size: tuple[int, int], profiles: Sequence[Profile], crops: Sequence[CropBox] = ()
) -> int:
    """The long edge the decoded image must keep so that every version and crop is sharp."""
    longest = max(size)
    needed = max(min(profile.size, longest) for profile in profiles)
    for crop in crops:
        # The crop's own long edge, at most its render size, scaled back to the whole image.
        scale = min(1.0, crop.size / max(crop.width, crop.height))
        needed = max(needed, min(longest, round(longest * scale + 0.5)))
    return needed


def make_master(
    image: Image.Image, orientation: int, rotation: int, size: tuple[int, int], icc: bytes | None
) -> Image.Image:
    """The image upright, in 8-bit sRGB, at `size` (upright, as `fit` computed it from the original)."""
    check_rotation(rotation)
    image = working_mode(image)
    target = (size[1], size[0]) if swaps_sides(orientation, rotation) else size
    if target != image.size:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)
    for transpose in _ORIENT.get(orientation, ()) + _ROTATE[rotation]:
        image = image.transpose(transpose)
    master = to_srgb(image, icc)
    # Resized copies inherit `info`, and Pillow would save some of it again (a JPEG's comment).
    master.info = {}
    return master


def kept_exif(exif: Image.Exif) -> bytes:
    """Only who made the image and who owns it survive into versions."""
    kept = Image.Exif()
    for tag in (_ARTIST, _COPYRIGHT):
        value = exif.get(tag)
        if isinstance(value, str) and value.strip("\x00 "):
            kept[tag] = value.strip("\x00 ")
    return kept.tobytes() if len(kept) else b""


def output_format(image: Image.Image, wanted: OutputFormat) -> OutputFormat:
    """The profile's format, but WebP whenever the image has transparency (JPEG has none)."""
    return "webp" if image.mode in ("RGBA", "LA") else wanted


def encode(image: Image.Image, wanted: OutputFormat, exif: bytes = b"") -> tuple[bytes, OutputFormat]:
    buffer = io.BytesIO()
    if output_format(image, wanted) == "webp":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if image.mode == "LA" else "RGB")
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4, exif=exif)
        return buffer.getvalue(), "webp"
    progressive = max(image.size) >= PROGRESSIVE_FROM
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, progressive=progressive, exif=exif)
    return buffer.getvalue(), "jpeg"


def _store(store: MediaStore, name: str, image: Image.Image, wanted: OutputFormat, exif: bytes) -> Version:
    data, output_format = encode(image, wanted, exif)
    stored = store.put_bytes(data, output_format)
    return Version(
        name=name,
        width=image.width,
        height=image.height,
        format=output_format,
        bytes=stored.bytes,
        sha256=stored.sha256,
    )


def render_versions(
    master: Image.Image,
    upright: tuple[int, int],
    profiles: Sequence[Profile],
    store: MediaStore,
    exif: bytes = b"",
) -> tuple[list[Version], Image.Image]:
    """Every profile's version, in profile order, and the smallest image made (for hashing)."""
    rendered: dict[str, Version] = {}
    source = master
    previous: Version | None = None
    for profile in sorted(profiles, key=lambda profile: profile.size, reverse=True):
        target = fit(*upright, profile.size)
        if target != source.size:
            source = source.resize(target, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)
        elif previous is not None and previous.format == output_format(source, profile.format):
            # A small original caps several versions at its own size: encode it once.
            rendered[profile.name] = previous = msgspec.structs.replace(previous, name=profile.name)
            continue
        rendered[profile.name] = previous = _store(store, profile.name, source, profile.format, exif)
    return [rendered[profile.name] for profile in profiles], source


def render_crop(
    master: Image.Image, upright: tuple[int, int], crop: CropBox, store: MediaStore, exif: bytes = b""
) -> Version:
    """A crop of the upright original, at most `crop.size` on its long edge."""
    crop.check(*upright)
    scale = master.width / upright[0]
    # A fractional box: resampling reads exactly the region asked for, even on a smaller master.
    box = (crop.x * scale, crop.y * scale, (crop.x + crop.width) * scale, (crop.y + crop.height) * scale)
    target = fit(crop.width, crop.height, crop.size)
    region = master.resize(target, Image.Resampling.LANCZOS, box=box, reducing_gap=_REDUCING_GAP)
    return _store(store, crop.name, region, "jpeg", exif)
