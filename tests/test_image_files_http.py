"""Operations on an image's files over HTTP: rotation, regenerate, crops, extract_metadata."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import Harness, running, settings_for
from tests.processor.conftest import CORPUS
from tests.processor.test_metadata import XMP
from tests.test_uploads_http import FLOWER, upload

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the image corpus is missing")


async def image_of(server: Harness, operation: dict[str, Any]) -> dict[str, Any]:
    uuid = operation["result"]["image_public_uuid"]
    body: dict[str, Any] = (await server.client.get(f"/v1/images/{uuid}")).json()
    return body


async def done(server: Harness, method: str, url: str, body: Any = None) -> dict[str, Any]:
    response = await server.write(method, url, json=body)
    assert response.status_code == 202, response.text
    return await server.wait_operation(response.json()["uuid"], seconds=30)


def version(image: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for v in image["versions"] if v["name"] == name)
    return found


async def files_under(path: Path) -> set[Path]:
    await asyncio.sleep(0.2)  # collection follows the commit
    return {p for p in path.rglob("*") if p.is_file() and ".tmp" not in p.parts}


async def test_rotation_renders_versions_again(server: Harness) -> None:
    image = await image_of(server, await upload(server))
    thumb = version(image, "thumb")
    operation = await done(server, "PATCH", f"/v1/images/{image['public_uuid']}", {"rotation": 90})
    assert operation["status"] == "succeeded", operation
    turned = (await server.client.get(f"/v1/images/{image['public_uuid']}")).json()
    assert (turned["width"], turned["height"]) == (image["height"], image["width"])
    assert turned["rotation"] == 90
    new_thumb = version(turned, "thumb")
    assert (new_thumb["width"], new_thumb["height"]) == (thumb["height"], thumb["width"])
    served = await server.client.get(new_thumb["url"])
    with Image.open(__import__("io").BytesIO(served.content)) as decoded:
        assert decoded.size == (new_thumb["width"], new_thumb["height"])
    # The old versions' files are gone: only the original and the new versions remain
    # (versions with the same bytes share one file).
    files = await files_under(server.runtime.settings.media_root)
    assert len(files) == 1 + len({v["url"] for v in turned["versions"]})


async def test_rotation_drops_crops(server: Harness) -> None:
    image = await image_of(server, await upload(server))
    url = f"/v1/images/{image['public_uuid']}"
    await done(server, "PUT", f"{url}/crop", {"aspect": "1:1", "x": 0, "y": 0, "width": 50, "height": 50})
    await done(server, "PATCH", url, {"rotation": 180})
    names = [v["name"] for v in (await server.client.get(url)).json()["versions"]]
    assert "crop_1x1" not in names


async def test_crop_makes_a_version_and_delete_removes_it(server: Harness) -> None:
    image = await image_of(server, await upload(server))
    url = f"/v1/images/{image['public_uuid']}/crop"
    box = {"aspect": "16:9", "x": 10, "y": 10, "width": 160, "height": 90}
    operation = await done(server, "PUT", url, box)
    assert operation["type"] == "crop" and operation["status"] == "succeeded", operation
    cropped = version((await server.client.get(f"/v1/images/{image['public_uuid']}")).json(), "crop_16x9")
    assert (cropped["width"], cropped["height"]) == (160, 90)
    assert (await server.client.get(cropped["url"])).status_code == 200
    outside = {**box, "x": image["width"] - 10}
    refused = await server.write("PUT", url, json=outside)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "width"
    for bad in ({**box, "aspect": "wide"}, {**box, "width": 0}, {**box, "x": -1}, {**box, "x": 1.5}):
        response = await server.write("PUT", url, json=bad)
        assert response.status_code == 400, bad
    deleted = await done(server, "DELETE", url, {"aspect": "16:9"})
    assert deleted["type"] == "crop_delete" and deleted["result"]["deleted"] is True
    names = [
        v["name"] for v in (await server.client.get(f"/v1/images/{image['public_uuid']}")).json()["versions"]
    ]
    assert "crop_16x9" not in names
    again = await server.write("DELETE", url, json={"aspect": "16:9"})
    assert again.status_code == 400 and again.json()["error"]["field"] == "aspect"


async def test_regenerate_rebuilds_with_new_profiles(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with running(settings_for(data_dir)) as server:
        first = await image_of(server, await upload(server))
        await done(
            server,
            "PUT",
            f"/v1/images/{first['public_uuid']}/crop",
            {"aspect": "1:1", "x": 0, "y": 0, "width": 60, "height": 60},
        )
        second = await image_of(server, await upload(server, CORPUS / "pillow" / "valid" / "hopper.jpg"))
    async with running(settings_for(data_dir, versions="tiny:64:jpeg,poster:300:webp")) as server:
        response = await server.write(
            "POST",
            "/v1/images/regenerate",
            json={"image_public_uuids": [first["public_uuid"], second["public_uuid"]]},
        )
        operation = await server.wait_operation(response.json()["uuid"], seconds=30)
        assert operation["type"] == "regenerate_versions"
        assert operation["status"] == "succeeded", operation
        assert operation["progress"] == {"total": 2, "done": 2, "failed": 0}
        rebuilt = (await server.client.get(f"/v1/images/{first['public_uuid']}")).json()
        assert [v["name"] for v in rebuilt["versions"]] == ["tiny", "poster", "crop_1x1"]
        assert version(rebuilt, "poster")["format"] == "webp"
        files = await files_under(server.runtime.settings.media_root)
        # Two originals and the new versions: the old versions were collected.
        urls = set()
        for uuid in (first["public_uuid"], second["public_uuid"]):
            image = (await server.client.get(f"/v1/images/{uuid}")).json()
            urls |= {v["url"] for v in image["versions"]}
        assert len(files) == 2 + len(urls)


async def test_regenerate_a_set_and_its_validation(server: Harness) -> None:
    image = await image_of(server, await upload(server))
    created = await done(server, "POST", "/v1/sets", {"name": "Best"})
    set_uuid = created["result"]["set_public_uuid"]
    await done(server, "POST", f"/v1/sets/{set_uuid}/images", {"image_public_uuids": [image["public_uuid"]]})
    operation = await done(server, "POST", "/v1/images/regenerate", {"set_public_uuid": set_uuid})
    assert operation["status"] == "succeeded"
    assert operation["image_public_uuids"] == [image["public_uuid"]]
    for body in ({}, {"image_public_uuids": [image["public_uuid"]], "set_public_uuid": set_uuid}):
        response = await server.write("POST", "/v1/images/regenerate", json=body)
        assert response.status_code == 400
    unknown = await server.write("POST", "/v1/images/regenerate", json={"image_public_uuids": ["x"]})
    assert unknown.json()["error"]["detail"] == {"missing": ["x"]}
    no_set = await server.write("POST", "/v1/images/regenerate", json={"set_public_uuid": "x"})
    assert no_set.status_code == 404


def with_xmp(tmp_path: Path) -> Path:
    path = tmp_path / "harbour.jpg"
    Image.new("RGB", (64, 48), (90, 120, 200)).save(path, "JPEG", xmp=XMP)
    return path


async def test_extract_metadata_copies_caption_keywords_and_date(server: Harness, tmp_path: Path) -> None:
    image = await image_of(server, await upload(server, with_xmp(tmp_path), title="Mine"))
    assert image["description"] is None and image["keywords"] == []
    operation = await done(server, "POST", f"/v1/images/{image['public_uuid']}/extract_metadata")
    assert operation["type"] == "extract_metadata" and operation["status"] == "succeeded"
    extracted = (await server.client.get(f"/v1/images/{image['public_uuid']}")).json()
    assert extracted["title"] == "Mine"
    assert extracted["description"] == "The harbour in the morning"
    assert extracted["creation_date"] == "2021-08-09"
    assert [k["value"] for k in extracted["keywords"]] == ["boats", "sea"]


async def test_read_metadata_on_upload(server: Harness, tmp_path: Path) -> None:
    image = await image_of(server, await upload(server, with_xmp(tmp_path), read_metadata=True))
    assert image["title"] == "Harbour"
    assert image["description"] == "The harbour in the morning"
    assert image["creation_date"] == "2021-08-09"
    assert [k["value"] for k in image["keywords"]] == ["boats", "sea"]
    given = await image_of(
        server, await upload(server, with_xmp(tmp_path), read_metadata=True, title="Given wins")
    )
    assert given["title"] == "Given wins"


async def test_flower_keeps_its_camera_exif(server: Harness) -> None:
    image = await image_of(server, await upload(server, FLOWER))
    assert image["exif"]["make"] == "Canon"
    found = await server.client.get("/v1/images", params={"exif_property": "make", "exif_value": "canon"})
    assert [i["public_uuid"] for i in found.json()] == [image["public_uuid"]]
