"""Dominant colours: named from a fixed palette, with shares, transparent pixels left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from app.processor.dominant_colours import PALETTE, dominant_colours
from tests.processor.images import loaded

SWATCHES = {
    "red": (220, 20, 30),
    "orange": (255, 140, 0),
    "yellow": (250, 230, 40),
    "green": (30, 160, 60),
    "blue": (20, 60, 200),
    "purple": (120, 40, 170),
    "pink": (255, 150, 200),
    "brown": (120, 70, 20),
    "black": (10, 10, 10),
    "white": (250, 250, 250),
    "grey": (128, 128, 128),
}


@pytest.mark.parametrize(("name", "rgb"), SWATCHES.items(), ids=SWATCHES.keys())
def test_each_palette_colour_is_named(name: str, rgb: tuple[int, int, int]) -> None:
    assert [(c.name, c.share) for c in dominant_colours(Image.new("RGB", (40, 30), rgb))] == [(name, 1.0)]


def test_shares_are_sorted_and_small_ones_dropped() -> None:
    image = Image.new("RGB", (100, 100), SWATCHES["blue"])
    image.paste(SWATCHES["yellow"], (0, 0, 100, 30))
    image.paste(SWATCHES["red"], (0, 0, 2, 2))  # 0.04 %: a detail
    colours = dominant_colours(image)
    assert [c.name for c in colours] == ["blue", "yellow"]
    assert [c.share for c in colours] == pytest.approx([0.7, 0.3], abs=0.01)  # edges blend a little


def test_transparent_pixels_do_not_count() -> None:
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste((30, 160, 60, 255), (0, 0, 32, 64))
    assert [(c.name, c.share) for c in dominant_colours(image)] == [("green", 1.0)]
    assert dominant_colours(Image.new("RGBA", (8, 8), (255, 0, 0, 0))) == []


def test_a_photo(corpus: Path) -> None:
    colours = dominant_colours(loaded(corpus / "pillow" / "valid" / "flower.jpg"))
    assert colours[0].name == "green"
    assert {c.name for c in colours} <= set(PALETTE)
    assert sum(c.share for c in colours) <= 1.0
