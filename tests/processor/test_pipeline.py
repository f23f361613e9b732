"""A whole file through `process_file`: the original stored as is, versions and derived data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image

from app.processor.errors import ItemFailure
from app.processor.pipeline import process_file
from app.processor.profiles import parse_profiles
from app.processor.store import MediaStore
from tests.processor.images import camera_exif, loaded, mean_difference, save_jpeg


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_a_photo_end_to_end(tmp_path: Path) -> None:
    source = save_jpeg(
        tmp_path / "photo.jpg",
        Image.new("RGB", (3000, 2000), (30, 90, 200)),
        exif=camera_exif(lat=51.5, lon=-0.12),
    )
    root = tmp_path / "media"

    result = process_file(source, media_root=root)

    data = source.read_bytes()
    assert (result.sha256, result.bytes, result.format) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
        "jpeg",
    )
    assert MediaStore(root).path_for(result.sha256).read_bytes() == data
    assert source.exists()
    assert (result.width, result.height) == (3000, 2000)
    assert [(v.name, v.width, v.height, v.format) for v in result.versions] == [
        ("thumb", 256, 171, "jpeg"),
        ("small", 640, 427, "jpeg"),
        ("medium", 1280, 853, "jpeg"),
        ("large", 2048, 1365, "jpeg"),
    ]
    for version in result.versions:
        path = MediaStore(root).path_for(version.sha256, version.format)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == version.sha256
        assert path.stat().st_size == version.bytes
    assert (result.exif.make, result.exif.lat, result.exif.lon) == ("Fujifilm", 51.5, -0.12)
    assert [(c.name, c.share) for c in result.colours] == [("blue", 1.0)]
    assert isinstance(result.phash, int)
    assert result.n_faces is None
    assert result.crops == []


def test_the_same_file_twice_is_stored_once(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "pillow" / "valid" / "flower.jpg"
    first = process_file(source, media_root=tmp_path)
    files = stored_files(tmp_path)
    second = process_file(source, media_root=tmp_path)

    assert first == second
    assert stored_files(tmp_path) == files


@pytest.mark.parametrize("name", ["iss634.gif", "apng_num_plays.png"])
def test_an_animation_gives_its_first_frame(corpus: Path, tmp_path: Path, name: str) -> None:
    source = corpus / "pillow" / "valid" / name
    result = process_file(source, 0, parse_profiles("full:4096:webp"), tmp_path)
    with Image.open(source) as animation:
        animation.seek(0)
        first = animation.convert("RGBA")
    version = loaded(MediaStore(tmp_path).path_for(result.versions[0].sha256, "webp"))
    assert mean_difference(version, first) < 4


def test_every_valid_corpus_image(corpus: Path, tmp_path: Path) -> None:
    outcomes: dict[str, str] = {}
    for path in sorted((corpus / "pillow" / "valid").iterdir()):
        if path.suffix == ".txt":
            continue
        try:
            result = process_file(path, 0, parse_profiles("thumb:256:jpeg"), tmp_path)
        except ItemFailure as failure:
            outcomes[path.name] = failure.code
        else:
            outcomes[path.name] = result.format
    assert outcomes.pop("hopper.ico") == "unsupported_format"
    assert outcomes.pop("hopper.psd") == "unsupported_format"
    assert set(outcomes.values()) == {"jpeg", "png", "gif", "webp", "tiff", "bmp", "avif"}


def test_the_pixel_limit_is_a_parameter(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(ItemFailure) as caught:
        process_file(
            corpus / "exif-orientation" / "Landscape_1.jpg", media_root=tmp_path, max_pixels=1_000_000
        )
    assert caught.value.code == "image_too_large"
    assert "2160000 pixels" in caught.value.message
    assert stored_files(tmp_path) == []
