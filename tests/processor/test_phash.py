"""The perceptual hash: copies of a picture stay close, different pictures are far apart.

The distances measured here are printed (`pytest -s`) and recorded in docs/processor.md, where
they are used to choose the similarity thresholds.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance, ImageOps

from app.processor.phash import hamming_distance, phash, phash_hex
from tests.processor.images import loaded, reencoded

# Photographs and drawings of the corpus, all different pictures (flat test patterns, whose
# hash is decided by noise, are left out: see docs/processor.md).
PICTURES = [
    "exif-orientation/Landscape_1.jpg",
    "exif-orientation/Portrait_1.jpg",
    "pillow/valid/flower.jpg",
    "pillow/valid/flower2.jpg",
    "pillow/valid/exif-72dpi-int.jpg",
    "pillow/valid/hopper.jpg",
    "pillow/valid/iss634.gif",
    "pillow/valid/pil123rgba.png",
    "pillow/valid/transparent.png",
]


def half(image: Image.Image) -> Image.Image:
    return image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)


def cropped(image: Image.Image) -> Image.Image:
    dx, dy = image.width // 20, image.height // 20
    return image.crop((dx, dy, image.width - dx, image.height - dy))


# Changes after which a picture is still "the same" (bound: the largest distance allowed).
SAME: dict[str, tuple[Callable[[Image.Image], Image.Image], int]] = {
    "resized to 50 %": (half, 4),
    "JPEG quality 30": (lambda image: reencoded(image, 30), 4),
    "50 % and JPEG quality 50": (lambda image: reencoded(half(image), 50), 4),
    "brightness +15 %": (lambda image: ImageEnhance.Brightness(image).enhance(1.15), 8),
    "greyscale": (lambda image: image.convert("L"), 4),
}
# Changes pHash is not made for; measured and printed, not asserted.
OTHER: dict[str, Callable[[Image.Image], Image.Image]] = {
    "5 % cropped off each side": cropped,
    "mirrored": lambda image: image.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "rotated 90°": lambda image: image.transpose(Image.Transpose.ROTATE_270),
}
UNRELATED_AT_LEAST = 16


def hashed(image: Image.Image) -> int:
    """As the pipeline does it: the hash of the 256 px thumbnail of the upright image."""
    thumb = image.convert("RGB")
    thumb.thumbnail((256, 256), Image.Resampling.LANCZOS)
    return phash(thumb)


@pytest.fixture(scope="module")
def pictures(corpus: Path) -> dict[str, Image.Image]:
    return {name: ImageOps.exif_transpose(loaded(corpus / name)).convert("RGB") for name in PICTURES}


def spread(distances: list[int]) -> str:
    return f"min {min(distances):2}  median {statistics.median(distances):4g}  max {max(distances):2}"


def test_copies_are_close_and_different_pictures_far(pictures: dict[str, Image.Image]) -> None:
    original = {name: hashed(image) for name, image in pictures.items()}
    print(f"\npHash Hamming distances over {len(pictures)} corpus pictures")
    for label, (change, bound) in SAME.items():
        distances = [
            hamming_distance(original[name], hashed(change(image))) for name, image in pictures.items()
        ]
        print(f"  {label:28} {spread(distances)}")
        assert max(distances) <= bound, label
    for label, change in OTHER.items():
        distances = [
            hamming_distance(original[name], hashed(change(image))) for name, image in pictures.items()
        ]
        print(f"  {label:28} {spread(distances)}")
    unrelated = [hamming_distance(original[a], original[b]) for a, b in itertools.combinations(original, 2)]
    print(f"  {'different pictures':28} {spread(unrelated)}  ({len(unrelated)} pairs)")
    assert min(unrelated) >= UNRELATED_AT_LEAST


def reference_phash(image: Image.Image) -> int:
    """ImageHash's definition, spelled out: the full 32×32 DCT-II, then the low 8×8 against their median."""
    grey = image.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    data = grey.tobytes()
    pixels = [[data[y * 32 + x] for x in range(32)] for y in range(32)]

    def dct(values: list[float]) -> list[float]:
        n = len(values)
        return [
            2 * sum(v * math.cos(math.pi * k * (2 * i + 1) / (2 * n)) for i, v in enumerate(values))
            for k in range(n)
        ]

    columns = [dct([float(row[x]) for row in pixels]) for x in range(32)]  # along y, per column
    rows = [dct([columns[x][k] for x in range(32)]) for k in range(32)]  # then along x
    low = [rows[v][u] for v in range(8) for u in range(8)]
    median = statistics.median(low)
    bits = int("".join("1" if value > median else "0" for value in low), 2)
    return bits - (1 << 64) if bits >> 63 else bits


def test_matches_the_reference_definition(pictures: dict[str, Image.Image]) -> None:
    for name in PICTURES[:3]:
        assert phash(pictures[name]) == reference_phash(pictures[name]), name


def test_signed_64_bit_and_hex(pictures: dict[str, Image.Image]) -> None:
    values = [phash(image) for image in pictures.values()]
    assert all(-(2**63) <= value < 2**63 for value in values)
    assert any(value < 0 for value in values)
    assert all(len(phash_hex(value)) == 16 for value in values)
    assert hamming_distance(values[0], values[0]) == 0
    assert hamming_distance(0, -1) == 64


def test_fast_enough(pictures: dict[str, Image.Image]) -> None:
    thumb = pictures[PICTURES[0]].resize((256, 171))
    started = time.perf_counter()
    for _ in range(20):
        phash(thumb)
    elapsed = (time.perf_counter() - started) / 20
    print(f"\npHash of a 256 px thumbnail: {elapsed * 1000:.2f} ms")
    assert elapsed < 0.05
