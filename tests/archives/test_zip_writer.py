"""The ZIP writer: entries streamed with their CRC, stored or deflated, zip64 only when large,
bounded memory, and a file that appears under its name only once complete."""

from __future__ import annotations

import os
import struct
import tracemalloc
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.archives.zip_writer import ZipWriter

MOMENT = datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)
MIB = 1024 * 1024


def zeros_crc(mebibytes: int) -> int:
    crc, block = 0, bytes(MIB)
    for _ in range(mebibytes):
        crc = zlib.crc32(block, crc)
    return crc


def source(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def local_header_extra(archive: Path, info: zipfile.ZipInfo) -> bytes:
    """The extra field of an entry's local header (zipfile shows the central directory's)."""
    with archive.open("rb") as file:
        file.seek(info.header_offset)
        header = file.read(30)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        file.seek(info.header_offset + 30 + name_length)
        return file.read(extra_length)


def has_zip64(extra: bytes) -> bool:
    while len(extra) >= 4:
        kind, length = struct.unpack("<HH", extra[:4])
        if kind == 0x0001:
            return True
        extra = extra[4 + length :]
    return False


def test_entries_read_back_byte_for_byte_with_their_crc(tmp_path: Path) -> None:
    photo = source(tmp_path, "photo.jpg", os.urandom(300_000))
    scan = source(tmp_path, "scan.bmp", b"BM" + bytes(range(256)) * 2000)
    target = tmp_path / "out" / "archive.zip"
    writer = ZipWriter(target, tmp_path / "out" / ".tmp")
    assert writer.add("photo.jpg", photo, compress=False, modified=MOMENT) == 300_000
    writer.add("scan.bmp", scan, compress=True, modified=MOMENT)
    assert not target.exists()  # nothing under the name until it is complete
    size = writer.finish()
    assert target.stat().st_size == size
    assert os.listdir(tmp_path / "out" / ".tmp") == []
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["photo.jpg", "scan.bmp"]
        stored, deflated = archive.infolist()
        assert stored.compress_type == zipfile.ZIP_STORED
        assert deflated.compress_type == zipfile.ZIP_DEFLATED
        assert deflated.compress_size < deflated.file_size
        assert stored.date_time == (2024, 5, 1, 12, 30, 14)  # ZIP keeps even seconds
        assert stored.external_attr >> 16 == 0o644
        assert archive.read("photo.jpg") == photo.read_bytes()
        assert archive.read("scan.bmp") == scan.read_bytes()
    assert not has_zip64(local_header_extra(target, stored))


def test_non_ascii_names_are_marked_utf8(tmp_path: Path) -> None:
    target = tmp_path / "a.zip"
    writer = ZipWriter(target, tmp_path / ".tmp")
    writer.add("Café – 東京.jpg", source(tmp_path, "x", b"x"), compress=False, modified=MOMENT)
    writer.finish()
    with zipfile.ZipFile(target) as archive:
        (info,) = archive.infolist()
        assert info.filename == "Café – 東京.jpg"
        assert info.flag_bits & 0x800


def sparse(path: Path, mebibytes: int) -> Path:
    """A file of zeros that is cheap to make, and read like any other."""
    with path.open("wb") as file:
        file.truncate(mebibytes * MIB)
    return path


def test_a_200_mb_entry_streams_in_bounded_memory(tmp_path: Path) -> None:
    big = sparse(tmp_path / "big.jpg", 200)
    scan = sparse(tmp_path / "scan.tif", 16)
    target = tmp_path / "big.zip"
    tracemalloc.start()
    try:
        writer = ZipWriter(target, tmp_path / ".tmp", durable=False)
        writer.add("big.jpg", big, compress=False, modified=MOMENT)
        writer.add("scan.tif", scan, compress=True, modified=MOMENT)
        writer.finish()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * MIB, f"peak {peak / MIB:.1f} MiB"
    with zipfile.ZipFile(target) as archive:
        stored, deflated = archive.infolist()
        assert stored.file_size == stored.compress_size == 200 * MIB
        assert zeros_crc(200) == stored.CRC  # computed as the bytes streamed past
        assert deflated.file_size == 16 * MIB
        assert deflated.compress_size < MIB
        assert archive.read("scan.tif") == bytes(16 * MIB)  # zipfile checks the CRC as it reads
    assert target.stat().st_size < 201 * MIB


def test_zip64_records_only_where_sizes_need_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Writing 4 GiB is too slow for a test: lower the limit zipfile checks instead.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", MIB)
    small = source(tmp_path, "small", os.urandom(1000))
    large = source(tmp_path, "large", os.urandom(2 * MIB))
    target = tmp_path / "a.zip"
    writer = ZipWriter(target, tmp_path / ".tmp")
    writer.add("small.jpg", small, compress=False, modified=MOMENT)
    writer.add("large.jpg", large, compress=False, modified=MOMENT)
    writer.add("after.jpg", small, compress=False, modified=MOMENT)  # starts past the limit
    writer.finish()
    monkeypatch.undo()
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        first, second, third = archive.infolist()
        assert not has_zip64(local_header_extra(target, first))
        assert has_zip64(local_header_extra(target, second))
        assert has_zip64(third.extra)  # its offset, in the central directory
        assert archive.read("large.jpg") == large.read_bytes()
        assert archive.read("after.jpg") == small.read_bytes()


def test_abort_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "a.zip"
    writer = ZipWriter(target, tmp_path / ".tmp")
    writer.add("a.jpg", source(tmp_path, "a", b"a" * 1000), compress=False, modified=MOMENT)
    writer.abort()
    writer.abort()
    assert not target.exists()
    assert os.listdir(tmp_path / ".tmp") == []
    with pytest.raises(RuntimeError):
        writer.add("b.jpg", tmp_path / "a", compress=False, modified=MOMENT)


def test_abort_after_finish_keeps_the_file(tmp_path: Path) -> None:
    target = tmp_path / "a.zip"
    writer = ZipWriter(target, tmp_path / ".tmp")
    writer.add("a.jpg", source(tmp_path, "a", b"a"), compress=False, modified=MOMENT)
    writer.finish()
    writer.abort()
    assert zipfile.ZipFile(target).namelist() == ["a.jpg"]


def test_a_missing_source_adds_nothing(tmp_path: Path) -> None:
    target = tmp_path / "a.zip"
    writer = ZipWriter(target, tmp_path / ".tmp")
    with pytest.raises(FileNotFoundError):
        writer.add("gone.jpg", tmp_path / "gone", compress=False, modified=MOMENT)
    writer.add("a.jpg", source(tmp_path, "a", b"a"), compress=False, modified=MOMENT)
    writer.finish()
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["a.jpg"]
        assert archive.testzip() is None


def test_times_before_1980_are_clamped(tmp_path: Path) -> None:
    target = tmp_path / "a.zip"
    writer = ZipWriter(target, tmp_path / ".tmp")
    old = datetime(1970, 1, 1, tzinfo=UTC)
    writer.add("a.jpg", source(tmp_path, "a", b"a"), compress=False, modified=old)
    writer.finish()
    assert zipfile.ZipFile(target).infolist()[0].date_time == (1980, 1, 1, 0, 0, 0)
