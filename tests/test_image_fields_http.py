"""Editing an image's fields over /v1: metadata (partial), rating, alt text, credits."""

from __future__ import annotations

from typing import Any

from tests.conftest import Harness


async def edit(server: Harness, method: str, url: str, body: Any) -> dict[str, Any]:
    response = await server.write(method, url, json=body)
    assert response.status_code == 202, response.text
    return await server.wait_operation(response.json()["uuid"])


async def image(server: Harness, public_uuid: str) -> dict[str, Any]:
    body: dict[str, Any] = (await server.client.get(f"/v1/images/{public_uuid}")).json()
    return body


async def test_metadata_is_partial_and_null_clears(server: Harness) -> None:
    created = await server.create_image(city="Porto", country="Portugal")
    url = f"/v1/images/{created.public_uuid}/metadata"
    operation = await edit(
        server,
        "PUT",
        url,
        {"creator": "Ana", "city": None, "nsfw": True, "categories": ["travel", "sea"]},
    )
    assert operation["type"] == "metadata"
    metadata = (await image(server, created.public_uuid))["metadata"]
    assert metadata["creator"] == "Ana"
    assert metadata["city"] is None
    assert metadata["country"] == "Portugal"
    assert metadata["nsfw"] is True
    assert metadata["categories"] == ["travel", "sea"]
    await edit(server, "PUT", url, {"categories": None, "status": "Withdrawn"})
    metadata = (await image(server, created.public_uuid))["metadata"]
    assert metadata["categories"] == []
    assert metadata["status"] == "Withdrawn"


async def test_metadata_is_validated(server: Harness) -> None:
    created = await server.create_image()
    url = f"/v1/images/{created.public_uuid}/metadata"
    for body, field in (
        ({}, None),
        ({"status": "Gone"}, "status"),
        ({"nsfw": "yes"}, "nsfw"),
        ({"categories": "travel"}, "categories"),
        ({"owner": "me"}, "owner"),
        ({"city": "x" * 2001}, "city"),
    ):
        response = await server.write("PUT", url, json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["field"] == field


async def test_rating_needs_its_scope_and_range(server: Harness) -> None:
    created = await server.create_image()
    url = f"/v1/images/{created.public_uuid}/rating"
    operation = await edit(server, "PUT", url, {"rating": 4})
    assert operation["type"] == "rating"
    assert (await image(server, created.public_uuid))["rating"] == 4
    for bad in (-1, 6, 2.5, "5", None):
        response = await server.write("PUT", url, json={"rating": bad})
        assert response.status_code == 400, bad
        assert response.json()["error"]["field"] == "rating"
    writer = await server.new_token(scopes=["api.images.write", "api.metadata.write"])
    response = await server.write("PUT", url, json={"rating": 1}, token=writer)
    assert response.status_code == 403


async def test_alt_text(server: Harness) -> None:
    created = await server.create_image()
    url = f"/v1/images/{created.public_uuid}/alt_text"
    operation = await edit(server, "PUT", url, {"alt_text": "A boat at dawn"})
    assert operation["type"] == "alt_text"
    assert (await image(server, created.public_uuid))["alt_text"] == "A boat at dawn"
    await edit(server, "PUT", url, {"alt_text": None})
    assert (await image(server, created.public_uuid))["alt_text"] is None
    ratings_only = await server.new_token(scopes=["api.ratings.write"])
    response = await server.write("PUT", url, json={"alt_text": "x"}, token=ratings_only)
    assert response.status_code == 403


async def test_credits_add_and_remove(server: Harness) -> None:
    created = await server.create_image()
    url = f"/v1/images/{created.public_uuid}/credits"
    added = await edit(server, "POST", url, {"role": "stylist", "name": "Rui"})
    assert added["type"] == "credits_add" and added["result"]["added"] is True
    await edit(server, "POST", url, {"role": "model", "name": "Ana"})
    again = await edit(server, "POST", url, {"role": "stylist", "name": "Rui"})
    assert again["result"]["added"] is False
    assert (await image(server, created.public_uuid))["credits"] == [
        {"role": "stylist", "name": "Rui"},
        {"role": "model", "name": "Ana"},
    ]
    removed = await edit(server, "DELETE", url, {"role": "stylist", "name": "Rui"})
    assert removed["type"] == "credits_remove" and removed["result"]["removed"] is True
    assert (await image(server, created.public_uuid))["credits"] == [{"role": "model", "name": "Ana"}]
    response = await server.write("POST", url, json={"role": "", "name": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "role"


async def test_field_edits_on_unknown_images_are_404(server: Harness) -> None:
    for method, path, body in (
        ("PUT", "metadata", {"city": "x"}),
        ("PUT", "rating", {"rating": 1}),
        ("PUT", "alt_text", {"alt_text": "x"}),
        ("POST", "credits", {"role": "a", "name": "b"}),
    ):
        response = await server.write(method, f"/v1/images/nope/{path}", json=body)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "image_not_found"
