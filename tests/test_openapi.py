"""The OpenAPI document and the reference page: complete, valid, and true to what the server answers."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from openapi_spec_validator import validate
from starlette.applications import Starlette

from app.http.app import create_app
from app.http.openapi import document, openapi_path, route_keys
from app.http.openapi_endpoints import WRITES, endpoints
from app.schemas.errors import ErrorEnvelope
from app.schemas.images import ImageListQuery
from app.schemas.imgs_out import FIELDS, ImgOut
from tests.conftest import Harness, settings_for

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/console"),
    ("GET", "/console/{name}"),
    ("POST", "/v1/uploads/file"),
    ("GET", "/media/{name}"),
    ("GET", "/media/private/{name}"),
    ("GET", "/media/private/archives/{name}"),
}


@pytest.fixture
def app(tmp_path: Path) -> Starlette:
    return create_app(settings_for(tmp_path / "data"))


@pytest.fixture
def doc(app: Starlette) -> dict[str, Any]:
    """The document as a client reads it (what /openapi.json serves: see the test below)."""
    built: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(document(app.routes)))
    return built


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    }


def resolve(doc: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in item:
        _, _, section, name = item["$ref"].split("/")
        item = doc["components"][section][name]
    return item


def test_every_route_is_documented_and_every_documented_endpoint_is_served(
    app: Starlette, doc: dict[str, Any]
) -> None:
    served = {(method, openapi_path(path)) for method, path in route_keys(app.routes)}
    assert set(operations(doc)) == served
    # No declaration outlives its route either.
    assert set(endpoints()) == set(route_keys(app.routes))


def test_the_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_operation_has_a_summary_an_id_and_the_error_envelope(doc: dict[str, Any]) -> None:
    for key, operation in operations(doc).items():
        assert operation["summary"], key
        assert "500" in operation["responses"], key
        for status, response in operation["responses"].items():
            response = resolve(doc, response)
            assert "X-Request-Id" in response["headers"], (key, status)
            if int(status) >= 400:
                schemas = response["content"]["application/json"]["schema"]
                assert {"$ref": "#/components/schemas/ErrorEnvelope"} in schemas.get("oneOf", [schemas])
    ids = [operation["operationId"] for operation in operations(doc).values()]
    assert len(ids) == len(set(ids))


def test_security_schemes_and_the_endpoints_that_need_no_token(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header", "name": "API-Key"}
    assert doc["security"] == [{"bearer": []}, {"apiKey": []}]
    public = {(method, openapi_path(path)) for method, path in PUBLIC}
    for key, operation in operations(doc).items():
        if key in public:
            assert operation["security"] == [], key
            assert "401" not in operation["responses"], key
        else:
            assert operation.get("security") != [], key
            assert "401" in operation["responses"], key
    images = operations(doc)[("GET", "/v1/images")]
    assert images["security"] == [{"bearer": ["api.images.read"]}, {"apiKey": ["api.images.read"]}]


def test_v1_writes_need_an_idempotency_key_and_answer_an_operation(doc: dict[str, Any]) -> None:
    for write in WRITES:
        operation = operations(doc)[(write.method, openapi_path(write.path))]
        assert {"$ref": "#/components/parameters/IdempotencyKey"} in operation["parameters"]
        accepted = operation["responses"]["202"]
        assert accepted["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/OperationOut"
        }
        assert {"Idempotent-Replayed", "Location"} <= set(accepted["headers"])
        assert {"409", "429"} <= set(operation["responses"])
        assert ("requestBody" in operation) == (write.body is not None), write.path
    key = resolve(doc, {"$ref": "#/components/parameters/IdempotencyKey"})
    assert key["name"] == "Idempotency-Key" and key["in"] == "header" and key["required"] is True


def test_query_structs_become_parameters(doc: dict[str, Any]) -> None:
    listed = operations(doc)[("GET", "/v1/images")]["parameters"]
    query = {p["name"]: p for p in listed if p.get("in") == "query"}
    fields = [field.encode_name for field in msgspec.structs.fields(ImageListQuery)]
    assert list(query) == fields
    assert query["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
    assert query["rating"]["schema"] == {"type": "integer", "minimum": 0, "maximum": 5}
    assert not any(p["required"] for p in query.values())
    assert "ImageListQuery" not in doc["components"]["schemas"]
    imgs = operations(doc)[("POST", "/imgs/{id}")]["parameters"]
    assert [p["name"] for p in imgs if p.get("in") in ("query", "path")] == [
        "id",
        "wait",
        "strict",
        "subset",
        "urgent",
        "lang",
    ]


def test_reads_document_their_conditional_get_paging_and_polling(doc: dict[str, Any]) -> None:
    ops = operations(doc)
    paged = ops[("GET", "/v1/images")]["responses"]
    assert {"ETag", "X-Has-More", "X-Next-Offset"} <= set(paged["200"]["headers"])
    assert "304" in paged
    assert {"X-Has-More", "X-Total-Count"} <= set(ops[("GET", "/ops")]["responses"]["200"]["headers"])
    for path in ("/v1/operations/{uuid}", "/ops/{op_id}"):
        poll = ops[("GET", path)]
        headers = {resolve(doc, p)["name"] for p in poll["parameters"] if p.get("in") != "path"}
        assert headers >= {"If-None-Match", "Prefer"}
        assert {"ETag", "Retry-After"} <= set(poll["responses"]["200"]["headers"])
    assert "Retry-After" in resolve(doc, ops[("POST", "/v1/sets")]["responses"]["429"])["headers"]


def test_error_responses_list_the_stable_codes(doc: dict[str, Any]) -> None:
    not_found = doc["components"]["responses"]["NotFound"]["description"]
    for code in ("image_not_found", "set_not_found", "operation_not_found", "archive_not_found"):
        assert f"`{code}`" in not_found


async def test_answers_match_their_documented_schemas(server: Harness) -> None:
    """The server's real answers decode strictly into the types the document was made from."""
    image = await server.create_image(keywords=["sunset", "artist:Marina"], external_id="a/b")
    created = await server.write("POST", "/v1/sets", json={"name": "Trips"})
    assert created.status_code == 202
    await server.wait_operation(created.json()["uuid"])
    declared = endpoints()
    reads = {
        ("GET", "/healthz"): "/healthz",
        ("GET", "/v1/me"): "/v1/me",
        ("GET", "/v1/images"): "/v1/images",
        ("GET", "/v1/images/{uuid}"): f"/v1/images/{image.public_uuid}",
        ("GET", "/v1/images/{uuid}/versions"): f"/v1/images/{image.public_uuid}/versions",
        ("GET", "/v1/keywords"): "/v1/keywords",
        ("GET", "/v1/keywords/namespaces"): "/v1/keywords/namespaces",
        ("GET", "/v1/sets"): "/v1/sets",
        ("GET", "/v1/sets/tree"): "/v1/sets/tree",
        ("GET", "/v1/operations"): "/v1/operations",
        ("GET", "/v1/operations/{uuid}"): f"/v1/operations/{created.json()['uuid']}",
        ("GET", "/v1/archives"): "/v1/archives",
        ("GET", "/ops"): "/ops",
        ("GET", "/imgs/{id:path}"): "/imgs/a%2Fb",
        ("GET", "/openapi.json"): "/openapi.json",
    }
    for key, url in reads.items():
        response = await server.client.get(url)
        assert response.status_code == declared[key].status, (url, response.text)
        msgspec.json.decode(response.content, type=declared[key].response, strict=True)
    for url, status in (("/v1/images/nope", 404), ("/v1/images?limit=0", 400), ("/ops?page=0", 422)):
        response = await server.client.get(url)
        assert response.status_code == status
        msgspec.json.decode(response.content, type=ErrorEnvelope)
    unauthorized = await server.client.get("/v1/me", headers={"Authorization": ""})
    msgspec.json.decode(unauthorized.content, type=ErrorEnvelope)


async def test_the_document_is_served_without_a_token_with_an_etag(
    server: Harness, doc: dict[str, Any]
) -> None:
    first = await server.client.get("/openapi.json", headers={"Authorization": ""})
    assert first.status_code == 200
    assert first.json() == doc
    again = await server.client.get("/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


async def test_docs_page_is_self_contained(server: Harness) -> None:
    response = await server.client.get("/docs", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "/openapi.json" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "no external assets"
    assert "http://" not in page and "https://" not in page
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    for tag in ("script", "style"):
        (block,) = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy


def test_the_search_api_image_names_every_field_it_may_show() -> None:
    assert tuple(field.encode_name for field in msgspec.structs.fields(ImgOut)) == FIELDS


def test_links_lead_from_answers_to_the_next_requests(doc: dict[str, Any]) -> None:
    by_id = {operation["operationId"] for operation in operations(doc).values()}
    accepted = operations(doc)[("PATCH", "/v1/images/{uuid}")]["responses"]["202"]["links"]
    assert accepted["get_v1_operations_uuid"]["parameters"] == {"uuid": "$response.body#/uuid"}
    waited = operations(doc)[("POST", "/imgs")]["responses"]["200"]["links"]
    assert waited["get_ops_op_id"]["parameters"] == {"op_id": "$response.body#/op_id"}
    listed = operations(doc)[("GET", "/v1/images")]["responses"]["200"]["links"]
    assert listed["get_v1_images_uuid"]["parameters"] == {"uuid": "$response.body#/0/public_uuid"}
    targets = {
        link["operationId"]
        for operation in operations(doc).values()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    }
    assert targets <= by_id
