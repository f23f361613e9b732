"""The media store: content-addressed, atomic, deduplicated, and swept after a crash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from app.processor.store import MediaStore, new_temporary_file, sweep_temporary


def test_versions_and_originals_are_addressed_by_content(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    stored = store.put_bytes(b"version bytes", "jpeg")

    digest = hashlib.sha256(b"version bytes").hexdigest()
    assert stored.sha256 == digest
    assert Path(stored.path) == tmp_path / "media" / digest[:2] / digest[2:4] / f"{digest}.jpeg"
    assert Path(stored.path).read_bytes() == b"version bytes"


def test_the_same_bytes_are_stored_once(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    first = store.put_bytes(b"same", "webp")
    mtime = os.stat(first.path).st_mtime_ns
    second = store.put_bytes(b"same", "webp")

    assert first == second
    assert os.stat(second.path).st_mtime_ns == mtime
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == [Path(first.path)]


def test_an_original_is_kept_byte_for_byte_and_the_source_left_alone(tmp_path: Path) -> None:
    source = tmp_path / "upload.bin"
    source.write_bytes(b"\xff\xd8\xff original")
    store = MediaStore(tmp_path / "media")

    stored = store.put_file(source)

    assert Path(stored.path).read_bytes() == source.read_bytes()
    assert Path(stored.path).name == hashlib.sha256(source.read_bytes()).hexdigest()
    assert stored.bytes == source.stat().st_size
    assert store.put_file(source) == stored


def test_moving_an_original_takes_the_file(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    for _ in range(2):
        path, file = new_temporary_file(store.temporary_dir)
        with file:
            file.write(b"fetched")
        stored = store.put_file(path, move=True)
        assert not path.exists()
    assert Path(stored.path).read_bytes() == b"fetched"
    assert list(store.temporary_dir.iterdir()) == []


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = MediaStore(tmp_path / "media")

    def crash(source: object, target: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        store.put_bytes(b"half", "jpeg")
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []


def test_delete(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    stored = store.put_bytes(b"gone soon", "jpeg")

    assert store.delete(stored.sha256, "jpeg")
    assert not store.exists(stored.sha256, "jpeg")
    assert not store.delete(stored.sha256, "jpeg")


@pytest.mark.parametrize(
    ("sha256", "ext"), [("../../etc/passwd", None), ("ab" * 32, "../x"), ("AB" * 32, None)]
)
def test_names_cannot_escape_the_store(tmp_path: Path, sha256: str, ext: str | None) -> None:
    with pytest.raises(ValueError):
        MediaStore(tmp_path).path_for(sha256, ext)


def test_sweep_removes_what_a_crash_left(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    kept = store.put_bytes(b"kept", "jpeg")
    for _ in range(3):
        _path, file = new_temporary_file(store.temporary_dir)
        with file:
            file.write(b"half a file")

    assert sweep_temporary(store.root) == 3
    assert list(store.temporary_dir.iterdir()) == []
    assert Path(kept.path).exists()
    assert sweep_temporary(tmp_path / "nothing-here") == 0


def test_sweep_can_spare_recent_files(tmp_path: Path) -> None:
    path, file = new_temporary_file(tmp_path / ".tmp")
    file.close()
    assert sweep_temporary(tmp_path, older_than=3600) == 0
    assert path.exists()
