"""The EXIF fields we keep (camera, exposure, date, GPS position), read defensively from any file.

EXIF is written by cameras, phones, editors and fuzzers: every field is parsed on its own, and
a value of the wrong type, out of range or unparsable becomes None rather than an error.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import msgspec
from PIL import Image

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL = 0x010F, 0x0110
_EXPOSURE_TIME, _F_NUMBER, _ISO = 0x829A, 0x829D, 0x8827
_DATE_ORIGINAL, _DATE_DIGITIZED, _DATE_TIME = 0x9003, 0x9004, 0x0132
_OFFSET_ORIGINAL = 0x9011
_FOCAL_LENGTH, _LENS_MAKE, _LENS_MODEL = 0x920A, 0xA433, 0xA434
_LAT_REF, _LAT, _LON_REF, _LON = 1, 2, 3, 4


class ExifData(msgspec.Struct, frozen=True, kw_only=True):
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    iso: int | None = None
    # Millimetres.
    focal_length: float | None = None
    f_number: float | None = None
    # Seconds (1/250 s is 0.004).
    exposure_time: float | None = None
    # ISO 8601 local time as the camera wrote it, with its UTC offset when it wrote one.
    taken_at: str | None = None
    # Decimal degrees, negative south and west.
    lat: float | None = None
    lon: float | None = None
    # Kept in versions (all other metadata is stripped).
    artist: str | None = None
    copyright: str | None = None


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned[:200] or None


def _number(value: Any) -> float | None:
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _plausible(value: Any, highest: float, digits: int) -> float | None:
    """A positive number no camera would exceed, rounded; fuzzers love 4294967295."""
    number = _number(value)
    return round(number, digits) if number is not None and 0 < number <= highest else None


def _iso(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and 0 < number < 10_000_000 else None


def _taken_at(stamp: Any, offset: Any) -> str | None:
    text = _text(stamp)
    if text is None:
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    iso = moment.isoformat()
    zone = _text(offset)
    if zone and len(zone) == 6 and zone[0] in "+-" and zone[3] == ":" and zone.replace(":", "")[1:].isdigit():
        iso += zone
    return iso


def _degrees(value: Any, ref: Any, limit: float) -> float | None:
    """(degrees, minutes, seconds) and N/S/E/W to signed decimal degrees."""
    if not isinstance(value, tuple | list) or len(value) != 3:
        return None
    parts = [_number(part) for part in value]
    if any(part is None for part in parts):
        return None
    degrees, minutes, seconds = (part or 0.0 for part in parts)
    decimal = degrees + minutes / 60 + seconds / 3600
    direction = _text(ref)
    if direction not in ("N", "S", "E", "W") or decimal > limit:
        return None
    return round(-decimal if direction in ("S", "W") else decimal, 7)


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:  # a pointer into nowhere: as if the IFD were absent
        return {}


def _lens(details: dict[int, Any]) -> str | None:
    model = _text(details.get(_LENS_MODEL))
    make = _text(details.get(_LENS_MAKE))
    if model and make and not model.startswith(make):
        return f"{make} {model}"
    return model or make


def read_exif(image: Image.Image) -> ExifData:
    """The fields of `ExifData` found in the image's EXIF (all None when it has none)."""
    try:
        exif = image.getexif()
    except Exception:  # unreadable EXIF is no reason to refuse the image
        return ExifData()
    details = _ifd(exif, _EXIF_IFD)
    gps = _ifd(exif, _GPS_IFD)
    lat = _degrees(gps.get(_LAT), gps.get(_LAT_REF), 90.0)
    lon = _degrees(gps.get(_LON), gps.get(_LON_REF), 180.0)
    if lat is None or lon is None:
        lat = lon = None  # half a position is no position
    stamp = details.get(_DATE_ORIGINAL) or details.get(_DATE_DIGITIZED) or exif.get(_DATE_TIME)
    return ExifData(
        make=_text(exif.get(_MAKE)),
        model=_text(exif.get(_MODEL)),
        lens=_lens(details),
        iso=_iso(details.get(_ISO)),
        focal_length=_plausible(details.get(_FOCAL_LENGTH), 10_000, 2),
        f_number=_plausible(details.get(_F_NUMBER), 1_000, 2),
        exposure_time=_plausible(details.get(_EXPOSURE_TIME), 86_400, 6),
        taken_at=_taken_at(stamp, details.get(_OFFSET_ORIGINAL)),
        lat=lat,
        lon=lon,
        artist=_text(exif.get(0x013B)),
        copyright=_text(exif.get(0x8298)),
    )
