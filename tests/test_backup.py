"""`backup` and `restore`: a consistent copy taken while the server writes, and its refusals."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import random
import sqlite3
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from app.storage import backup as backup_module
from app.storage.backup import MANIFEST, BackupFailed, backup, integrity_problems, restore
from tests.conftest import Harness, ServerFactory, running, settings_for
from tests.test_cli import darkroom


def jpeg(seed: int) -> bytes:
    """A small JPEG of noise, different for every seed (so every upload is its own file)."""
    noise = random.Random(seed).randbytes(48 * 32 * 3)
    image = Image.frombytes("RGB", (48, 32), noise).resize((96, 64))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


async def upload(server: Harness, seed: int) -> dict[str, Any]:
    """Upload a fresh image through a ticket; the finished operation."""
    ticket = await server.write("POST", "/v1/uploads", json={"filename": f"{seed}.jpg", "title": f"#{seed}"})
    assert ticket.status_code == 201, ticket.text
    answer = ticket.json()
    sent = await server.client.post(
        answer["upload_url"],
        data=answer["fields"],
        files={answer["file_field"]: (f"{seed}.jpg", jpeg(seed), "image/jpeg")},
        headers={"Authorization": ""},
    )
    assert sent.status_code == 202, sent.text
    return await server.wait_operation(sent.json()["uuid"], seconds=30)


async def uploaded(server: Harness, seed: int) -> str:
    operation = await upload(server, seed)
    assert operation["status"] == "succeeded", operation
    image_uuid: str = operation["result"]["image_public_uuid"]
    return image_uuid


async def run_cli(*args: str) -> tuple[int, str, str]:
    """`python -m app ...` without blocking the loop that serves the writes meanwhile."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def keep_writing(server: Harness, stop: asyncio.Event, counter: list[int]) -> None:
    """Uploads, title changes and deletions, until told to stop: files appear and vanish."""
    seed = 1000
    while not stop.is_set():
        seed += 1
        image_uuid = await uploaded(server, seed)
        patched = await server.write("PATCH", f"/v1/images/{image_uuid}", json={"title": f"changed {seed}"})
        assert patched.status_code == 202, patched.text
        if seed % 2:
            deleted = await server.write("DELETE", f"/v1/images/{image_uuid}")
            assert deleted.status_code == 202, deleted.text
            await server.wait_operation(deleted.json()["uuid"])
        counter.append(seed)


async def served_files(client: httpx.AsyncClient, image: dict[str, Any]) -> int:
    """Fetch every version of an image; return how many were served with their own bytes."""
    count = 0
    for version in image["versions"]:
        response = await client.get(version["url"])
        assert response.status_code == 200, (version, response.text)
        assert len(response.content) == version["bytes"]
        count += 1
    return count


async def test_backup_while_writing_then_restore_serves_everything(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = await server_factory()
    before = [await uploaded(server, seed) for seed in range(4)]
    stop, written = asyncio.Event(), list[int]()
    load = asyncio.create_task(keep_writing(server, stop, written))
    try:
        await asyncio.sleep(0.3)
        dest = tmp_path / "backup"
        code, out, err = await run_cli(
            "backup", str(dest), "--json", "--data-dir", str(server.runtime.settings.data_dir)
        )
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        await load
    assert code == 0, err
    report = json.loads(out)
    assert report["status"] == "ok" and report["images"] >= len(before)
    assert written, "no write ran during the backup"
    manifest = json.loads((dest / MANIFEST).read_text())
    assert manifest["version"] == 1 and manifest["files"] == report["files"] > 0
    assert (dest / "secret").read_text() == (server.runtime.settings.data_dir / "secret").read_text()

    restored = tmp_path / "restored"
    code, out, err = await run_cli("restore", str(dest), "--json", "--data-dir", str(restored))
    assert code == 0, err
    assert json.loads(out)["images"] == report["images"]
    assert integrity_problems(restored / "darkroom.sqlite3") == []

    async with running(settings_for(restored)) as again:
        listed = (await again.client.get("/v1/images", params={"limit": 200})).json()
        uuids = {image["public_uuid"] for image in listed}
        assert set(before) <= uuids and len(uuids) == report["images"]
        versions = 0
        for image_uuid in uuids:
            image = (await again.client.get(f"/v1/images/{image_uuid}")).json()
            versions += await served_files(again.client, image)
        assert versions == report["versions"]
        operations = (await again.client.get("/v1/operations", params={"limit": 200})).json()
        assert len(operations) > 0
        # The restored server takes writes: the sweep at start kept every file it needs.
        await uploaded(again, 99)


async def test_backup_of_a_server_without_media(server: Harness, tmp_path: Path) -> None:
    dest = tmp_path / "empty-backup"
    manifest = await asyncio.to_thread(backup, server.runtime.settings.data_dir, dest)
    assert (manifest.images, manifest.files, manifest.file_bytes) == (0, 0, 0)
    assert not (dest / "media").exists()
    restored = tmp_path / "restored"
    await asyncio.to_thread(restore, dest, restored)
    async with running(settings_for(restored)) as again:
        assert again.token == server.token  # the dev token came along
        assert (await again.client.get("/v1/me")).status_code == 200


async def test_restore_refuses_a_data_dir_that_is_not_empty(server: Harness, tmp_path: Path) -> None:
    dest = tmp_path / "backup"
    result = await asyncio.to_thread(
        darkroom, "backup", str(dest), "--data-dir", str(server.runtime.settings.data_dir)
    )
    assert result.returncode == 0, result.stderr
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    refused = await asyncio.to_thread(darkroom, "restore", str(dest), "--data-dir", str(occupied))
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "not empty" in lines[0] and str(occupied) in lines[0]
    assert sorted(os.listdir(occupied)) == ["notes.txt"]
    data_dir = str(server.runtime.settings.data_dir)
    again = await asyncio.to_thread(darkroom, "backup", str(occupied), "--data-dir", data_dir)
    assert again.returncode == 2 and "not empty" in again.stderr
    assert sorted(os.listdir(occupied)) == ["notes.txt"]


def test_restore_refuses_what_is_not_a_finished_backup(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    result = darkroom("restore", str(tmp_path / "half"), "--json", "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2
    assert json.loads(result.stdout)["status"] == "refused"
    assert "backup.json" in result.stderr
    assert not (tmp_path / "data").exists()
    missing = darkroom("backup", str(tmp_path / "b"), "--data-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no database" in missing.stderr


async def test_restore_checks_the_files_and_leaves_nothing_when_one_is_missing(
    server: Harness, tmp_path: Path
) -> None:
    await uploaded(server, 7)
    dest = tmp_path / "backup"
    await asyncio.to_thread(backup, server.runtime.settings.data_dir, dest)
    victim = next(path for path in (dest / "media").rglob("*") if path.is_file())
    victim.unlink()
    restored = tmp_path / "restored"
    try:
        await asyncio.to_thread(restore, dest, restored)
    except BackupFailed as error:
        assert victim.name in str(error)
    else:
        raise AssertionError("restore accepted a backup without one of its files")
    assert not restored.exists()


async def test_restore_refuses_a_corrupt_database(server: Harness, tmp_path: Path) -> None:
    dest = tmp_path / "backup"
    await asyncio.to_thread(backup, server.runtime.settings.data_dir, dest)
    database = dest / "darkroom.sqlite3"
    with sqlite3.connect(database) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(database.read_bytes())
    digest = hashlib.sha256(data).digest()
    # Scribble over the second half of the file, sparing the header that says what it is.
    for offset in range(len(data) // 2, len(data), page_size):
        data[offset + 8 : offset + 40] = digest
    database.write_bytes(bytes(data))
    result = await asyncio.to_thread(darkroom, "restore", str(dest), "--data-dir", str(tmp_path / "r"))
    assert result.returncode == 1
    assert "integrity" in result.stderr or "malformed" in result.stderr, result.stderr
    assert not (tmp_path / "r").exists()


async def test_a_file_removed_after_the_database_copy_is_not_missed(
    server: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = await uploaded(server, 1)
    gone = await uploaded(server, 2)
    media = server.runtime.settings.media_root
    loop = asyncio.get_running_loop()
    real_copy = backup_module._copy_database
    copies: list[Path] = []

    async def delete_gone() -> None:
        files = sum(1 for path in media.rglob("*") if path.is_file())
        response = await server.write("DELETE", f"/v1/images/{gone}")
        await server.wait_operation(response.json()["uuid"])
        for _ in range(200):  # collection follows the commit
            if sum(1 for path in media.rglob("*") if path.is_file()) < files:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("the deleted image's files stayed")

    def copy_then_delete(live: Path, copy: Path) -> None:
        real_copy(live, copy)
        copies.append(copy)
        if len(copies) == 1:  # the first copy references files that now go away
            asyncio.run_coroutine_threadsafe(delete_gone(), loop).result(30)

    monkeypatch.setattr(backup_module, "_copy_database", copy_then_delete)
    manifest = await asyncio.to_thread(backup, server.runtime.settings.data_dir, tmp_path / "b")
    assert manifest.database_copies == 2
    assert manifest.images == 1
    restored = tmp_path / "restored"
    await asyncio.to_thread(restore, tmp_path / "b", restored)
    async with running(settings_for(restored)) as again:
        image = (await again.client.get(f"/v1/images/{kept}")).json()
        assert await served_files(again.client, image) == manifest.versions
        assert (await again.client.get(f"/v1/images/{gone}")).status_code == 404
