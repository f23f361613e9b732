"""Turn any decoded mode into 8-bit L, LA, RGB or RGBA, and colour-manage it to sRGB.

`working_mode` runs before resizing (palette and 1-bit images cannot be resampled, 16-bit ones
must be scaled, not clipped); `to_srgb` runs after it, on the smaller image, because a colour
transform costs per pixel.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageCms

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N"}
_PREMULTIPLIED = {"RGBa": "RGBA", "La": "LA"}
# Colour spaces an ICC profile can map to sRGB from, by the image mode it applies to.
_ICC_SPACES = {"RGB": "RGB ", "L": "GRAY", "CMYK": "CMYK"}


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit grey scaled down to 8 bits (Pillow's own conversion clips at 255)."""
    wide = image.convert("I") if image.mode in _SIXTEEN_BIT else image
    if image.mode == "F":
        low, high = wide.getextrema()
        # Float images hold 0–1 by convention; anything else is taken as 0–255 already.
        scale = (
            255.0 if isinstance(low, float) and isinstance(high, float) and low >= 0 and high <= 1.0 else 1.0
        )
        return wide.point(lambda value: value * scale).convert("L")
    _low, high = wide.getextrema()
    if image.mode in _SIXTEEN_BIT or (isinstance(high, int) and high > 255):
        wide = wide.point(lambda value: value * (1 / 256))
    return wide.convert("L")


def working_mode(image: Image.Image) -> Image.Image:
    """L, LA, RGB, RGBA or CMYK (kept for its ICC profile): the modes that resample well."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        if "transparency" in image.info and mode in ("L", "RGB"):
            return image.convert(mode + "A")
        return image
    if mode in _PREMULTIPLIED:
        return image.convert(_PREMULTIPLIED[mode])
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        return image.convert("RGBA" if _has_transparency(image) else "RGB")
    if mode in _SIXTEEN_BIT or mode in ("I", "F"):
        return _eight_bit(image)
    return image.convert("RGB")  # YCbCr, LAB, HSV, RGBX…


@lru_cache(maxsize=16)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A transform to sRGB, cached: photos from one camera share one profile."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if source.profile.xcolor_space != _ICC_SPACES[mode]:
            return None  # a profile for another colour space than the pixels: ignore it
        # An sRGB profile maps sRGB to itself; skipping it saves a per-pixel pass on most photos.
        if mode == "RGB" and ImageCms.getProfileDescription(source).strip().startswith("sRGB"):
            return None
        return ImageCms.buildTransform(source, _SRGB, mode, "RGB", ImageCms.Intent.PERCEPTUAL)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile: the pixels are still worth showing, as if sRGB


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """8-bit sRGB: RGB or RGBA, or L/LA for grey images without a colour profile."""
    alpha = image.getchannel("A") if image.mode in ("LA", "RGBA") else None
    colour = image.convert(image.mode[:-1]) if alpha is not None else image
    transform = _transform(icc, colour.mode) if icc else None
    if transform is not None:
        colour = ImageCms.applyTransform(colour, transform) or colour
    elif colour.mode == "CMYK":
        colour = colour.convert("RGB")
    if alpha is None:
        return colour
    if alpha.getextrema()[0] == 255:
        return colour  # an alpha channel that hides nothing: an opaque image (JPEG, not WebP)
    colour.putalpha(alpha)
    return colour
