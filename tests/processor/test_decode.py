"""Decoding: the format from the bytes, the pixel limit from the header, damage as `decode_failed`."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageFile

from app.processor import decode
from app.processor.errors import ItemFailure
from app.processor.formats import sniff_format

VALID = {
    "hopper.jpg": "jpeg",
    "pil_sample_cmyk.jpg": "jpeg",
    "hopper.png": "png",
    "apng_num_plays.png": "png",
    "16bit.cropped.tif": "tiff",
    "hopper.tif": "tiff",
    "hopper.gif": "gif",
    "iss634.gif": "gif",
    "hopper.webp": "webp",
    "anim_frame1.webp": "webp",
    "transparent.webp": "webp",
    "hopper.bmp": "bmp",
    "hopper.avif": "avif",
}


def failure(path: Path, max_pixels: int = decode.DEFAULT_MAX_PIXELS) -> ItemFailure:
    with pytest.raises(ItemFailure) as caught, decode.open_image(path, max_pixels=max_pixels) as decoded:
        decode.load(decoded)
    return caught.value


@pytest.mark.parametrize(("name", "expected"), VALID.items(), ids=VALID.keys())
def test_the_formats_we_accept_decode(corpus: Path, name: str, expected: str) -> None:
    with decode.open_image(corpus / "pillow" / "valid" / name) as decoded:
        decode.load(decoded)
        assert decoded.format == expected
        assert decoded.image.size == (decoded.width, decoded.height)
        assert decoded.image.getbbox() is not None or decoded.image.mode in ("RGBA", "LA", "P")


def test_animations_give_their_first_frame(corpus: Path) -> None:
    with decode.open_image(corpus / "pillow" / "valid" / "iss634.gif") as decoded:
        decode.load(decoded)
        assert decoded.image.tell() == 0


@pytest.mark.parametrize("name", ["hopper.ico", "hopper.psd"])
def test_other_formats_pillow_knows_are_unsupported(corpus: Path, name: str) -> None:
    assert failure(corpus / "pillow" / "valid" / name).code == "unsupported_format"


def test_heif_without_a_codec_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "photo.heic"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64))
    assert sniff_format(path.read_bytes()) == "heif"
    if "HEIF" in Image.OPEN:
        pytest.skip("a HEIF plugin is installed here")
    assert failure(path).code == "unsupported_format"


def test_the_type_is_in_the_bytes_not_the_name(corpus: Path, tmp_path: Path) -> None:
    disguised = tmp_path / "photo.jpg"
    disguised.write_bytes((corpus / "pillow" / "valid" / "hopper.png").read_bytes())
    with decode.open_image(disguised) as decoded:
        assert decoded.format == "png"
    text = tmp_path / "image.png"
    text.write_text("<html>not an image</html>")
    assert failure(text).code == "unsupported_format"


def test_pixels_are_counted_from_the_header_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (400, 300)).save(path)
    assert failure(path, max_pixels=100_000).code == "image_too_large"
    with decode.open_image(path, max_pixels=120_000) as decoded:
        decode.load(decoded)


def test_a_decompression_bomb_is_too_large(corpus: Path) -> None:
    result = failure(corpus / "pillow" / "hostile" / "decompression_bomb.gif")
    assert result.code == "image_too_large"


# Reading a PNG's EXIF decodes it: these once passed as blank images when that came first.
DAMAGED = [
    "truncated_jpeg.jpg",
    "truncated_image.png",
    "broken.png",
    "broken_data_stream.png",
    "truncated_end_chunk.png",
]


@pytest.mark.parametrize("name", DAMAGED)
def test_damaged_files_fail_to_decode(corpus: Path, name: str) -> None:
    assert failure(corpus / "pillow" / "hostile" / name).code == "decode_failed"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_a_jpeg_is_decoded_at_the_dct_scale_it_needs(corpus: Path) -> None:
    with decode.open_image(corpus / "exif-orientation" / "Landscape_1.jpg") as decoded:
        decode.load(decoded, at_least=(256, 171))
        assert decoded.image.size == (450, 300)  # 1/4: 1/8 would be smaller than asked
        assert (decoded.width, decoded.height) == (1800, 1200)


def test_the_exif_orientation_is_read(corpus: Path) -> None:
    with decode.open_image(corpus / "exif-orientation" / "Landscape_6.jpg") as decoded:
        decode.load(decoded)
        assert decode.orientation_of(decoded.image) == 6
    with decode.open_image(corpus / "pillow" / "valid" / "hopper.png") as decoded:
        decode.load(decoded)
        assert decode.orientation_of(decoded.image) == 1


def test_no_failure_names_the_file_the_server_keeps(corpus: Path) -> None:
    # Pillow's "cannot identify image file '/…/incoming/…'" reached clients with our path in it.
    for path in sorted((corpus / "pillow" / "hostile").iterdir()):
        try:
            with decode.open_image(path) as decoded:
                decode.load(decoded)
        except ItemFailure as failure:
            assert str(path) not in failure.message and path.name not in failure.message, failure.message
