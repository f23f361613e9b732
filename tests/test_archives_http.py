"""Archives over HTTP: ZIPs of lists and sets, their entries, signed links, expiry, cancel, memory."""

from __future__ import annotations

import asyncio
import io
import threading
import time
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.archives import retention
from app.archives.zip_writer import ZipWriter
from app.http.routes.media import archive_path, signed_query
from app.storage import images_store
from app.timestamps import now, parse_time
from tests.conftest import Harness, ServerFactory
from tests.processor.conftest import CORPUS
from tests.test_uploads_http import upload

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the image corpus is missing")

VALID = CORPUS / "pillow" / "valid"
FLOWER, HOPPER_PNG, HOPPER_BMP = VALID / "flower.jpg", VALID / "hopper.png", VALID / "hopper.bmp"
FLOWER2 = VALID / "flower2.jpg"
MIB = 1024 * 1024


async def stored(server: Harness, path: Path) -> dict[str, Any]:
    """Upload a real file; the image as `GET /v1/images/{uuid}` shows it."""
    operation = await upload(server, path)
    assert operation["status"] == "succeeded", operation
    response = await server.client.get(f"/v1/images/{operation['result']['image_public_uuid']}")
    image: dict[str, Any] = response.json()
    return image


async def clone(server: Harness, image: dict[str, Any], filename: str | None, count: int = 1) -> list[str]:
    """More image rows sharing `image`'s stored original, in one transaction; their uuids."""
    fields = {name: image[name] for name in ("sha256", "format", "bytes", "width", "height")}
    account_id = await server.account_id()
    async with server.runtime.db.write() as tx:
        rows = [
            await images_store.insert(tx, account_id, {**fields, "filename": filename}) for _ in range(count)
        ]
    return [row.public_uuid for row in rows]


async def new_set(server: Harness, name: str, token: str | None = None) -> str:
    response = await server.write("POST", "/v1/sets", json={"name": name}, token=token)
    headers = {"Prefer": "wait=5", **({} if token is None else {"Authorization": f"Bearer {token}"})}
    operation = (await server.client.get(f"/v1/operations/{response.json()['uuid']}", headers=headers)).json()
    assert operation["status"] == "succeeded", operation
    set_uuid: str = operation["result"]["set_public_uuid"]
    return set_uuid


async def build(server: Harness, **body: Any) -> dict[str, Any]:
    """Ask for an archive; the finished operation."""
    response = await server.write("POST", "/v1/archives", json=body)
    assert response.status_code == 202, response.text
    return await server.wait_operation(response.json()["uuid"], seconds=30)


async def built(server: Harness, **body: Any) -> dict[str, Any]:
    """Ask for an archive that must succeed; the archive as `GET /v1/archives/{uuid}` shows it."""
    operation = await build(server, **body)
    assert operation["status"] == "succeeded", operation
    response = await server.client.get(f"/v1/archives/{operation['result']['archive_public_uuid']}")
    assert response.status_code == 200, response.text
    archive: dict[str, Any] = response.json()
    return archive


async def fetch(server: Harness, url: str) -> httpx.Response:
    return await server.client.get(url, headers={"Authorization": ""})


async def opened(server: Harness, archive: dict[str, Any]) -> zipfile.ZipFile:
    """The archive downloaded through its link, its every CRC checked."""
    response = await fetch(server, archive["url"])
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    assert len(response.content) == archive["bytes"]
    result = zipfile.ZipFile(io.BytesIO(response.content))
    assert result.testzip() is None
    return result


def archive_files(server: Harness) -> list[str]:
    """Every file under the archives folder, temporaries included."""
    root = server.runtime.settings.archives_dir
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


async def archive_rows(server: Harness) -> int:
    row = await server.runtime.db.fetch_one("SELECT count(*) AS n FROM archives")
    assert row is not None
    return int(row["n"])


# Lists and sets


async def test_an_archive_of_a_list_holds_the_originals_byte_for_byte(server: Harness) -> None:
    images = [await stored(server, path) for path in (FLOWER, HOPPER_PNG, HOPPER_BMP)]
    uuids = [image["public_uuid"] for image in images]
    operation = await build(server, image_public_uuids=uuids)
    assert operation["type"] == "archive"
    assert operation["image_public_uuids"] == uuids
    assert operation["progress"] == {"total": 3, "done": 3, "failed": 0}
    archive_uuid = operation["result"]["archive_public_uuid"]
    (listed,) = (await server.client.get("/v1/archives")).json()
    assert set(listed) == {
        "public_uuid",
        "filename",
        "url",
        "bytes",
        "image_count",
        "created_at",
        "expires_at",
    }
    assert listed["public_uuid"] == archive_uuid
    assert listed["image_count"] == 3
    assert listed["filename"] == f"archive-{now():%Y-%m-%d}.zip"
    lifetime = parse_time(listed["expires_at"]) - parse_time(listed["created_at"])
    assert lifetime == timedelta(days=7)
    with await opened(server, listed) as archive:
        assert archive.namelist() == ["flower.jpg", "hopper.png", "hopper.bmp"]
        for path in (FLOWER, HOPPER_PNG, HOPPER_BMP):
            assert archive.read(path.name) == path.read_bytes()
        kinds = {info.filename: info.compress_type for info in archive.infolist()}
    assert kinds == {
        "flower.jpg": zipfile.ZIP_STORED,
        "hopper.png": zipfile.ZIP_STORED,
        "hopper.bmp": zipfile.ZIP_DEFLATED,
    }
    download = await fetch(server, listed["url"])
    assert f'filename="{listed["filename"]}"' in download.headers["Content-Disposition"]
    assert archive_files(server) == [f"{archive_uuid}.zip"]


async def test_an_archive_of_a_set_follows_its_order_and_is_named_after_it(server: Harness) -> None:
    flower, hopper = await stored(server, FLOWER), await stored(server, HOPPER_PNG)
    set_uuid = await new_set(server, "Summer / 2024")
    order = [hopper["public_uuid"], flower["public_uuid"]]
    added = await server.write("POST", f"/v1/sets/{set_uuid}/images", json={"image_public_uuids": order})
    assert (await server.wait_operation(added.json()["uuid"]))["status"] == "succeeded"
    operation = await build(server, set_public_uuid=set_uuid)
    assert operation["image_public_uuids"] == order
    archive = await built(server, set_public_uuid=set_uuid)
    assert archive["filename"] == "Summer _ 2024.zip"
    with await opened(server, archive) as zipped:
        assert zipped.namelist() == ["hopper.png", "flower.jpg"]
        assert zipped.read("flower.jpg") == FLOWER.read_bytes()


async def test_entry_names_are_unique_and_safe(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    uuids = [flower["public_uuid"]]
    for filename in ["flower.jpg", "FLOWER.JPG", "../../etc/passwd", "a\x01b\\c.jpg", None]:
        uuids += await clone(server, flower, filename)
    archive = await built(server, image_public_uuids=uuids)
    with await opened(server, archive) as zipped:
        assert zipped.namelist() == [
            "flower.jpg",
            "flower (2).jpg",
            "FLOWER (3).JPG",
            "_._etc_passwd",
            "a_b_c.jpg",
            f"{uuids[-1]}.jpg",
        ]
        assert all(zipped.read(name) == FLOWER.read_bytes() for name in zipped.namelist())
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zipped.infolist())


async def test_a_version_of_each_image(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    archive = await built(server, image_public_uuids=[flower["public_uuid"]], version="thumb")
    thumb = next(version for version in flower["versions"] if version["name"] == "thumb")
    with await opened(server, archive) as zipped:
        assert zipped.namelist() == ["flower_thumb.jpg"]
        assert zipped.read("flower_thumb.jpg") == (await fetch(server, thumb["url"])).content


async def test_images_lacking_the_version_fail_the_archive_naming_them(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    cropped = await server.write(
        "PUT",
        f"/v1/images/{flower['public_uuid']}/crop",
        json={"aspect": "1:1", "x": 0, "y": 0, "width": 50, "height": 50},
    )
    assert (await server.wait_operation(cropped.json()["uuid"]))["status"] == "succeeded"
    (bare,) = await clone(server, flower, "bare.jpg")
    no_file = (await server.create_image()).public_uuid
    operation = await build(server, image_public_uuids=[flower["public_uuid"], bare], version="crop_1x1")
    assert operation["status"] == "failed"
    assert operation["error"]["code"] == "version_not_found"
    assert operation["error"]["items"] == [
        {
            "index": 1,
            "image_public_uuid": bare,
            "code": "version_not_found",
            "message": "The image has no crop_1x1 version.",
        }
    ]
    assert operation["progress"]["failed"] == 1
    originals = await build(server, image_public_uuids=[bare, no_file])
    assert originals["status"] == "failed"
    assert [(item["index"], item["code"]) for item in originals["error"]["items"]] == [(1, "no_file")]
    assert archive_files(server) == []
    assert await archive_rows(server) == 0
    assert (await built(server, image_public_uuids=[flower["public_uuid"]], version="crop_1x1"))[
        "image_count"
    ] == 1


async def test_the_filename_gets_zip_appended(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    uuids = [flower["public_uuid"]]
    assert (await built(server, image_public_uuids=uuids, filename="Holiday"))["filename"] == "Holiday.zip"
    assert (await built(server, image_public_uuids=uuids, filename="Best.ZIP"))["filename"] == "Best.ZIP"
    assert (await built(server, image_public_uuids=uuids, filename="été.2024"))["filename"] == "été.2024.zip"


# Checks made at once


async def test_requests_are_checked_at_once(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    mine = flower["public_uuid"]
    other_token = await server.new_token(account="other")
    theirs = await server.create_image(account="other")
    their_set = await new_set(server, "Theirs", token=other_token)
    empty_set = await new_set(server, "Empty")
    cases: list[tuple[dict[str, Any], int, str, str | None]] = [
        ({}, 400, "validation", None),
        ({"image_public_uuids": [mine], "set_public_uuid": empty_set}, 400, "validation", None),
        ({"image_public_uuids": []}, 400, "validation", "image_public_uuids"),
        ({"image_public_uuids": [mine, "nope", theirs.public_uuid]}, 400, "validation", "image_public_uuids"),
        ({"set_public_uuid": their_set}, 404, "set_not_found", None),
        ({"set_public_uuid": empty_set}, 400, "validation", "set_public_uuid"),
        ({"image_public_uuids": [mine], "version": "poster"}, 400, "validation", "version"),
        ({"image_public_uuids": [mine], "version": "crop_"}, 400, "validation", "version"),
        ({"image_public_uuids": [mine], "filename": "a/b"}, 400, "validation", "filename"),
        ({"image_public_uuids": [mine], "filename": "a\nb"}, 400, "validation", "filename"),
        ({"image_public_uuids": [mine], "filename": ""}, 400, "validation", "filename"),
        ({"image_public_uuids": [mine], "format": "tar"}, 400, "validation", "format"),
    ]
    for body, status, code, field in cases:
        response = await server.write("POST", "/v1/archives", json=body)
        assert response.status_code == status, (body, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == (code, field), body
    missing = await server.write(
        "POST", "/v1/archives", json={"image_public_uuids": [mine, "nope", theirs.public_uuid]}
    )
    assert missing.json()["error"]["detail"] == {"missing": ["nope", theirs.public_uuid]}
    reader = await server.new_token(scopes=["api.images.read"])
    denied = await server.write("POST", "/v1/archives", json={"image_public_uuids": [mine]}, token=reader)
    assert denied.status_code == 403
    no_key = await server.client.post("/v1/archives", json={"image_public_uuids": [mine]})
    assert no_key.status_code == 400 and no_key.json()["error"]["field"] == "Idempotency-Key"
    operations = (await server.client.get("/v1/operations", params={"type": "archive"})).json()
    assert operations == []


async def test_a_replayed_request_makes_one_archive(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    body = {"image_public_uuids": [flower["public_uuid"]]}
    first = await server.write("POST", "/v1/archives", json=body, key="zip-1")
    again = await server.write("POST", "/v1/archives", json=body, key="zip-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["uuid"] == first.json()["uuid"]
    await server.wait_operation(first.json()["uuid"])
    assert len((await server.client.get("/v1/archives")).json()) == 1


# Reading archives


async def test_lists_are_newest_first_paged_and_cacheable(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    uuids = [
        (await built(server, image_public_uuids=[flower["public_uuid"]]))["public_uuid"] for _ in range(3)
    ]
    first = await server.client.get("/v1/archives", params={"limit": 2})
    assert [archive["public_uuid"] for archive in first.json()] == uuids[:0:-1]
    assert first.headers["X-Has-More"] == "true" and first.headers["X-Next-Offset"] == "2"
    rest = await server.client.get("/v1/archives", params={"limit": 2, "offset": 2})
    assert [archive["public_uuid"] for archive in rest.json()] == uuids[:1]
    assert rest.headers["X-Has-More"] == "false"
    cached = await server.client.get(
        "/v1/archives", params={"limit": 2}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert cached.status_code == 304
    bad = await server.client.get("/v1/archives", params={"limit": 0})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "limit"


async def test_another_accounts_archives_are_invisible(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    archive = await built(server, image_public_uuids=[flower["public_uuid"]])
    other = {"Authorization": f"Bearer {await server.new_token(account='other')}"}
    assert (await server.client.get("/v1/archives", headers=other)).json() == []
    response = await server.client.get(f"/v1/archives/{archive['public_uuid']}", headers=other)
    assert response.status_code == 404 and response.json()["error"]["code"] == "archive_not_found"
    unknown = await server.client.get("/v1/archives/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404


async def test_links_are_signed(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    archive = await built(server, image_public_uuids=[flower["public_uuid"]])
    url: str = archive["url"]
    assert url.startswith(f"http://testserver/media/private/archives/{archive['public_uuid']}.zip?")
    expires = int(parse_time(archive["expires_at"]).timestamp())
    assert f"exp={expires}" in url
    other_uuid = "00000000-0000-4000-8000-000000000000"
    tampered = [
        url.replace("sig=", "sig=0"),
        url.replace(f"exp={expires}", f"exp={expires + 1}"),
        url.replace("filename=", "filename=x"),
        url.replace("type=application%2Fzip", "type=text%2Fhtml"),
        url.replace(archive["public_uuid"], other_uuid),
        url.split("?")[0],
    ]
    for link in tampered:
        response = await fetch(server, link)
        assert response.status_code == 403, link
        assert response.json()["error"]["code"] == "forbidden"
    path = archive_path(archive["public_uuid"])
    secret = server.runtime.secret
    past = signed_query(
        secret, path, media_type="application/zip", filename=archive["filename"], expires=int(time.time()) - 1
    )
    assert (await fetch(server, f"{path}?{past}")).status_code == 403
    ok = await fetch(server, url)
    assert ok.status_code == 200
    assert (await server.client.get(url, headers={"If-None-Match": ok.headers["ETag"]})).status_code == 304
    part = await server.client.get(url, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == b"PK\x03\x04"


# Expiry and what crashes leave


async def test_expired_archives_go_with_their_file(server_factory: ServerFactory) -> None:
    server = await server_factory(archive_ttl=1.0)
    flower = await stored(server, FLOWER)
    archive = await built(server, image_public_uuids=[flower["public_uuid"]])
    assert archive_files(server) == [f"{archive['public_uuid']}.zip"]
    assert await retention.sweep(server.runtime.db, server.runtime.archives) == 0
    await asyncio.sleep(max(0.0, (parse_time(archive["expires_at"]) - now()).total_seconds()) + 0.05)
    assert (await server.client.get("/v1/archives")).json() == []  # hidden once expired
    assert await retention.sweep(server.runtime.db, server.runtime.archives) == 1
    assert archive_files(server) == []
    assert await archive_rows(server) == 0
    assert (await fetch(server, archive["url"])).status_code == 403


async def test_start_up_removes_unfinished_and_unclaimed_files(server: Harness) -> None:
    flower = await stored(server, FLOWER)
    archive = await built(server, image_public_uuids=[flower["public_uuid"]])
    root = server.runtime.settings.archives_dir
    (root / ".tmp" / ".tmp-interrupted").write_bytes(b"PK half")
    (root / "11111111-1111-4111-8111-111111111111.zip").write_bytes(b"PK never committed")
    assert await retention.sweep_at_start(server.runtime.db, server.runtime.archives) == 2
    assert archive_files(server) == [f"{archive['public_uuid']}.zip"]


# Cancel and scale


async def test_a_canceled_archive_leaves_no_file_and_no_row(
    server: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    flower = await stored(server, FLOWER)
    uuids = [flower["public_uuid"], *await clone(server, flower, "more.jpg", count=4)]
    first_written, go_on = threading.Event(), threading.Event()
    add = ZipWriter.add

    def held_add(writer: ZipWriter, *args: Any, **kwargs: Any) -> int:
        size = add(writer, *args, **kwargs)
        first_written.set()
        go_on.wait(10)
        return size

    monkeypatch.setattr(ZipWriter, "add", held_add)
    response = await server.write("POST", "/v1/archives", json={"image_public_uuids": uuids})
    uuid = response.json()["uuid"]
    assert await asyncio.to_thread(first_written.wait, 10)
    assert any(name.startswith(".tmp/") for name in archive_files(server))  # being written
    canceled = await server.client.post(f"/v1/operations/{uuid}/cancel")
    assert canceled.status_code == 202
    go_on.set()
    operation = await server.wait_operation(uuid)
    assert operation["status"] == "canceled"
    assert operation["result"]["rolled_back"] is True
    assert operation["progress"]["done"] == 1
    assert archive_files(server) == []
    assert await archive_rows(server) == 0
    assert (await server.client.get("/v1/archives")).json() == []


async def test_500_images_make_a_valid_zip_in_flat_memory(server: Harness) -> None:
    originals = {path: await stored(server, path) for path in (FLOWER2, HOPPER_PNG, HOPPER_BMP)}
    uuids: list[str] = []
    for image in originals.values():
        uuids += await clone(server, image, image["filename"], count=167)
    uuids = uuids[:500]
    tracemalloc.start()
    try:
        operation = await build(server, image_public_uuids=uuids)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert operation["status"] == "succeeded", operation
    response = await server.client.get(f"/v1/archives/{operation['result']['archive_public_uuid']}")
    archive = response.json()
    assert archive["image_count"] == 500
    assert archive["bytes"] > 20 * MIB
    # Everything the server allocated (requests, polls, engine, the writer's thread) while it built.
    assert peak < 4 * MIB, f"peak {peak / MIB:.1f} MiB"
    with await opened(server, archive) as zipped:
        names = zipped.namelist()
        assert len(set(names)) == 500
        assert names[:3] == ["flower2.jpg", "flower2 (2).jpg", "flower2 (3).jpg"]
        contents = {path.read_bytes() for path in originals}
        assert all(zipped.read(name) in contents for name in names)
