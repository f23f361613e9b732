"""Uploads over HTTP end to end: tickets, the file, src fetching, versions served, downloads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from tests.conftest import Harness, ServerFactory
from tests.processor.conftest import CORPUS
from tests.processor.source_server import SourceServer, serving

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the image corpus is missing")

FLOWER = CORPUS / "pillow" / "valid" / "flower.jpg"


async def ticket(server: Harness, **body: Any) -> dict[str, Any]:
    body.setdefault("filename", "flower.jpg")
    response = await server.write("POST", "/v1/uploads", json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def send(server: Harness, answer: dict[str, Any], path: Path) -> httpx.Response:
    return await server.client.post(
        answer["upload_url"],
        data=answer["fields"],
        files={answer["file_field"]: (path.name, path.read_bytes(), "application/octet-stream")},
        headers={"Authorization": ""},
    )


async def upload(server: Harness, path: Path = FLOWER, **body: Any) -> dict[str, Any]:
    """Upload through a ticket; the finished operation."""
    response = await send(server, await ticket(server, filename=path.name, **body), path)
    assert response.status_code == 202, response.text
    return await server.wait_operation(response.json()["uuid"], seconds=30)


async def test_ticket_is_signed_strings_with_an_absolute_url(server: Harness) -> None:
    answer = await ticket(server, title="Flower", keywords=["spring"])
    assert answer["upload_url"] == "http://testserver/v1/uploads/file"
    assert answer["file_field"] == "file"
    assert all(isinstance(value, str) for value in answer["fields"].values())
    assert answer["fields"]["transaction_uuid"] == answer["transaction_uuid"]
    assert answer["expires_at"].endswith("Z")


async def test_ticket_request_is_validated_and_idempotent(server: Harness) -> None:
    bad = await server.write("POST", "/v1/uploads", json={"filename": "a.jpg", "title": "x" * 192})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "title"
    missing = await server.write("POST", "/v1/uploads", json={"title": "no filename"})
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "filename"
    no_set = await server.write("POST", "/v1/uploads", json={"filename": "a.jpg", "set_public_uuid": "nope"})
    assert no_set.json()["error"]["field"] == "set_public_uuid"
    first = await server.write("POST", "/v1/uploads", json={"filename": "a.jpg"}, key="t-1")
    again = await server.write("POST", "/v1/uploads", json={"filename": "a.jpg"}, key="t-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = await server.write("POST", "/v1/uploads", json={"filename": "b.jpg"}, key="t-1")
    assert other.status_code == 409


async def test_upload_makes_an_image_with_versions(server: Harness) -> None:
    operation = await upload(server, title="Flower", keywords=["spring", "garden:tulips"])
    assert operation["type"] == "upload"
    assert operation["status"] == "succeeded", operation
    image_uuid = operation["result"]["image_public_uuid"]
    assert operation["image_public_uuids"] == [image_uuid]
    image = (await server.client.get(f"/v1/images/{image_uuid}")).json()
    assert image["title"] == "Flower"
    assert image["filename"] == "flower.jpg"
    assert image["format"] == "jpeg"
    assert image["bytes"] == FLOWER.stat().st_size
    assert [k["value"] for k in image["keywords"]] == ["spring", "tulips"]
    names = [version["name"] for version in image["versions"]]
    assert "thumb" in names
    thumb = next(v for v in image["versions"] if v["name"] == "thumb")
    assert max(thumb["width"], thumb["height"]) <= 256
    listed = (await server.client.get(f"/v1/images/{image_uuid}/versions")).json()
    assert listed == image["versions"]


async def test_versions_are_served_immutable_with_etag_and_ranges(server: Harness) -> None:
    operation = await upload(server)
    image = (await server.client.get(f"/v1/images/{operation['result']['image_public_uuid']}")).json()
    url = image["versions"][0]["url"]
    response = await server.client.get(url, headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.content[:3] == b"\xff\xd8\xff"
    etag = response.headers["ETag"]
    cached = await server.client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    part = await server.client.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.content == response.content[:10]
    assert (await server.client.get("/media/" + "0" * 64 + ".jpeg")).status_code == 404
    # Originals have no extension and are never public.
    sha = image["sha256"]
    assert (await server.client.get(f"/media/{sha}")).status_code == 404


async def test_a_ticket_is_good_for_one_file(server: Harness) -> None:
    answer = await ticket(server)
    first = await send(server, answer, FLOWER)
    second = await send(server, answer, CORPUS / "pillow" / "valid" / "hopper.jpg")
    assert second.status_code == 202
    assert second.json()["uuid"] == first.json()["uuid"]
    assert second.headers["Idempotent-Replayed"] == "true"


async def test_a_tampered_ticket_is_403(server: Harness) -> None:
    answer = await ticket(server)
    answer["fields"]["filename"] = "other.jpg"
    response = await send(server, answer, FLOWER)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_an_upload_over_the_source_limit_is_413(server_factory: ServerFactory) -> None:
    server = await server_factory(max_source_bytes=1000)
    response = await send(server, await ticket(server), FLOWER)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not list((server.runtime.settings.incoming_dir).glob("*"))


@pytest.mark.parametrize(
    ("name", "code"),
    [("hopper.psd", "unsupported_format"), ("hopper.ico", "unsupported_format")],
)
async def test_unsupported_files_fail_with_an_item_error(server: Harness, name: str, code: str) -> None:
    operation = await upload(server, CORPUS / "pillow" / "valid" / name)
    assert operation["status"] == "failed"
    assert operation["error"]["code"] == code
    assert operation["error"]["items"][0]["code"] == code
    assert (await server.client.get("/v1/images")).json() == []
    assert not list(server.runtime.settings.incoming_dir.glob("*"))


async def test_every_hostile_file_gets_a_clean_answer(server_factory: ServerFactory) -> None:
    server = await server_factory(process_timeout=10.0)
    hostile = sorted((CORPUS / "pillow" / "hostile").iterdir())
    hostile += sorted((CORPUS / "pngsuite").glob("x*.png"))
    for path in hostile:
        if not path.is_file() or path.name.endswith(".txt"):
            continue
        operation = await upload(server, path)
        assert operation["status"] in ("succeeded", "failed"), path
        if operation["status"] == "failed":
            assert operation["error"]["code"] in (
                "decode_failed",
                "unsupported_format",
                "image_too_large",
                "process_timeout",
            ), (path, operation["error"])
    # The workers survived it all: a good file still goes through.
    assert (await upload(server))["status"] == "succeeded"


async def test_the_same_file_twice_is_two_images_on_one_original(server: Harness) -> None:
    first = await upload(server)
    second = await upload(server)
    one = first["result"]["image_public_uuid"]
    two = second["result"]["image_public_uuid"]
    assert one != two
    sha = (await server.client.get(f"/v1/images/{one}")).json()["sha256"]
    assert (await server.client.get(f"/v1/images/{two}")).json()["sha256"] == sha
    original = server.runtime.media.store.path_for(sha)
    assert original.is_file()
    # Deleting one keeps the shared original; deleting both removes every file.
    deleted = await server.write("DELETE", f"/v1/images/{one}")
    await server.wait_operation(deleted.json()["uuid"])
    assert original.is_file()
    deleted = await server.write("DELETE", f"/v1/images/{two}")
    await server.wait_operation(deleted.json()["uuid"])
    # Files are collected just after the operation commits.
    media = server.runtime.settings.media_root
    for _ in range(50):
        if not [p for p in media.rglob("*") if p.is_file()]:
            break
        await asyncio.sleep(0.05)
    assert not original.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


async def test_orientation_comes_out_upright(server: Harness) -> None:
    sizes = set()
    for number in range(1, 9):
        operation = await upload(server, CORPUS / "exif-orientation" / f"Landscape_{number}.jpg")
        image = (await server.client.get(f"/v1/images/{operation['result']['image_public_uuid']}")).json()
        sizes.add((image["width"], image["height"]))
    assert len(sizes) == 1
    ((width, height),) = sizes
    assert width > height


async def test_gps_is_read_into_geo_filters(server: Harness, tmp_path: Path) -> None:
    # The corpus's GPS sample is a fuzzing find with no usable position: make a real one.
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (41.0, 8.0, 24.0), 3: "W", 4: (8.0, 36.0, 36.0)}
    path = tmp_path / "porto.jpg"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(path, "JPEG", exif=exif)
    operation = await upload(server, path)
    await upload(server)  # without GPS
    image_uuid = operation["result"]["image_public_uuid"]
    found = (await server.client.get("/v1/images", params={"has_geo": "true"})).json()
    assert [image["public_uuid"] for image in found] == [image_uuid]
    assert (found[0]["exif"]["lat"], found[0]["exif"]["lon"]) == (41.14, -8.61)
    boxed = (await server.client.get("/v1/images", params={"bbox": "-9,41,-8,42"})).json()
    assert [image["public_uuid"] for image in boxed] == [image_uuid]


async def test_downloads_are_signed_and_expiring_links(server: Harness) -> None:
    operation = await upload(server)
    image_uuid = operation["result"]["image_public_uuid"]
    response = await server.client.post("/v1/downloads", json={"image_public_uuid": image_uuid})
    assert response.status_code == 200, response.text
    link = response.json()
    assert link["access"] == "private"
    assert link["filename"] == "flower.jpg"
    original = await server.client.get(link["url"], headers={"Authorization": ""})
    assert original.status_code == 200
    assert original.content == FLOWER.read_bytes()
    assert "flower.jpg" in original.headers["Content-Disposition"]
    forged = await server.client.get(link["url"].replace("sig=", "sig=0"))
    assert forged.status_code == 403
    version = await server.client.post(
        "/v1/downloads", json={"image_public_uuid": image_uuid, "version": "thumb"}
    )
    thumb = await server.client.get(version.json()["url"])
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    unknown = await server.client.post(
        "/v1/downloads", json={"image_public_uuid": image_uuid, "version": "poster"}
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "version"
    no_scope = await server.new_token(scopes=["api.images.read"])
    denied = await server.client.post(
        "/v1/downloads",
        json={"image_public_uuid": image_uuid},
        headers={"Authorization": f"Bearer {no_scope}"},
    )
    assert denied.status_code == 403


@pytest.fixture(scope="module")
def source_server() -> Any:
    with serving() as server:
        yield server


async def test_upload_from_a_url(server_factory: ServerFactory, source_server: SourceServer) -> None:
    server = await server_factory(allow_private_sources="127.0.0.0/8")
    response = await server.write(
        "POST", "/v1/uploads/url", json={"src": source_server.url("/image.png"), "title": "Red"}
    )
    assert response.status_code == 202, response.text
    operation = await server.wait_operation(response.json()["uuid"], seconds=30)
    assert operation["status"] == "succeeded", operation
    image = (await server.client.get(f"/v1/images/{operation['result']['image_public_uuid']}")).json()
    assert image["src"] == source_server.url("/image.png")
    assert image["filename"] == "image.png"
    assert image["format"] == "png"


@pytest.mark.parametrize(
    ("src", "code"),
    [
        ("file:///etc/passwd", "src_scheme"),
        ("ftp://127.0.0.1/a.jpg", "src_scheme"),
        ("http://127.0.0.1:9/never", "src_forbidden"),
    ],
)
async def test_upload_from_a_bad_url_fails_with_its_code(server: Harness, src: str, code: str) -> None:
    response = await server.write("POST", "/v1/uploads/url", json={"src": src})
    operation = await server.wait_operation(response.json()["uuid"])
    assert operation["status"] == "failed"
    assert operation["error"]["code"] == code


async def test_a_404_source_is_src_http_error(
    server_factory: ServerFactory, source_server: SourceServer
) -> None:
    server = await server_factory(allow_private_sources="127.0.0.0/8")
    response = await server.write("POST", "/v1/uploads/url", json={"src": source_server.url("/status/404")})
    operation = await server.wait_operation(response.json()["uuid"], seconds=30)
    assert operation["error"]["code"] == "src_http_error"
    assert "404" in operation["error"]["message"]


async def test_start_up_sweeps_what_crashes_leave(server_factory: ServerFactory) -> None:
    server = await server_factory()
    await upload(server)
    media = server.runtime.settings.media_root
    stray_temporary = media / ".tmp" / ".tmp-leftover"
    stray_temporary.parent.mkdir(parents=True, exist_ok=True)
    stray_temporary.write_bytes(b"half")
    orphan = server.runtime.media.store.path_for("a" * 64, "jpeg")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"nobody's")
    incoming = server.runtime.settings.incoming_dir / "stray-upload"
    incoming.parent.mkdir(parents=True, exist_ok=True)
    incoming.write_bytes(b"abandoned")
    await server.runtime.media.sweep()
    from app.operations.types.upload import sweep_incoming

    await sweep_incoming(server.runtime.db, server.runtime.settings.incoming_dir)
    assert not stray_temporary.exists()
    assert not orphan.exists()
    assert not incoming.exists()
    images = (await server.client.get("/v1/images")).json()
    sha = images[0]["sha256"]
    assert server.runtime.media.store.path_for(sha).is_file()


async def test_ticket_records_expire_with_idempotency_keys(server_factory: ServerFactory) -> None:
    from app.operations.retention import sweep

    server = await server_factory(idempotency_ttl=0.2)
    first = await server.write("POST", "/v1/uploads", json={"filename": "a.jpg"}, key="t")
    await asyncio.sleep(0.3)
    runtime = server.runtime
    await sweep(runtime.db, runtime.watch, operation_ttl=3600, idempotency_ttl=0.2)
    row = await runtime.db.fetch_one("SELECT count(*) AS n FROM upload_tickets")
    assert row is not None and row["n"] == 0
    again = await server.write("POST", "/v1/uploads", json={"filename": "a.jpg"}, key="t")
    assert again.json()["transaction_uuid"] != first.json()["transaction_uuid"]
