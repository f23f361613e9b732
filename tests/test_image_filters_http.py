"""`GET /v1/images` filters, stacked, and the full-text query with hostile syntax."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Harness


async def found(server: Harness, **params: Any) -> list[str]:
    response = await server.client.get("/v1/images", params=params)
    assert response.status_code == 200, response.text
    return [image["title"] for image in response.json()]


@pytest.fixture
async def library(server: Harness) -> Harness:
    await server.create_image(
        title="Harbour at dawn",
        description="Fishing boats in the harbour",
        keywords=["boat", "artist:Marina"],
        rating=5,
        creation_date="2024-05-01",
        exif={"make": "Canon", "model": "EOS R5", "iso": 100, "f_number": 2.8},
        lat=41.14,
        lon=-8.61,
        city="Porto",
    )
    await server.create_image(
        title="Night market",
        description="Lanterns and food stalls",
        keywords=["market", "artist:Paolo"],
        rating=3,
        creation_date="2024-06-15T21:30:00.000Z",
        exif={"make": "FUJIFILM", "iso": 3200},
        lat=35.68,
        lon=139.69,
    )
    await server.create_image(
        title="Café crème",
        description="Breakfast still life",
        keywords=["food"],
        rating=4,
        creation_date="2023-12-31",
        filename="IMG_0042.jpg",
        headline="Morning light",
    )
    return server


async def test_full_text_over_title_description_keywords_metadata(library: Harness) -> None:
    assert await found(library, query="harbour") == ["Harbour at dawn"]
    assert await found(library, query="lanterns") == ["Night market"]
    assert await found(library, query="marina") == ["Harbour at dawn"]
    assert await found(library, query="porto") == ["Harbour at dawn"]
    assert await found(library, query="img_0042") == ["Café crème"]
    assert await found(library, query="morning") == ["Café crème"]
    assert await found(library, query="cafe") == ["Café crème"]


async def test_full_text_syntax(library: Harness) -> None:
    assert set(await found(library, query="harbour market")) == {"Harbour at dawn", "Night market"}
    assert await found(library, query="+harbour +boats") == ["Harbour at dawn"]
    assert await found(library, query="+harbour -boats") == []
    assert set(await found(library, query="-harbour")) == {"Night market", "Café crème"}
    assert await found(library, query='"fishing boats"') == ["Harbour at dawn"]
    assert await found(library, query='"boats fishing"') == []
    assert await found(library, query="lant*") == ["Night market"]


async def test_full_text_ranks_by_relevance(server: Harness) -> None:
    await server.create_image(title="Other", description="a small boat far away")
    await server.create_image(title="Boat", description="boat boat boat", keywords=["boat"])
    assert await found(server, query="boat") == ["Boat", "Other"]


@pytest.mark.parametrize(
    "text", ['"', "*", "NEAR(", "-", "(", ")", "((a", 'a"b', "AND", "OR NOT", "^", "a:b", "''", "\\"]
)
async def test_hostile_query_syntax_never_fails(library: Harness, text: str) -> None:
    response = await library.client.get("/v1/images", params={"query": text})
    assert response.status_code == 200


async def test_keyword_namespace_rating_filters(library: Harness) -> None:
    assert await found(library, keyword="BOAT") == ["Harbour at dawn"]
    assert await found(library, keyword="artist:paolo") == ["Night market"]
    assert set(await found(library, namespace="artist")) == {"Harbour at dawn", "Night market"}
    assert await found(library, rating=4) == ["Café crème"]
    assert await found(library, min_rating=4) == ["Café crème", "Harbour at dawn"]


async def test_exif_filters(library: Harness) -> None:
    assert await found(library, exif_property="make", exif_value="canon") == ["Harbour at dawn"]
    assert await found(library, exif_property="iso", exif_value="3200") == ["Night market"]
    assert await found(library, exif_property="f_number", exif_value="2.8") == ["Harbour at dawn"]
    response = await library.client.get("/v1/images", params={"exif_property": "make"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "exif_value"
    response = await library.client.get("/v1/images", params={"exif_property": "iso", "exif_value": "high"})
    assert response.json()["error"]["field"] == "exif_value"
    response = await library.client.get("/v1/images", params={"exif_property": "shutter", "exif_value": "1"})
    assert response.json()["error"]["field"] == "exif_property"


async def test_creation_date_range_includes_whole_days(library: Harness) -> None:
    assert await found(library, creation_date_from="2024-01-01") == [
        "Night market",
        "Harbour at dawn",
    ]
    assert await found(library, creation_date_to="2024-05-01") == [
        "Café crème",
        "Harbour at dawn",
    ]
    assert await found(library, creation_date_from="2024-06-15", creation_date_to="2024-06-15") == [
        "Night market"
    ]


async def test_created_and_updated_ranges(library: Harness) -> None:
    everything = await found(library, created_at_from="2000-01-01", updated_at_to="2999-01-01")
    assert len(everything) == 3
    assert await found(library, created_at_to="2000-01-01") == []
    response = await library.client.get("/v1/images", params={"updated_at_from": "yesterday"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "updated_at_from"


async def test_geo_filters(library: Harness) -> None:
    assert set(await found(library, has_geo="true")) == {"Harbour at dawn", "Night market"}
    assert await found(library, has_geo="false") == ["Café crème"]
    assert await found(library, bbox="-10,40,-8,42") == ["Harbour at dawn"]
    # A box across the antimeridian (from 130°E to 10°W, eastward).
    assert set(await found(library, bbox="130,30,-8,45")) == {"Night market", "Harbour at dawn"}
    for bad in ("1,2,3", "a,b,c,d", "0,50,10,40", "0,-91,1,1"):
        response = await library.client.get("/v1/images", params={"bbox": bad})
        assert response.status_code == 400, bad
        assert response.json()["error"]["field"] == "bbox"


async def test_filters_stack(library: Harness) -> None:
    assert await found(library, query="harbour", keyword="boat", min_rating=5) == ["Harbour at dawn"]
    assert await found(library, query="harbour", keyword="market") == []


async def test_set_filter(library: Harness) -> None:
    response = await library.client.get("/v1/images", params={"set_public_uuid": "nope"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "set_not_found"


async def test_set_filter_lists_members(library: Harness) -> None:
    created = await library.write("POST", "/v1/sets", json={"name": "Portfolio"})
    set_uuid = (await library.wait_operation(created.json()["uuid"]))["result"]["set_public_uuid"]
    harbour = (await library.client.get("/v1/images", params={"query": "harbour"})).json()[0]
    added = await library.write(
        "POST", f"/v1/sets/{set_uuid}/images", json={"image_public_uuids": [harbour["public_uuid"]]}
    )
    await library.wait_operation(added.json()["uuid"])
    assert await found(library, set_public_uuid=set_uuid) == ["Harbour at dawn"]
    theirs = await library.new_token(account="other")
    response = await library.client.get(
        "/v1/images",
        params={"set_public_uuid": set_uuid},
        headers={"Authorization": f"Bearer {theirs}"},
    )
    assert response.status_code == 404


async def test_sha256_filter_finds_the_images_of_one_original(server: Harness) -> None:
    digest = "ab" * 32
    await server.create_image(title="First copy", sha256=digest)
    await server.create_image(title="Second copy", sha256=digest)
    await server.create_image(title="Another picture", sha256="cd" * 32)
    assert sorted(await found(server, sha256=digest.upper())) == ["First copy", "Second copy"]
    assert await found(server, sha256="ef" * 32) == []
    theirs = await server.new_token(account="other")
    response = await server.client.get(
        "/v1/images", params={"sha256": digest}, headers={"Authorization": f"Bearer {theirs}"}
    )
    assert response.json() == []
    response = await server.client.get("/v1/images", params={"sha256": "not-a-digest"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "sha256"
