"""A 64-bit perceptual hash (DCT pHash, as ImageHash computes it) in pure Python, and its distance.

The image is reduced to 32×32 grey, transformed with a 2-D DCT-II, and the 8×8 lowest
frequencies are compared with their median: bit set where above. Only those 64 coefficients are
computed (a separable transform: 32 rows × 8, then 8 × 8 columns), about 10 000 multiply-adds,
which takes well under a millisecond; numpy would not pay for its import.

The hash is a signed 64-bit integer, so that SQLite stores it as an INTEGER: the first
coefficient is the most significant bit, as in ImageHash's hex string (`phash_hex`).
"""

from __future__ import annotations

import math
import operator

from PIL import Image

_SIZE = 32
_LOW = 8
# _COSINES[u][x] = cos((2x + 1)·u·π / 64), the unnormalised DCT-II basis (scipy's default).
_COSINES = [[math.cos((2 * x + 1) * u * math.pi / (2 * _SIZE)) for x in range(_SIZE)] for u in range(_LOW)]
_MASK = (1 << 64) - 1


def phash(image: Image.Image) -> int:
    """The perceptual hash of an upright image, as a signed 64-bit integer."""
    grey = image.convert("L").resize((_SIZE, _SIZE), Image.Resampling.LANCZOS)
    pixels = grey.tobytes()  # one byte per pixel; iterating bytes gives ints
    rows = [pixels[start : start + _SIZE] for start in range(0, _SIZE * _SIZE, _SIZE)]
    # Horizontal frequencies of every row, then vertical frequencies of those columns.
    horizontal = [[sum(map(operator.mul, row, basis)) for basis in _COSINES] for row in rows]
    columns = list(zip(*horizontal, strict=True))
    low = [sum(map(operator.mul, basis, columns[u])) for basis in _COSINES for u in range(_LOW)]
    ordered = sorted(low)
    median = (ordered[31] + ordered[32]) / 2
    bits = 0
    for coefficient in low:
        bits = (bits << 1) | (coefficient > median)
    return bits - (1 << 64) if bits >> 63 else bits


def phash_hex(value: int) -> str:
    """The 16-hex-digit form ImageHash prints."""
    return f"{value & _MASK:016x}"


def hamming_distance(first: int, second: int) -> int:
    """How many of the 64 bits differ: 0 for the same picture, about 32 for unrelated ones."""
    return ((first ^ second) & _MASK).bit_count()
