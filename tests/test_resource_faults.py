"""A full disk, a read-only data directory and a locked database: clear answers, no damage, recovery.

The full disk is real: a small tmpfs (or, failing that, a loop-mounted file) under tmp_path,
filled with a file until writes fail. The read-only data directory is a real read-only bind
mount laid over it while the server runs. Both need root; without it those tests skip and say
why. SQLite's own "attempt to write a readonly database" cannot be provoked on a connection
that is already open, so that one case is simulated with `PRAGMA query_only`.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.errors import InsufficientStorage, Unavailable, resource_fault
from tests.conftest import Harness, running, settings_for
from tests.test_backup import jpeg, uploaded

PAGE = os.sysconf("SC_PAGE_SIZE")


# The mechanisms, each skipping the test with its reason when the machine does not allow it.


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def _require_root() -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a filesystem needs root and mount(8)")


def _unmount(path: Path) -> None:
    if _run("umount", str(path)).returncode != 0:
        _run("umount", "-l", str(path))  # never leave a mount behind, even a busy one


@contextmanager
def small_filesystem(path: Path, megabytes: int = 16) -> Iterator[Path]:
    """A filesystem of `megabytes` mounted at `path`: tmpfs, else an ext4 file on a loop device."""
    _require_root()
    path.mkdir()
    tmpfs = _run("mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path))
    if tmpfs.returncode != 0:
        image = path.with_suffix(".img")
        with image.open("wb") as file:
            file.truncate(megabytes * 1024 * 1024)
        made = _run("mkfs.ext4", "-q", "-F", str(image))
        loop = _run("mount", "-o", "loop", str(image), str(path)) if made.returncode == 0 else made
        if loop.returncode != 0:
            pytest.skip(
                f"no small filesystem: tmpfs said {tmpfs.stderr.strip()!r}, loop {loop.stderr.strip()!r}"
            )
    try:
        yield path
    finally:
        _unmount(path)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` read-only for every file opened from now on (those already open stay writable)."""
    _require_root()
    bound = _run("mount", "--bind", str(path), str(path))
    if bound.returncode != 0:
        pytest.skip(f"no bind mount: {bound.stderr.strip()}")
    try:
        remounted = _run("mount", "-o", "remount,bind,ro", str(path))
        if remounted.returncode != 0:
            pytest.skip(f"no read-only remount: {remounted.stderr.strip()}")
        yield
    finally:
        _unmount(path)


def fill(disk: Path, *, leave_pages: int = 0) -> Path:
    """Fill the filesystem with one file, then give back `leave_pages` pages of it."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    block = bytes(64 * 1024)
    try:
        while True:
            os.write(descriptor, block)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
    finally:
        os.close(descriptor)
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - size % PAGE - leave_pages * PAGE))
    return filler


# What the server answers.


async def ticket(server: Harness, seed: int) -> dict[str, Any]:
    response = await server.write("POST", "/v1/uploads", json={"filename": f"{seed}.jpg"})
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def send(server: Harness, answer: dict[str, Any], data: bytes) -> httpx.Response:
    return await server.client.post(
        answer["upload_url"],
        data=answer["fields"],
        files={answer["file_field"]: ("image.jpg", data, "image/jpeg")},
        headers={"Authorization": ""},
    )


def assert_envelope(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["request_id"] == response.headers["X-Request-Id"]
    if status == 503:
        assert int(response.headers["Retry-After"]) > 0


async def assert_sound(server: Harness) -> None:
    row = await server.runtime.db.fetch_one("PRAGMA integrity_check")
    assert row is not None and row[0] == "ok"


async def image_count(server: Harness) -> int:
    row = await server.runtime.db.fetch_one("SELECT count(*) FROM images")
    assert row is not None
    return int(row[0])


async def test_a_full_disk_answers_507_and_the_same_writes_succeed_once_space_is_back(
    tmp_path: Path,
) -> None:
    with small_filesystem(tmp_path / "disk") as disk:
        async with running(settings_for(disk / "data")) as server:
            image_uuid = await uploaded(server, 1)
            pending = await ticket(server, 2)
            # An empty write-ahead log: the next transaction needs new space on the disk.
            await server.runtime.db.execute_script("PRAGMA wal_checkpoint(TRUNCATE)")
            filler = fill(disk)

            renamed = await server.write("PATCH", f"/v1/images/{image_uuid}", json={"title": "B"}, key="k")
            assert_envelope(renamed, 507, "insufficient_storage")  # SQLite: database or disk is full
            assert_envelope(await send(server, pending, jpeg(2)), 507, "insufficient_storage")  # ENOSPC
            assert (await server.client.get(f"/v1/images/{image_uuid}")).json()["title"] == "#1"

            filler.unlink()
            again = await server.write("PATCH", f"/v1/images/{image_uuid}", json={"title": "B"}, key="k")
            assert again.status_code == 202, again.text
            assert (await server.wait_operation(again.json()["uuid"]))["status"] == "succeeded"
            assert (await server.client.get(f"/v1/images/{image_uuid}")).json()["title"] == "B"
            sent = await send(server, pending, jpeg(2))
            assert sent.status_code == 202, sent.text
            assert (await server.wait_operation(sent.json()["uuid"], 30))["status"] == "succeeded"
            await assert_sound(server)


async def test_an_operation_that_runs_out_of_space_fails_cleanly(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk") as disk:
        async with running(settings_for(disk / "data", workers=1)) as server:
            await uploaded(server, 1)
            pending = await ticket(server, 2)
            data = jpeg(2)
            # Later transactions reuse the log's space; the upload's own file just fits,
            # the versions made from it do not.
            await server.runtime.db.execute_script("PRAGMA wal_checkpoint(RESTART)")
            filler = fill(disk, leave_pages=-(-len(data) // PAGE))

            sent = await send(server, pending, data)
            assert sent.status_code == 202, sent.text
            operation = await server.wait_operation(sent.json()["uuid"], 30)
            assert operation["status"] == "failed", operation
            assert operation["error"]["code"] == "insufficient_storage"
            assert await image_count(server) == 1  # nothing of it was kept

            filler.unlink()
            await uploaded(server, 2)
            assert await image_count(server) == 2
            await assert_sound(server)


async def test_a_read_only_data_directory_answers_503_until_it_is_writable(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path / "data")) as server:
        await uploaded(server, 1)
        pending = await ticket(server, 2)
        with read_only(server.runtime.settings.data_dir):
            # The upload's file cannot be written: EROFS.
            assert_envelope(await send(server, pending, jpeg(2)), 503, "unavailable")
        sent = await send(server, pending, jpeg(2))
        assert sent.status_code == 202, sent.text
        assert (await server.wait_operation(sent.json()["uuid"], 30))["status"] == "succeeded"
        await assert_sound(server)


async def test_a_read_only_database_answers_503(tmp_path: Path) -> None:
    """Simulated: the writer connection refuses writes the way a read-only file makes SQLite do."""
    async with running(settings_for(tmp_path / "data")) as server:
        image_uuid = await uploaded(server, 1)
        await server.runtime.db.execute_script("PRAGMA query_only = ON")
        refused = await server.write("PATCH", f"/v1/images/{image_uuid}", json={"title": "B"}, key="k")
        assert_envelope(refused, 503, "unavailable")
        await server.runtime.db.execute_script("PRAGMA query_only = OFF")
        again = await server.write("PATCH", f"/v1/images/{image_uuid}", json={"title": "B"}, key="k")
        assert again.status_code == 202, again.text


async def test_a_database_locked_past_its_timeout_answers_503_never_500(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path / "data")) as server:
        image_uuid = await uploaded(server, 1)
        await server.runtime.db.execute_script("PRAGMA busy_timeout = 200")
        other = sqlite3.connect(server.runtime.settings.database_path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
            locked = await server.write("PATCH", f"/v1/images/{image_uuid}", json={"title": "B"}, key="k")
            assert_envelope(locked, 503, "unavailable")
            other.execute("ROLLBACK")
        finally:
            other.close()
        again = await server.write("PATCH", f"/v1/images/{image_uuid}", json={"title": "B"}, key="k")
        assert again.status_code == 202, again.text
        assert (await server.wait_operation(again.json()["uuid"]))["status"] == "succeeded"
        await assert_sound(server)


# Which exceptions are resource faults, without any privileges.


def _caused(error: BaseException, cause: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(OSError(errno.ENOSPC, "No space left"), InsufficientStorage, id="enospc"),
        pytest.param(OSError(errno.EDQUOT, "Quota exceeded"), InsufficientStorage, id="edquot"),
        pytest.param(OSError(errno.EROFS, "Read-only file system"), Unavailable, id="erofs"),
        pytest.param(PermissionError(errno.EACCES, "Permission denied"), Unavailable, id="eacces"),
        pytest.param(
            _caused(RuntimeError("wrapped"), OSError(errno.ENOSPC, "full")), InsufficientStorage, id="cause"
        ),
        pytest.param(ExceptionGroup("group", [OSError(errno.EROFS, "ro")]), Unavailable, id="group"),
        pytest.param(OSError(errno.ENOENT, "No such file"), None, id="enoent"),
        pytest.param(ValueError("a bug"), None, id="bug"),
    ],
)
def test_resource_fault_classifies_operating_system_errors(
    error: BaseException, expected: type[Exception] | None
) -> None:
    fault = resource_fault(error)
    assert (type(fault) if fault is not None else None) is expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        pytest.param("PRAGMA query_only = ON; CREATE TABLE t (x)", Unavailable, id="readonly"),
        pytest.param("SELECT * FROM no_such_table", None, id="bug"),
    ],
)
def test_resource_fault_classifies_sqlite_errors(
    tmp_path: Path, statement: str, expected: type[Exception] | None
) -> None:
    with sqlite3.connect(tmp_path / "db") as db, pytest.raises(sqlite3.Error) as raised:
        db.executescript(statement)
    fault = resource_fault(raised.value)
    assert (type(fault) if fault is not None else None) is expected


def test_unavailable_always_says_when_to_retry() -> None:
    assert Unavailable().headers["Retry-After"] == "5"
    assert Unavailable(headers={"Retry-After": "30"}).headers["Retry-After"] == "30"
    assert (InsufficientStorage.status, InsufficientStorage.code) == (507, "insufficient_storage")
