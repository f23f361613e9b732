"""`POST /v1/operations/batch`: checked whole before it runs, then all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Harness, ServerFactory
from tests.operation_types import new_gate, submit


async def batch(server: Harness, operations: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    response = await server.write("POST", "/v1/operations/batch", json={"operations": operations}, **options)
    assert response.status_code == 202, response.text
    return await server.wait_operation(response.json()["uuid"])


async def test_a_batch_runs_every_item_and_each_is_readable(server: Harness) -> None:
    one = await server.create_image(title="one")
    two = await server.create_image(title="two")
    operation = await batch(
        server,
        [
            {"method": "PATCH", "path": f"/v1/images/{one.public_uuid}", "body": {"title": "One"}},
            {"method": "POST", "path": f"/v1/images/{two.public_uuid}/keywords", "body": {"keywords": ["k"]}},
            {"method": "PUT", "path": f"/v1/images/{two.public_uuid}/rating", "body": {"rating": 4}},
            {"method": "POST", "path": "/v1/sets", "body": {"name": "Made in a batch"}},
            {"method": "DELETE", "path": f"/v1/images/{one.public_uuid}"},
        ],
    )
    assert operation["type"] == "batch"
    assert operation["status"] == "succeeded", operation
    children = operation["result"]["operations"]
    assert len(children) == 5
    types = []
    for uuid in children:
        child = (await server.client.get(f"/v1/operations/{uuid}")).json()
        assert child["status"] == "succeeded"
        types.append(child["type"])
    assert types == ["update", "keywords_add", "rating", "set_create", "delete"]
    assert (await server.client.get(f"/v1/images/{one.public_uuid}")).status_code == 404
    image = (await server.client.get(f"/v1/images/{two.public_uuid}")).json()
    assert image["rating"] == 4 and image["keywords"] == [{"value": "k", "namespace": None}]
    assert [s["name"] for s in (await server.client.get("/v1/sets")).json()] == ["Made in a batch"]
    assert set(operation["image_public_uuids"]) == {one.public_uuid, two.public_uuid}


async def test_one_bad_item_rejects_the_whole_batch_and_stores_nothing(server: Harness) -> None:
    image = await server.create_image(title="kept")
    response = await server.write(
        "POST",
        "/v1/operations/batch",
        json={
            "operations": [
                {"method": "PATCH", "path": f"/v1/images/{image.public_uuid}", "body": {"title": "changed"}},
                {"method": "PATCH", "path": f"/v1/images/{image.public_uuid}", "body": {"rotation": 45}},
                {"method": "PATCH", "path": "/v1/images/nope", "body": {"title": "x"}},
            ]
        },
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "operations[1].body.rotation"
    assert [(i["index"], i["status"], i["code"]) for i in error["detail"]["items"]] == [
        (1, 400, "validation"),
        (2, 404, "image_not_found"),
    ]
    assert (await server.client.get("/v1/operations")).json() == []
    assert (await server.client.get(f"/v1/images/{image.public_uuid}")).json()["title"] == "kept"


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"method": "GET", "path": "/v1/images"}, "operations[0].method"),
        ({"method": "POST", "path": "/v2/images"}, "operations[0].path"),
        ({"method": "POST", "path": "/v1/nothing"}, "operations[0].path"),
        (
            {"method": "POST", "path": "/v1/operations/batch", "body": {"operations": []}},
            "operations[0].path",
        ),
        ({"method": "DELETE", "path": "/v1/images/x", "body": {"a": 1}}, "operations[0].body"),
        (
            {"method": "POST", "path": "/v1/uploads/url", "body": {"src": "http://x/a.jpg"}},
            "operations[0].path",
        ),
    ],
)
async def test_items_that_cannot_be_in_a_batch(server: Harness, item: dict[str, Any], field: str) -> None:
    response = await server.write("POST", "/v1/operations/batch", json={"operations": [item]})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field


async def test_a_batch_holds_one_to_fifty_items(server: Harness) -> None:
    image = await server.create_image()
    item = {"method": "PUT", "path": f"/v1/images/{image.public_uuid}/rating", "body": {"rating": 1}}
    for count in (0, 51):
        response = await server.write("POST", "/v1/operations/batch", json={"operations": [item] * count})
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "operations"
    assert (await batch(server, [item] * 50))["status"] == "succeeded"


async def test_each_item_needs_its_own_scope(server: Harness) -> None:
    image = await server.create_image()
    token = await server.new_token(scopes=["api.images.write"])
    response = await server.write(
        "POST",
        "/v1/operations/batch",
        token=token,
        json={
            "operations": [
                {"method": "PATCH", "path": f"/v1/images/{image.public_uuid}", "body": {"title": "ok"}},
                {"method": "PUT", "path": f"/v1/images/{image.public_uuid}/rating", "body": {"rating": 2}},
            ]
        },
    )
    assert response.status_code == 403
    assert response.json()["error"]["field"] == "operations[1]"


async def test_an_item_failing_at_run_time_rolls_back_every_item(server: Harness) -> None:
    image = await server.create_image(title="before")
    # Both items pass the checks; the second finds its image gone when it runs.
    operation = await batch(
        server,
        [
            {"method": "PATCH", "path": f"/v1/images/{image.public_uuid}", "body": {"title": "after"}},
            {"method": "DELETE", "path": f"/v1/images/{image.public_uuid}"},
            {"method": "PATCH", "path": f"/v1/images/{image.public_uuid}", "body": {"title": "gone"}},
        ],
    )
    assert operation["status"] == "failed"
    assert operation["error"]["code"] == "image_not_found"
    assert operation["error"]["items"][0]["index"] == 2
    body = (await server.client.get(f"/v1/images/{image.public_uuid}")).json()
    assert body["title"] == "before"
    children = (await server.client.get("/v1/operations", params={"type": "update"})).json()
    assert {child["status"] for child in children} == {"failed"}
    codes = {child["error"]["code"] for child in children}
    assert codes == {"batch_failed", "image_not_found"}


async def test_a_batch_is_idempotent(server: Harness) -> None:
    image = await server.create_image()
    body = {
        "operations": [{"method": "PATCH", "path": f"/v1/images/{image.public_uuid}", "body": {"title": "t"}}]
    }
    first = await server.write("POST", "/v1/operations/batch", json=body, key="b-1")
    again = await server.write("POST", "/v1/operations/batch", json=body, key="b-1")
    assert again.json()["uuid"] == first.json()["uuid"]
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = (await server.client.get("/v1/operations")).json()
    assert sorted(op["type"] for op in listed) == ["batch", "update"]


async def test_items_of_a_batch_are_canceled_with_it_and_not_alone(server_factory: ServerFactory) -> None:
    server = await server_factory(workers=1)
    image = await server.create_image()
    gate_name, gate = new_gate()
    await submit(server.runtime, await server.account_id(), gate=gate_name)
    await gate.reached()  # the only worker is held: the batch stays queued
    queued = await server.write(
        "POST",
        "/v1/operations/batch",
        json={
            "operations": [
                {"method": "PATCH", "path": f"/v1/images/{image.public_uuid}", "body": {"title": "x"}}
            ]
        },
    )
    batch_uuid = queued.json()["uuid"]
    child = next(op for op in (await server.client.get("/v1/operations")).json() if op["type"] == "update")
    alone = await server.client.post(f"/v1/operations/{child['uuid']}/cancel")
    assert alone.status_code == 400
    canceled = await server.client.post(f"/v1/operations/{batch_uuid}/cancel")
    assert canceled.status_code == 202 and canceled.json()["status"] == "canceled"
    child = (await server.client.get(f"/v1/operations/{child['uuid']}")).json()
    assert child["status"] == "canceled"
    gate.open()
