"""Keywords over /v1: add, remove, rename, counts, namespaces, and their validation."""

from __future__ import annotations

from typing import Any

from tests.conftest import Harness


async def keywords_of(server: Harness, public_uuid: str) -> list[dict[str, Any]]:
    body = (await server.client.get(f"/v1/images/{public_uuid}")).json()
    return list(body["keywords"])


async def test_add_namespaced_and_plain_keywords(server: Harness) -> None:
    image = await server.create_image()
    response = await server.write(
        "POST",
        f"/v1/images/{image.public_uuid}/keywords",
        json={"keywords": ["sunset", "Artist:Marina", "  two   words ", "a:b:c"]},
    )
    assert response.status_code == 202
    operation = await server.wait_operation(response.json()["uuid"])
    assert operation["type"] == "keywords_add"
    assert operation["status"] == "succeeded"
    assert operation["result"]["added"] == 4
    assert await keywords_of(server, image.public_uuid) == [
        {"value": "sunset", "namespace": None},
        {"value": "Marina", "namespace": "artist"},
        {"value": "two words", "namespace": None},
        {"value": "b:c", "namespace": "a"},
    ]


async def test_keywords_are_unique_ignoring_case(server: Harness) -> None:
    image = await server.create_image(keywords=["Sunset"])
    response = await server.write(
        "POST", f"/v1/images/{image.public_uuid}/keywords", json={"keywords": ["sunset", "SUNSET"]}
    )
    operation = await server.wait_operation(response.json()["uuid"])
    assert operation["result"]["added"] == 0
    assert await keywords_of(server, image.public_uuid) == [{"value": "Sunset", "namespace": None}]


async def test_add_is_validated(server: Harness) -> None:
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}/keywords"
    for body, field in (
        ({"keywords": []}, "keywords"),
        ({"keywords": ["x"] * 201}, "keywords"),
        ({"keywords": [""]}, "keywords[0]"),
        ({"keywords": ["ok", "   "]}, "keywords[1]"),
        ({"keywords": ["x" * 192]}, "keywords[0]"),
        ({"keywords": ["bad\u0007bell"]}, "keywords[0]"),
        ({"keywords": "sunset"}, "keywords"),
        ({"keywords": [1]}, "keywords[0]"),
        ({"keyword": ["x"]}, "keyword"),
    ):
        response = await server.write("POST", url, json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["field"] == field, body
    assert (await server.client.get("/v1/operations")).json() == []


async def test_keywords_need_their_scope(server: Harness) -> None:
    image = await server.create_image()
    token = await server.new_token(scopes=["api.images.write"])
    response = await server.write(
        "POST", f"/v1/images/{image.public_uuid}/keywords", json={"keywords": ["x"]}, token=token
    )
    assert response.status_code == 403


async def test_remove_by_text_or_by_namespace(server: Harness) -> None:
    image = await server.create_image(keywords=["artist:Marina", "sunset", "beach"])
    url = f"/v1/images/{image.public_uuid}/keywords"
    first = await server.write("DELETE", url, json={"keyword": "artist:marina"})
    assert (await server.wait_operation(first.json()["uuid"]))["result"]["removed"] is True
    second = await server.write("DELETE", url, json={"keyword": "Sunset", "namespace": None})
    assert (await server.wait_operation(second.json()["uuid"]))["type"] == "keywords_remove"
    assert await keywords_of(server, image.public_uuid) == [{"value": "beach", "namespace": None}]
    gone = await server.write("DELETE", url, json={"keyword": "Marina", "namespace": "artist"})
    assert (await server.wait_operation(gone.json()["uuid"]))["result"]["removed"] is False


async def test_rename_across_every_image(server: Harness) -> None:
    one = await server.create_image(keywords=["artst:Marina"])
    two = await server.create_image(keywords=["artst:Marina", "artist:Marina"])
    other = await server.create_image(keywords=["sunset"])
    response = await server.write(
        "POST", "/v1/keywords/rename", json={"from": "artst:Marina", "to": "artist:Marina"}
    )
    operation = await server.wait_operation(response.json()["uuid"])
    assert operation["type"] == "keywords_rename"
    assert operation["result"]["images"] == 2
    assert await keywords_of(server, one.public_uuid) == [{"value": "Marina", "namespace": "artist"}]
    assert await keywords_of(server, two.public_uuid) == [{"value": "Marina", "namespace": "artist"}]
    assert await keywords_of(server, other.public_uuid) == [{"value": "sunset", "namespace": None}]


async def test_rename_on_listed_images_only(server: Harness) -> None:
    one = await server.create_image(keywords=["old"])
    two = await server.create_image(keywords=["old"])
    response = await server.write(
        "POST",
        "/v1/keywords/rename",
        json={"from": "old", "to": "new", "image_public_uuids": [one.public_uuid]},
    )
    await server.wait_operation(response.json()["uuid"])
    assert await keywords_of(server, one.public_uuid) == [{"value": "new", "namespace": None}]
    assert await keywords_of(server, two.public_uuid) == [{"value": "old", "namespace": None}]


async def test_rename_refuses_unknown_images(server: Harness) -> None:
    response = await server.write(
        "POST",
        "/v1/keywords/rename",
        json={"from": "a", "to": "b", "image_public_uuids": ["nope"]},
    )
    assert response.status_code == 400
    assert response.json()["error"]["detail"] == {"missing": ["nope"]}


async def test_counts_with_namespace_and_prefix_filters(server: Harness) -> None:
    await server.create_image(keywords=["sunset", "artist:Marina", "sun"])
    await server.create_image(keywords=["Sunset", "artist:Marina", "artist:Paolo"])
    await server.create_image(keywords=["beach"])
    theirs = await server.new_token(account="other")
    await server.create_image(account="other", keywords=["sunset"])
    everything = (await server.client.get("/v1/keywords")).json()
    assert everything[0] == {"value": "Marina", "namespace": "artist", "count": 2}
    assert {"value": "Sunset", "namespace": None, "count": 2} in everything
    assert len(everything) == 5
    artists = (await server.client.get("/v1/keywords", params={"namespace": "artist"})).json()
    assert artists == [
        {"value": "Marina", "namespace": "artist", "count": 2},
        {"value": "Paolo", "namespace": "artist", "count": 1},
    ]
    sun = (await server.client.get("/v1/keywords", params={"prefix": "SUN"})).json()
    assert [(k["value"], k["count"]) for k in sun] == [("Sunset", 2), ("sun", 1)]
    namespaces = (await server.client.get("/v1/keywords/namespaces")).json()
    assert namespaces == [{"namespace": "artist", "count": 2}]
    other = await server.client.get("/v1/keywords", headers={"Authorization": f"Bearer {theirs}"})
    assert other.json() == [{"value": "sunset", "namespace": None, "count": 1}]


async def test_keyword_list_pages(server: Harness) -> None:
    await server.create_image(keywords=[f"k{n}" for n in range(5)])
    first = await server.client.get("/v1/keywords", params={"limit": 3})
    assert len(first.json()) == 3
    assert first.headers["X-Has-More"] == "true"
    rest = await server.client.get("/v1/keywords", params={"limit": 3, "offset": 3})
    assert len(rest.json()) == 2
    assert rest.headers["X-Has-More"] == "false"
