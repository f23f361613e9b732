"""Entry names: safe to extract anywhere, unique within an archive; what is stored or deflated."""

from __future__ import annotations

import pytest

from app.archives.entries import MAX_NAME_LENGTH, UniqueNames, compressed, safe_name, wanted_name

FALLBACK = "a1b2.jpg"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("flower.jpg", "flower.jpg", id="plain"),
        pytest.param("Café – 東京.jpg", "Café – 東京.jpg", id="unicode-kept"),
        pytest.param("Cafe\u0301.jpg", "Café.jpg", id="nfc"),
        pytest.param("../../etc/passwd", "_._etc_passwd", id="parent-traversal"),
        pytest.param("/abs/path.png", "_abs_path.png", id="absolute"),
        pytest.param("C:\\Users\\me\\a.jpg", "C__Users_me_a.jpg", id="windows-path"),
        pytest.param("a\x00b\x1fc\x7f.jpg", "a_b_c_.jpg", id="control-characters"),
        pytest.param("photo\u202egpj.exe", "photo_gpj.exe", id="right-to-left-override"),
        pytest.param('what?*"<>|.jpg', "what______.jpg", id="windows-reserved"),
        pytest.param("my..photo...jpg", "my.photo.jpg", id="dot-runs"),
        pytest.param(".hidden.jpg", "hidden.jpg", id="leading-dot"),
        pytest.param("trailing. . ", "trailing", id="trailing-dots-and-spaces"),
        pytest.param("..", FALLBACK, id="only-dots"),
        pytest.param("", FALLBACK, id="empty"),
        pytest.param("\x01\x02", "__", id="only-controls"),
    ],
)
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name, FALLBACK) == expected


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    name = safe_name("x" * 300 + ".jpeg", FALLBACK)
    assert len(name) == MAX_NAME_LENGTH
    assert name.endswith("x.jpeg")


def test_unique_names_number_duplicates_ignoring_case() -> None:
    names = UniqueNames()
    claimed = [names.claim(name) for name in ["a.jpg", "a.jpg", "A.JPG", "a (2).jpg", "b", "b"]]
    assert claimed == ["a.jpg", "a (2).jpg", "A (3).JPG", "a (2) (2).jpg", "b", "b (2)"]


@pytest.mark.parametrize(
    ("filename", "format", "version", "expected"),
    [
        pytest.param("flower.jpg", "jpeg", None, "flower.jpg", id="original"),
        pytest.param("scan.TIFF", "tiff", None, "scan.TIFF", id="original-keeps-its-name"),
        pytest.param(None, "jpeg", None, "u-1.jpg", id="original-without-filename"),
        pytest.param(None, "png", None, "u-1.png", id="png-without-filename"),
        pytest.param("flower.png", "jpeg", "thumb", "flower_thumb.jpg", id="version"),
        pytest.param(None, "webp", "crop_16x9", "u-1_crop_16x9.webp", id="crop-without-filename"),
    ],
)
def test_wanted_name(filename: str | None, format: str, version: str | None, expected: str) -> None:
    assert wanted_name("u-1", filename, format, version) == expected


@pytest.mark.parametrize(
    ("format", "deflated"),
    [
        *(pytest.param(name, False, id=name) for name in ["jpeg", "png", "gif", "webp", "avif", "heif"]),
        *(pytest.param(name, True, id=name) for name in ["tiff", "bmp"]),
        pytest.param(None, True, id="unknown"),
    ],
)
def test_already_compressed_formats_are_stored(format: str | None, deflated: bool) -> None:
    assert compressed(format) is deflated
