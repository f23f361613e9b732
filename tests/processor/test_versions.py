"""Versions: upright, sRGB, never upscaled, JPEG or WebP as the pixels need, metadata stripped."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from app.processor.pipeline import ProcessedImage, process_file
from app.processor.profiles import CropBox, parse_profiles
from app.processor.store import MediaStore
from app.processor.versions import Version
from tests.processor.images import (
    SRGB_BLUE,
    SRGB_GREEN,
    SRGB_RED,
    camera_exif,
    icc_profile,
    loaded,
    mean_difference,
    save_jpeg,
)

THUMB = parse_profiles("thumb:256:jpeg")


def opened(root: Path, version: Version) -> Image.Image:
    return loaded(MediaStore(root).path_for(version.sha256, version.format))


def named(result: ProcessedImage, name: str) -> Version:
    return next(version for version in result.versions if version.name == name)


@pytest.mark.parametrize("shape", ["Landscape", "Portrait"])
def test_every_exif_orientation_comes_out_upright(corpus: Path, tmp_path: Path, shape: str) -> None:
    reference = process_file(corpus / "exif-orientation" / f"{shape}_1.jpg", 0, THUMB, tmp_path)
    expected = opened(tmp_path, reference.versions[0])
    upright = (1800, 1200) if shape == "Landscape" else (1200, 1800)
    assert (reference.width, reference.height) == upright
    for orientation in range(2, 9):
        result = process_file(corpus / "exif-orientation" / f"{shape}_{orientation}.jpg", 0, THUMB, tmp_path)
        thumb = opened(tmp_path, result.versions[0])
        assert (result.width, result.height) == upright, orientation
        assert thumb.size == expected.size, orientation
        assert mean_difference(thumb, expected) < 6, orientation


def test_rotation_turns_clockwise_after_the_exif_orientation(corpus: Path, tmp_path: Path) -> None:
    plain = process_file(corpus / "exif-orientation" / "Landscape_1.jpg", 0, THUMB, tmp_path)
    turned = process_file(corpus / "exif-orientation" / "Landscape_6.jpg", 90, THUMB, tmp_path)

    assert (turned.width, turned.height) == (1200, 1800)
    clockwise = opened(tmp_path, plain.versions[0]).transpose(Image.Transpose.ROTATE_270)
    assert mean_difference(opened(tmp_path, turned.versions[0]), clockwise) < 6
    with pytest.raises(ValueError, match="rotation"):
        process_file(corpus / "exif-orientation" / "Landscape_1.jpg", 45, THUMB, tmp_path)


def test_versions_are_never_upscaled(corpus: Path, tmp_path: Path) -> None:
    result = process_file(corpus / "pillow" / "valid" / "flower.jpg", media_root=tmp_path)  # 480×360

    sizes = {version.name: (version.width, version.height) for version in result.versions}
    assert sizes == {"thumb": (256, 192), "small": (480, 360), "medium": (480, 360), "large": (480, 360)}
    # The capped versions are the same bytes, stored once.
    assert len({version.sha256 for version in result.versions}) == 2
    for version in result.versions:
        assert opened(tmp_path, version).size == (version.width, version.height)


def test_jpeg_is_progressive_from_1280_pixels(corpus: Path, tmp_path: Path) -> None:
    result = process_file(corpus / "exif-orientation" / "Landscape_1.jpg", media_root=tmp_path)

    progressive = {
        version.name: bool(opened(tmp_path, version).info.get("progressive")) for version in result.versions
    }
    assert progressive == {"thumb": False, "small": False, "medium": True, "large": True}
    assert [(v.width, v.height) for v in result.versions] == [
        (256, 171),
        (640, 427),
        (1280, 853),
        (1800, 1200),
    ]
    assert all(v.format == "jpeg" for v in result.versions)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("pillow/valid/transparent.png", "webp"),
        ("pillow/valid/transparent.webp", "webp"),
        ("pngsuite/tbbn3p08.png", "webp"),  # a palette with a transparent entry
        ("pngsuite/basn6a08.png", "webp"),
        ("pngsuite/basn3p08.png", "jpeg"),
        ("pngsuite/basn0g16.png", "jpeg"),
    ],
)
def test_transparency_makes_webp_whatever_the_profile(
    corpus: Path, tmp_path: Path, path: str, expected: str
) -> None:
    result = process_file(corpus / path, media_root=tmp_path)
    assert {version.format for version in result.versions} == {expected}
    if expected == "webp":
        assert opened(tmp_path, result.versions[0]).mode == "RGBA"


def test_an_alpha_channel_that_hides_nothing_is_opaque(tmp_path: Path) -> None:
    path = tmp_path / "opaque.png"
    Image.new("RGBA", (50, 40), (10, 200, 30, 255)).save(path)
    result = process_file(path, media_root=tmp_path / "media")
    assert {version.format for version in result.versions} == {"jpeg"}


def test_webp_profiles_are_honoured(corpus: Path, tmp_path: Path) -> None:
    profiles = parse_profiles("thumb:256:jpeg,small:640:webp")
    result = process_file(corpus / "pillow" / "valid" / "flower.jpg", 0, profiles, tmp_path)
    assert [(v.name, v.format) for v in result.versions] == [("thumb", "jpeg"), ("small", "webp")]


def test_metadata_is_stripped_but_creator_and_copyright(tmp_path: Path) -> None:
    source = save_jpeg(
        tmp_path / "camera.jpg",
        Image.new("RGB", (300, 200), (120, 80, 40)),
        exif=camera_exif(lat=48.8582, lon=2.2945),
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>",
        comment=b"secret",
    )
    result = process_file(source, 0, THUMB, tmp_path / "media")
    thumb = opened(tmp_path / "media", result.versions[0])

    exif = thumb.getexif()
    assert dict(exif) == {0x013B: "Ada Lovelace", 0x8298: "(c) 2024 Ada Lovelace"}
    assert not exif.get_ifd(0x8825)
    assert "xmp" not in thumb.info and "comment" not in thumb.info and "icc_profile" not in thumb.info


def test_colours_are_converted_with_the_embedded_profile(tmp_path: Path) -> None:
    """A profile whose red primary is sRGB's green: its pure red is green in sRGB."""
    swapped = icc_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE)
    source = tmp_path / "swapped.png"
    Image.new("RGB", (20, 20), (255, 0, 0)).save(source, icc_profile=swapped)

    result = process_file(source, 0, THUMB, tmp_path / "media")

    red, green, blue = opened(tmp_path / "media", result.versions[0]).getpixel((10, 10))  # type: ignore[misc]
    assert green > 200 and red < 60 and blue < 60


@pytest.mark.parametrize("icc", [b"not a profile at all", icc_profile(SRGB_RED, SRGB_GREEN, SRGB_BLUE)[:200]])
def test_a_broken_profile_is_ignored(tmp_path: Path, icc: bytes) -> None:
    source = tmp_path / "broken-profile.png"
    Image.new("RGB", (20, 20), (200, 100, 50)).save(source, icc_profile=icc)
    result = process_file(source, 0, THUMB, tmp_path / "media")
    assert opened(tmp_path / "media", result.versions[0]).getpixel((10, 10)) == (200, 100, 50)


def test_cmyk_becomes_rgb(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "pillow" / "valid" / "pil_sample_cmyk.jpg"
    result = process_file(source, 0, THUMB, tmp_path)
    thumb = opened(tmp_path, result.versions[0])
    assert thumb.mode == "RGB"
    assert mean_difference(thumb, loaded(source).convert("RGB")) < 4


def test_sixteen_bits_are_scaled_not_clipped(corpus: Path, tmp_path: Path) -> None:
    source = loaded(corpus / "pngsuite" / "basn0g16.png")
    assert source.mode == "I;16"
    high_bytes = Image.frombytes("L", source.size, source.tobytes()[1::2])  # little-endian: v >> 8

    wide = process_file(corpus / "pngsuite" / "basn0g16.png", 0, THUMB, tmp_path)

    assert mean_difference(opened(tmp_path, wide.versions[0]), high_bytes) < 2
    dark = process_file(corpus / "pillow" / "valid" / "16bit.cropped.tif", 0, THUMB, tmp_path)
    thumb = opened(tmp_path, dark.versions[0])
    assert thumb.mode == "L"
    assert max(thumb.tobytes()) < 10  # 291–694 of 65535 is nearly black, not clipped to white


def test_a_crop_is_named_after_its_aspect_ratio(corpus: Path, tmp_path: Path) -> None:
    box = CropBox(x=100, y=150, width=1600, height=900, size=800)
    plain = process_file(corpus / "exif-orientation" / "Landscape_1.jpg", 0, THUMB, tmp_path, crops=[box])
    rotated = process_file(corpus / "exif-orientation" / "Landscape_8.jpg", 0, THUMB, tmp_path, crops=[box])

    assert [(c.name, c.width, c.height) for c in plain.crops] == [("crop_16x9", 800, 450)]
    assert mean_difference(opened(tmp_path, plain.crops[0]), opened(tmp_path, rotated.crops[0])) < 6


@pytest.mark.parametrize(
    ("box", "name"),
    [
        (CropBox(x=0, y=0, width=1920, height=1080), "crop_16x9"),
        (CropBox(x=0, y=0, width=1000, height=1001), "crop_1x1"),
        (CropBox(x=0, y=0, width=600, height=900), "crop_2x3"),
        (CropBox(x=0, y=0, width=700, height=300), "crop_21x9"),
        (CropBox(x=0, y=0, width=700, height=250), "crop_14x5"),
    ],
)
def test_crop_names(box: CropBox, name: str) -> None:
    assert box.name == name


@pytest.mark.parametrize(
    "box",
    [
        CropBox(x=-1, y=0, width=10, height=10),
        CropBox(x=1700, y=0, width=200, height=10),
        CropBox(x=0, y=0, width=0, height=5),
    ],
)
def test_a_crop_outside_the_image_is_refused(corpus: Path, tmp_path: Path, box: CropBox) -> None:
    with pytest.raises(ValueError):
        process_file(corpus / "exif-orientation" / "Landscape_1.jpg", 0, THUMB, tmp_path, crops=[box])


PROFILE_ERRORS = {
    "missing part": ("thumb:256", "name:long_edge:format"),
    "bad size": ("thumb:big:jpeg", "long edge"),
    "zero size": ("thumb:0:jpeg", "long edge"),
    "bad format": ("thumb:256:gif", "jpeg or webp"),
    "duplicate": ("a:1:jpeg,a:2:jpeg", "twice"),
    "bad name": ("Thumb!:256:jpeg", "lowercase name"),
    "crop name": ("crop_x:256:jpeg", "crops"),
    "empty": (" , ", "at least one"),
}


@pytest.mark.parametrize(("raw", "message"), PROFILE_ERRORS.values(), ids=PROFILE_ERRORS.keys())
def test_bad_profiles_are_named(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_profiles(raw)


def test_profiles_parse() -> None:
    profiles = parse_profiles(" thumb:256:jpeg , small:640:WEBP,big:2048:jpg")
    assert [(p.name, p.size, p.format) for p in profiles] == [
        ("thumb", 256, "jpeg"),
        ("small", 640, "webp"),
        ("big", 2048, "jpeg"),
    ]
