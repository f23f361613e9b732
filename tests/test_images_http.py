"""Reading images through /v1: the list (newest first, paged) and one image, account-scoped."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import Harness


async def test_list_is_newest_first_and_paged(server: Harness) -> None:
    created = [await server.create_image(title=f"image {n}") for n in range(5)]
    first = await server.client.get("/v1/images", params={"limit": 2})
    assert first.status_code == 200
    assert [i["public_uuid"] for i in first.json()] == [c.public_uuid for c in created[::-1][:2]]
    assert first.headers["X-Has-More"] == "true"
    assert first.headers["X-Next-Offset"] == "2"
    last = await server.client.get("/v1/images", params={"limit": 2, "offset": 4})
    assert [i["public_uuid"] for i in last.json()] == [created[0].public_uuid]
    assert last.headers["X-Has-More"] == "false"
    assert "X-Next-Offset" not in last.headers


async def test_list_parameters_are_validated(server: Harness) -> None:
    for params, field in (
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"colour": "red"}, "colour"),
    ):
        response = await server.client.get("/v1/images", params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "validation"
        assert response.json()["error"]["field"] == field


async def test_one_image_with_keywords_and_metadata(server: Harness) -> None:
    image = await server.create_image(
        title="Harbour",
        description="Boats at dawn",
        headline="Dawn",
        city="Porto",
        nsfw=False,
        categories=["travel"],
        external_id="42",
        keywords=["sunset", "artist:Marina", "a:b:c"],
    )
    response = await server.client.get(f"/v1/images/{image.public_uuid}")
    assert response.status_code == 200
    body = response.json()
    assert body["public_uuid"] == image.public_uuid
    assert body["external_id"] == "42"
    assert body["title"] == "Harbour"
    assert body["description"] == "Boats at dawn"
    assert body["keywords"] == [
        {"value": "sunset", "namespace": None},
        {"value": "Marina", "namespace": "artist"},
        {"value": "b:c", "namespace": "a"},
    ]
    assert body["metadata"]["headline"] == "Dawn"
    assert body["metadata"]["city"] == "Porto"
    assert body["metadata"]["nsfw"] is False
    assert body["metadata"]["categories"] == ["travel"]
    assert body["width"] == 400 and body["height"] == 300
    etag = response.headers["ETag"]
    cached = await server.client.get(f"/v1/images/{image.public_uuid}", headers={"If-None-Match": etag})
    assert cached.status_code == 304


async def test_images_of_another_account_are_not_found(server: Harness) -> None:
    theirs = await server.create_image(title="private")
    other = await server.new_token(account="other")
    headers = {"Authorization": f"Bearer {other}"}
    response = await server.client.get(f"/v1/images/{theirs.public_uuid}", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "image_not_found"
    listing = await server.client.get("/v1/images", headers=headers)
    assert listing.json() == []


async def test_external_ids_are_unique_per_account_only(server: Harness) -> None:
    await server.create_image(external_id="7")
    await server.new_token(account="other")
    await server.create_image(account="other", external_id="7")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await server.create_image(external_id="7")


async def test_an_image_lists_the_sets_it_is_in(server: Harness) -> None:
    image = await server.create_image()
    names = []
    for name in ("Portfolio", "Archive"):
        created = await server.write("POST", "/v1/sets", json={"name": name})
        set_uuid = (await server.wait_operation(created.json()["uuid"]))["result"]["set_public_uuid"]
        added = await server.write(
            "POST", f"/v1/sets/{set_uuid}/images", json={"image_public_uuids": [image.public_uuid]}
        )
        await server.wait_operation(added.json()["uuid"])
        names.append((set_uuid, name))
    body = (await server.client.get(f"/v1/images/{image.public_uuid}")).json()
    assert body["sets"] == [{"public_uuid": u, "name": n} for u, n in sorted(names, key=lambda x: x[1])]
