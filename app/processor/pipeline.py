"""One file through the processor, in a worker: decode, store the original, render versions, derive data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from app.processor import decode
from app.processor.dominant_colours import ColourShare, dominant_colours
from app.processor.embedded import EmbeddedMetadata, read_embedded
from app.processor.exif import ExifData, read_exif
from app.processor.formats import ImageFormat
from app.processor.phash import phash
from app.processor.profiles import DEFAULT_PROFILES, CropBox, Profile
from app.processor.store import MediaStore
from app.processor.versions import (
    Version,
    check_rotation,
    fit,
    kept_exif,
    make_master,
    master_long_edge,
    render_crop,
    render_versions,
    upright_size,
)


class ProcessedImage(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the processor learnt about one file; the original and versions are stored."""

    sha256: str
    bytes: int
    format: ImageFormat
    # Upright: after EXIF orientation and `rotation`.
    width: int
    height: int
    versions: list[Version]
    crops: list[Version]
    exif: ExifData
    embedded: EmbeddedMetadata
    # Signed 64-bit DCT pHash (see phash.py).
    phash: int
    colours: list[ColourShare]
    # No face detector is installed.
    n_faces: int | None = None


def process_file(
    path: Path,
    rotation: int = 0,
    profiles: Sequence[Profile] = DEFAULT_PROFILES,
    media_root: Path = Path("data/media"),
    *,
    crops: Sequence[CropBox] = (),
    max_pixels: int = decode.DEFAULT_MAX_PIXELS,
) -> ProcessedImage:
    """Process the file at `path` (left in place) into `media_root`; raise ItemFailure for a bad file.

    A crop box outside the upright image raises ValueError: that is the caller's input, not the file.
    """
    check_rotation(rotation)
    store = MediaStore(media_root)
    with decode.quiet_plugins(), decode.open_image(path, max_pixels=max_pixels) as decoded:
        stored = (decoded.width, decoded.height)
        # The long edge does not depend on the orientation, which is only known after loading.
        long_edge = master_long_edge(stored, profiles, crops)
        decode.load(decoded, at_least=fit(*stored, long_edge))
        image = decoded.image
        orientation = decode.orientation_of(image)
        upright = upright_size(*stored, orientation, rotation)
        for crop in crops:
            crop.check(*upright)
        exif = read_exif(image)
        embedded = read_embedded(image)
        keep = kept_exif(image.getexif())
        icc = image.info.get("icc_profile")
        master = make_master(
            image, orientation, rotation, fit(*upright, long_edge), icc if isinstance(icc, bytes) else None
        )
    original = store.put_file(path)
    versions, smallest = render_versions(master, upright, profiles, store, keep)
    return ProcessedImage(
        sha256=original.sha256,
        bytes=original.bytes,
        format=decoded.format,
        width=upright[0],
        height=upright[1],
        versions=versions,
        crops=[render_crop(master, upright, crop, store, keep) for crop in crops],
        exif=exif,
        embedded=embedded,
        phash=phash(smallest),
        colours=dominant_colours(smallest),
    )
