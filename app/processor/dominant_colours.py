"""The dominant colours of an image as named tags from a fixed palette, each with its share.

Each pixel of a 64×64 reduction is named by its hue, saturation and value (a table built once,
4096 cells), so the result is stable and cheap: about a millisecond per image. Names are English
tags; translating them to the request's language is the API layer's job.
"""

from __future__ import annotations

from collections import Counter

import msgspec
from PIL import Image

PALETTE = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey")
MIN_SHARE = 0.05  # below this a colour is a detail, not a dominant colour
_SIDE = 64
_H_BINS, _S_BINS, _V_BINS = 32, 16, 8


class ColourShare(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    # The fraction of (opaque) pixels, 0–1.
    share: float


def _name(hue: float, saturation: float, value: float) -> str:
    """One colour name for hue in degrees, saturation and value in 0–1."""
    if value < 0.2:
        return "black"
    if saturation < 0.15 or (saturation < 0.25 and value < 0.35):
        return "white" if value > 0.85 else "grey"
    warm = hue < 50 or hue >= 345
    if warm and value < 0.6 and saturation > 0.3:
        return "brown"
    if (hue < 15 or hue >= 330) and saturation < 0.5 and value > 0.7:
        return "pink"
    for limit, name in ((15, "red"), (40, "orange"), (70, "yellow"), (165, "green"), (255, "blue")):
        if hue < limit:
            return name
    if hue < 290:
        return "purple"
    return "pink" if hue < 345 else "red"


def _table() -> list[str]:
    """Names at the centre of every (hue, saturation, value) bin of Pillow's 0–255 HSV."""
    table = []
    for h in range(_H_BINS):
        for s in range(_S_BINS):
            for v in range(_V_BINS):
                table.append(_name((h + 0.5) * 360 / _H_BINS, (s + 0.5) / _S_BINS, (v + 0.5) / _V_BINS))
    return table


_TABLE = _table()
# Pillow maps each channel to its bin in C; `getcolors` then counts the few distinct bins.
_BIN_LUT = [h >> 3 for h in range(256)] + [s >> 4 for s in range(256)] + [v >> 5 for v in range(256)]
_ALPHA_LUT = [0 if a < 128 else 1 for a in range(256)]


def dominant_colours(image: Image.Image) -> list[ColourShare]:
    """Named colours covering at least 5 % of the opaque pixels, the largest share first."""
    small = image.resize((_SIDE, _SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    binned = small.convert("RGB").convert("HSV").point(_BIN_LUT)
    if small.mode in ("RGBA", "LA"):
        opaque = small.getchannel("A").point(_ALPHA_LUT)
    else:
        opaque = Image.new("L", binned.size, 1)
    counts: Counter[str] = Counter()
    cells = Image.merge("RGBA", (*binned.split(), opaque)).getcolors(_SIDE * _SIDE) or []
    for count, cell in cells:
        if isinstance(cell, tuple) and cell[3]:  # transparent pixels have no colour worth naming
            h, s, v = cell[0], cell[1], cell[2]
            counts[_TABLE[(h * _S_BINS + s) * _V_BINS + v]] += count
    total = sum(counts.values())
    if total == 0:
        return []
    return [
        ColourShare(name=name, share=round(count / total, 3))
        for name, count in counts.most_common()
        if count / total >= MIN_SHARE
    ]
