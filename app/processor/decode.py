"""Open an image a stranger sent, safely: the format from its bytes, the pixel limit from its header.

This runs in a worker process (see `pool.py`): a decoder that crashes or hangs takes only the
worker with it. What comes out is either a loaded image or an `ItemFailure`:

- the first bytes name none of our formats (ICO, PSD, JPEG 2000… included): `unsupported_format`;
- the header announces more than `max_pixels`, or Pillow sees a decompression bomb:
  `image_too_large`, before any pixel is decoded;
- anything the decoder raises on a truncated or corrupt file: `decode_failed`.
  `ImageFile.LOAD_TRUNCATED_IMAGES` stays False, so a truncated file is an error, not grey pixels.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile

from app.processor.errors import ItemFailure
from app.processor.formats import PILLOW_FORMATS, SNIFF_BYTES, ImageFormat, pillow_formats, sniff_format

DEFAULT_MAX_PIXELS = 100_000_000
_ORIENTATION = 0x0112


@dataclass(slots=True)
class Decoded:
    """An opened image (header read, pixels not yet) and what its header says."""

    image: ImageFile.ImageFile
    format: ImageFormat
    # As stored, before EXIF orientation.
    width: int
    height: int


def configure_decoder(max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """Once per worker process: Pillow's own bomb limit (it refuses at twice this) above ours."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    Image.init()


@contextmanager
def quiet_plugins() -> Iterator[None]:
    """Plugin warnings silenced, a decompression bomb warning raised (wrap all reading of a file)."""
    # Plugins warn about the very damage we report ourselves ("Corrupt EXIF data", "Tag data
    # larger than file"); a bomb warning means the image is over Pillow's limit, so it is one.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _too_large(pixels: int, max_pixels: int) -> ItemFailure:
    return ItemFailure(
        "image_too_large", f"the image has {pixels} pixels, more than the {max_pixels} allowed"
    )


def orientation_of(image: Image.Image) -> int:
    """EXIF orientation 1–8 (1 when absent or nonsense). Only after `load`: for some formats
    (PNG) reading EXIF decodes the pixels, and a failure there must not be taken for no EXIF."""
    try:
        value = image.getexif().get(_ORIENTATION, 1)
    except Exception:  # a broken EXIF block is no reason to refuse the pixels
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


@contextmanager
def open_image(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Iterator[Decoded]:
    """The opened image, its pixels not decoded yet; closed on exit."""
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
    image_format = sniff_format(head)
    if image_format is None:
        raise ItemFailure(
            "unsupported_format", "the file is not a JPEG, PNG, GIF, WebP, TIFF, BMP or AVIF image"
        )
    plugin = PILLOW_FORMATS[image_format]
    if plugin not in pillow_formats():
        raise ItemFailure("unsupported_format", f"{image_format.upper()} images are not supported here")
    with quiet_plugins():
        try:
            # Only the plugin the bytes announced may parse the file.
            image = Image.open(path, formats=[plugin])
        except Image.DecompressionBombError as error:
            raise ItemFailure("image_too_large", str(error)) from None
        except Image.DecompressionBombWarning as warning:
            raise ItemFailure("image_too_large", str(warning)) from None
        except Exception as error:  # whatever a hostile header makes a plugin raise
            raise ItemFailure(
                "decode_failed", f"the {image_format.upper()} header is broken: {_told(error, path)}"
            ) from None
    with image:
        width, height = image.size
        if width < 1 or height < 1:
            raise ItemFailure("decode_failed", "the image has no pixels")
        if width * height > max_pixels:
            raise _too_large(width * height, max_pixels)
        yield Decoded(image, image_format, width, height)


def _told(error: Exception, path: Path | str | bytes) -> str:
    """The decoder's message without the file's path, which is ours and not the client's business
    (Pillow names the file it could not identify)."""
    named = os.fsdecode(path)
    return str(error).replace(named, "the file") if named else str(error)


def load(decoded: Decoded, *, at_least: tuple[int, int] | None = None) -> None:
    """Decode the pixels; a JPEG only at the DCT scale that still covers `at_least` (stored size)."""
    image = decoded.image
    with quiet_plugins():
        try:
            if at_least is not None and decoded.format == "jpeg":
                # DCT scaling: libjpeg decodes at 1/2, 1/4 or 1/8 size for a fraction of the work.
                image.draft(image.mode, at_least)
            image.load()
        except Image.DecompressionBombError as error:
            raise ItemFailure("image_too_large", str(error)) from None
        except Image.DecompressionBombWarning as warning:
            raise ItemFailure("image_too_large", str(warning)) from None
        except MemoryError:
            raise ItemFailure("image_too_large", "the image does not fit in memory") from None
        except Exception as error:  # truncated or corrupt data, whatever the decoder raises
            raise ItemFailure(
                "decode_failed",
                f"the {decoded.format.upper()} data is broken: {_told(error, image.filename)}",
            ) from None
