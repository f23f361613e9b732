"""Test images made on the spot: ICC profiles, EXIF with GPS, IPTC and XMP blocks, and comparisons."""

from __future__ import annotations

import io
import struct
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageChops, ImageStat, TiffImagePlugin

# sRGB's primaries adapted to D50, as ICC matrix/TRC profiles store them.
SRGB_RED = (0.4361, 0.2225, 0.0139)
SRGB_GREEN = (0.3851, 0.7169, 0.0971)
SRGB_BLUE = (0.1431, 0.0606, 0.7141)
_D50 = (0.9642, 1.0, 0.8249)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(value) for value in values)


def icc_profile(
    red: tuple[float, float, float], green: tuple[float, float, float], blue: tuple[float, float, float]
) -> bytes:
    """A minimal ICC v2 RGB matrix/TRC profile (gamma 2.2) with the given primaries."""
    text = b"Test RGB profile\0"
    description = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + bytes(4 + 4 + 2 + 1 + 67)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"
    tags = [
        (b"desc", description),
        (b"wtpt", _xyz(_D50)),
        (b"rXYZ", _xyz(red)),
        (b"gXYZ", _xyz(green)),
        (b"bXYZ", _xyz(blue)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0none\0\0\0\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + bytes(4)
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(24)
        + bytes(4)
        + b"".join(_s15(value) for value in _D50)
        + bytes(128 - 80)
    )
    return header + struct.pack(">I", len(tags)) + table + data


def _rational(value: float) -> TiffImagePlugin.IFDRational:
    fraction = Fraction(value).limit_denominator(1_000_000)
    return TiffImagePlugin.IFDRational(fraction.numerator, fraction.denominator)


def _dms(decimal: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    degrees = int(abs(decimal))
    minutes = int((abs(decimal) - degrees) * 60)
    seconds = (abs(decimal) - degrees - minutes / 60) * 3600
    return (_rational(degrees), _rational(minutes), _rational(round(seconds, 4)))


def camera_exif(*, lat: float | None = None, lon: float | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Fujifilm"
    exif[0x0110] = "X-T4"
    exif[0x013B] = "Ada Lovelace"
    exif[0x8298] = "(c) 2024 Ada Lovelace"
    details = exif.get_ifd(0x8769)
    details[0x829A] = _rational(1 / 250)
    details[0x829D] = _rational(2.8)
    details[0x8827] = 800
    details[0x9003] = "2024:05:17 18:42:07"
    details[0x9011] = "+02:00"
    details[0x920A] = _rational(35.0)
    details[0xA434] = "XF35mmF1.4 R"
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(lon)
    return exif


def iptc_block(fields: list[tuple[int, str]]) -> bytes:
    """A JPEG APP13 segment (Photoshop 3.0) holding IPTC-IIM record 2 datasets, in UTF-8."""
    iim = b"\x1c\x01\x5a\x00\x03\x1b%G"  # 1:90 coded character set: UTF-8
    for dataset, value in fields:
        encoded = value.encode("utf-8")
        iim += bytes([0x1C, 2, dataset]) + struct.pack(">H", len(encoded)) + encoded
    iim += bytes(len(iim) % 2)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iim)) + iim
    payload = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def save_jpeg(path: Path, image: Image.Image, **options: object) -> Path:
    image.save(path, "JPEG", quality=90, **options)
    return path


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    """Average absolute difference per channel (0–255), at a common small size."""
    size = (64, 64)
    a = first.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    b = second.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def reencoded(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer)


def loaded(path: Path) -> Image.Image:
    """An image read completely and its file closed."""
    with Image.open(path) as image:
        image.load()
    return image
