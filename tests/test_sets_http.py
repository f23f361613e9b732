"""Sets through /v1: create, read, nest, change, reorder and delete them, account-scoped.

The helpers here serve the membership tests of test_set_images_http.py too.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.accounts.scopes import Scope
from app.operations.submission import Submission
from app.operations.types import set_structure
from app.storage import sets_store
from app.timestamps import format_time, parse_time
from tests.conftest import Harness
from tests.test_http_conventions import assert_envelope


async def run(server: Harness, method: str, url: str, body: Any = None, **options: Any) -> dict[str, Any]:
    """A write that must be accepted; the operation once it finished."""
    response = await server.write(method, url, json=body, **options)
    assert response.status_code == 202, response.text
    operation: dict[str, Any] = response.json()
    if operation["status"] in ("queued", "running"):
        operation = await server.wait_operation(operation["uuid"])
    return operation


async def succeeded(server: Harness, method: str, url: str, body: Any = None) -> dict[str, Any]:
    operation = await run(server, method, url, body)
    assert operation["status"] == "succeeded", operation
    return operation


async def new_set(server: Harness, name: str = "Set", **fields: Any) -> str:
    operation = await succeeded(server, "POST", "/v1/sets", {"name": name, **fields})
    set_uuid: str = operation["result"]["set_public_uuid"]
    return set_uuid


async def new_images(server: Harness, count: int) -> list[str]:
    return [(await server.create_image(title=f"image {n}")).public_uuid for n in range(count)]


async def members(server: Harness, set_uuid: str) -> list[str]:
    response = await server.client.get(f"/v1/sets/{set_uuid}/images", params={"limit": 200})
    assert response.status_code == 200, response.text
    return [image["public_uuid"] for image in response.json()]


async def add(server: Harness, set_uuid: str, image_uuids: list[str]) -> dict[str, Any]:
    return await succeeded(server, "POST", f"/v1/sets/{set_uuid}/images", {"image_public_uuids": image_uuids})


async def get_set(server: Harness, set_uuid: str) -> dict[str, Any]:
    response = await server.client.get(f"/v1/sets/{set_uuid}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# Creating and reading sets


async def test_create_then_read_a_set(server: Harness) -> None:
    response = await server.write(
        "POST",
        "/v1/sets",
        json={"name": "Portfolio", "colour": "blue", "description": "Best of", "type": "gallery"},
    )
    assert response.status_code == 202
    operation = response.json()
    assert operation["type"] == "set_create"
    operation = await server.wait_operation(operation["uuid"])
    assert operation["status"] == "succeeded"
    set_uuid = operation["result"]["set_public_uuid"]
    response = await server.client.get(f"/v1/sets/{set_uuid}")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "public_uuid": set_uuid,
        "name": "Portfolio",
        "parent_public_uuid": None,
        "type": "gallery",
        "colour": "blue",
        "description": "Best of",
        "image_count": 0,
        "lead_image_public_uuid": None,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert format_time(parse_time(body["created_at"])) == body["created_at"]
    cached = await server.client.get(
        f"/v1/sets/{set_uuid}", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert cached.status_code == 304
    assert cached.content == b""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"name": "x", "colour": "pink"}, "colour", id="colour"),
        pytest.param({"name": "x", "type": "shelf"}, "type", id="type"),
        pytest.param({"name": ""}, "name", id="empty-name"),
        pytest.param({"name": "x" * 192}, "name", id="long-name"),
        pytest.param({"colour": "red"}, "name", id="no-name"),
        pytest.param({"name": "x", "shape": "round"}, "shape", id="unknown-field"),
        pytest.param({"name": "x", "parent_public_uuid": "nope"}, "parent_public_uuid", id="no-parent"),
    ],
)
async def test_create_is_validated_at_once(server: Harness, body: dict[str, Any], field: str) -> None:
    error = assert_envelope(await server.write("POST", "/v1/sets", json=body), 400, "validation")
    assert error["field"] == field
    listed = await server.client.get("/v1/operations", params={"type": "set_create"})
    assert listed.json() == []


async def test_replaying_a_create_returns_the_same_set(server: Harness) -> None:
    first = await server.write("POST", "/v1/sets", json={"name": "Once"}, key="create-once")
    again = await server.write("POST", "/v1/sets", json={"name": "Once"}, key="create-once")
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["uuid"] == first.json()["uuid"]
    created = await server.wait_operation(first.json()["uuid"])
    replayed = (await server.write("POST", "/v1/sets", json={"name": "Once"}, key="create-once")).json()
    assert replayed["result"]["set_public_uuid"] == created["result"]["set_public_uuid"]
    assert [s["public_uuid"] for s in (await server.client.get("/v1/sets")).json()] == [
        created["result"]["set_public_uuid"]
    ]


async def test_a_rerun_create_does_not_make_a_second_set(server: Harness) -> None:
    """The uuid is chosen at acceptance: running the operation twice makes one set."""
    account_id = await server.account_id()
    params = {
        "public_uuid": str(uuid.uuid4()),
        "parent_id": None,
        "name": "Twice",
        "colour": None,
        "description": None,
        "type": None,
    }
    for _ in range(2):
        accepted = await server.runtime.intake.submit(
            account_id, Submission(type=set_structure.CREATE, params=params), None
        )
        operation = await server.wait_operation(accepted.record.uuid)
        assert operation["result"]["set_public_uuid"] == params["public_uuid"]
    assert len((await server.client.get("/v1/sets")).json()) == 1


async def test_nested_sets_in_order_and_as_a_tree(server: Harness) -> None:
    a = await new_set(server, "A")
    b = await new_set(server, "B", type="folder")
    a1 = await new_set(server, "A1", parent_public_uuid=a)
    a2 = await new_set(server, "A2", parent_public_uuid=a)
    a1x = await new_set(server, "A1x", parent_public_uuid=a1)
    await add(server, a1, await new_images(server, 2))
    top = await server.client.get("/v1/sets")
    assert [s["public_uuid"] for s in top.json()] == [a, b]
    assert top.headers["X-Has-More"] == "false"
    children = await server.client.get("/v1/sets", params={"parent_public_uuid": a})
    assert [s["public_uuid"] for s in children.json()] == [a1, a2]
    assert children.json()[0]["parent_public_uuid"] == a
    assert children.json()[0]["image_count"] == 2
    paged = await server.client.get("/v1/sets", params={"limit": 1})
    assert [s["public_uuid"] for s in paged.json()] == [a]
    assert paged.headers["X-Has-More"] == "true"
    assert paged.headers["X-Next-Offset"] == "1"
    tree = await server.client.get("/v1/sets/tree")
    assert tree.status_code == 200
    assert tree.json() == [
        {
            "public_uuid": a,
            "name": "A",
            "image_count": 0,
            "children": [
                {
                    "public_uuid": a1,
                    "name": "A1",
                    "image_count": 2,
                    "children": [{"public_uuid": a1x, "name": "A1x", "image_count": 0, "children": []}],
                },
                {"public_uuid": a2, "name": "A2", "image_count": 0, "children": []},
            ],
        },
        {"public_uuid": b, "name": "B", "image_count": 0, "children": []},
    ]
    cached = await server.client.get("/v1/sets/tree", headers={"If-None-Match": tree.headers["ETag"]})
    assert cached.status_code == 304


async def test_list_and_tree_parameters_are_validated(server: Harness) -> None:
    unknown_parent = await server.client.get("/v1/sets", params={"parent_public_uuid": "nope"})
    assert_envelope(unknown_parent, 404, "set_not_found")
    for url, params, field in (
        ("/v1/sets", {"limit": "0"}, "limit"),
        ("/v1/sets/tree", {"depth": "2"}, "depth"),
    ):
        error = assert_envelope(await server.client.get(url, params=params), 400, "validation")
        assert error["field"] == field


# Changing sets


async def test_patch_changes_fields_and_lead_image(server: Harness) -> None:
    set_uuid = await new_set(server, "Draft", colour="red")
    first, second = await new_images(server, 2)
    await add(server, set_uuid, [first, second])
    assert (await get_set(server, set_uuid))["lead_image_public_uuid"] == first
    operation = await succeeded(
        server,
        "PATCH",
        f"/v1/sets/{set_uuid}",
        {"name": "Final", "colour": None, "description": "Done", "lead_image_public_uuid": second},
    )
    assert operation["type"] == "set_update"
    body = await get_set(server, set_uuid)
    assert (body["name"], body["colour"], body["description"]) == ("Final", None, "Done")
    assert body["lead_image_public_uuid"] == second
    await succeeded(server, "PATCH", f"/v1/sets/{set_uuid}", {"lead_image_public_uuid": None})
    assert (await get_set(server, set_uuid))["lead_image_public_uuid"] == first
    for patch, field in (
        ({}, None),
        ({"name": None}, "name"),
        ({"type": "album"}, "type"),
        ({"lead_image_public_uuid": "nope"}, "lead_image_public_uuid"),
        ({"parent_public_uuid": "nope"}, "parent_public_uuid"),
    ):
        error = assert_envelope(
            await server.write("PATCH", f"/v1/sets/{set_uuid}", json=patch), 400, "validation"
        )
        assert error["field"] == field, patch


async def test_a_cycle_is_refused_at_once(server: Harness) -> None:
    a = await new_set(server, "A")
    b = await new_set(server, "B", parent_public_uuid=a)
    c = await new_set(server, "C", parent_public_uuid=b)
    for target in (a, c):
        response = await server.write("PATCH", f"/v1/sets/{a}", json={"parent_public_uuid": target})
        assert assert_envelope(response, 400, "validation")["field"] == "parent_public_uuid"
    assert (await server.client.get("/v1/operations", params={"type": "set_update"})).json() == []
    d = await new_set(server, "D")
    await succeeded(server, "PATCH", f"/v1/sets/{b}", {"parent_public_uuid": d})
    assert (await get_set(server, b))["parent_public_uuid"] == d
    await succeeded(server, "PATCH", f"/v1/sets/{c}", {"parent_public_uuid": None})
    top = (await server.client.get("/v1/sets")).json()
    assert [s["public_uuid"] for s in top] == [a, d, c]


async def test_a_cycle_is_checked_again_when_the_update_runs(server: Harness) -> None:
    """Accepted before another update made it a cycle: the operation fails, nothing changes."""
    a = await new_set(server, "A")
    b = await new_set(server, "B", parent_public_uuid=a)
    account_id = await server.account_id()
    a_row = await sets_store.by_uuid(server.runtime.db, a, account_id)
    b_row = await sets_store.by_uuid(server.runtime.db, b, account_id)
    assert a_row is not None and b_row is not None
    accepted = await server.runtime.intake.submit(
        account_id,
        Submission(
            type=set_structure.UPDATE,
            params={"set_id": a_row.set_id, "changes": {"name": "renamed"}, "parent_id": b_row.set_id},
        ),
        None,
    )
    operation = await server.wait_operation(accepted.record.uuid)
    assert operation["status"] == "failed"
    assert operation["error"]["code"] == "validation"
    body = await get_set(server, a)
    assert (body["name"], body["parent_public_uuid"]) == ("A", None)


async def test_delete_removes_sub_sets_but_never_images(server: Harness) -> None:
    a = await new_set(server, "A")
    b = await new_set(server, "B", parent_public_uuid=a)
    keep = await new_set(server, "Keep")
    images = await new_images(server, 3)
    await add(server, a, images[:2])
    await add(server, b, images[1:])
    await add(server, keep, images)
    operation = await succeeded(server, "DELETE", f"/v1/sets/{a}")
    assert operation["type"] == "set_delete"
    assert operation["result"]["deleted_sets"] == 2
    for gone in (a, b):
        assert_envelope(await server.client.get(f"/v1/sets/{gone}"), 404, "set_not_found")
    for image in images:
        assert (await server.client.get(f"/v1/images/{image}")).status_code == 200
    assert await members(server, keep) == images
    assert [s["public_uuid"] for s in (await server.client.get("/v1/sets")).json()] == [keep]
    assert_envelope(await server.write("DELETE", f"/v1/sets/{a}"), 404, "set_not_found")


async def test_sibling_sets_are_reordered(server: Harness) -> None:
    a, b, c = [await new_set(server, name) for name in "ABC"]
    operation = await succeeded(server, "PATCH", "/v1/sets/reorder", {"set_public_uuids": [c, a, b]})
    assert operation["type"] == "sets_reorder"
    assert [s["public_uuid"] for s in (await server.client.get("/v1/sets")).json()] == [c, a, b]
    x, y = await new_set(server, "X", parent_public_uuid=a), await new_set(server, "Y", parent_public_uuid=a)
    await succeeded(
        server, "PATCH", "/v1/sets/reorder", {"parent_public_uuid": a, "set_public_uuids": [y, x]}
    )
    children = await server.client.get("/v1/sets", params={"parent_public_uuid": a})
    assert [s["public_uuid"] for s in children.json()] == [y, x]
    for body in (
        {"set_public_uuids": [c, a]},
        {"set_public_uuids": [c, a, b, x]},
        {"set_public_uuids": [c, a, b, b]},
    ):
        response = await server.write("PATCH", "/v1/sets/reorder", json=body)
        assert assert_envelope(response, 400, "validation")["field"] == "set_public_uuids"


# Accounts and scopes


async def test_sets_of_another_account_are_not_found(server: Harness) -> None:
    set_uuid = await new_set(server)
    (image,) = await new_images(server, 1)
    await add(server, set_uuid, [image])
    other = await server.new_token(account="other")
    headers = {"Authorization": f"Bearer {other}"}
    url = f"/v1/sets/{set_uuid}"
    for path in (url, f"{url}/images", f"{url}/snapshots"):
        assert_envelope(await server.client.get(path, headers=headers), 404, "set_not_found")
    for method, path, body in (
        ("PATCH", url, {"name": "mine"}),
        ("DELETE", url, None),
        ("POST", f"{url}/images", {"image_public_uuids": [str(uuid.uuid4())]}),
        ("DELETE", f"{url}/images", {"image_public_uuids": [str(uuid.uuid4())]}),
        ("PATCH", f"{url}/order", {"image_public_uuids": []}),
        ("PATCH", f"{url}/visibility", {"image_public_uuids": [image], "hidden": True}),
        ("POST", f"{url}/restore", {"snapshot_public_uuid": "x"}),
    ):
        response = await server.write(method, path, json=body, token=other)
        assert_envelope(response, 404, "set_not_found")
    assert (await server.client.get("/v1/sets", headers=headers)).json() == []
    assert (await server.client.get("/v1/sets/tree", headers=headers)).json() == []
    response = await server.write(
        "POST", "/v1/sets", json={"name": "x", "parent_public_uuid": set_uuid}, token=other
    )
    assert assert_envelope(response, 400, "validation")["field"] == "parent_public_uuid"


async def test_writes_need_the_sets_scope(server: Harness) -> None:
    set_uuid = await new_set(server)
    reader = await server.new_token(scopes=[Scope.IMAGES_READ])
    url = f"/v1/sets/{set_uuid}"
    for method, path, body in (
        ("POST", "/v1/sets", {"name": "x"}),
        ("PATCH", url, {"name": "x"}),
        ("DELETE", url, None),
        ("POST", f"{url}/images", {"image_public_uuids": ["x"]}),
        ("DELETE", f"{url}/images", {"image_public_uuids": ["x"]}),
        ("PATCH", f"{url}/order", {"image_public_uuids": []}),
        ("PATCH", "/v1/sets/reorder", {"set_public_uuids": [set_uuid]}),
        ("PATCH", f"{url}/visibility", {"image_public_uuids": ["x"], "hidden": True}),
        ("POST", f"{url}/restore", {"snapshot_public_uuid": "x"}),
    ):
        assert_envelope(await server.write(method, path, json=body, token=reader), 403, "forbidden")
    headers = {"Authorization": f"Bearer {reader}"}
    for path in ("/v1/sets", "/v1/sets/tree", url, f"{url}/images", f"{url}/snapshots"):
        assert (await server.client.get(path, headers=headers)).status_code == 200, path
    uploader = await server.new_token(scopes=[Scope.UPLOAD])
    response = await server.client.get("/v1/sets", headers={"Authorization": f"Bearer {uploader}"})
    assert_envelope(response, 403, "forbidden")


async def test_writes_need_an_idempotency_key(server: Harness) -> None:
    response = await server.client.post("/v1/sets", json={"name": "x"})
    assert assert_envelope(response, 400, "validation")["field"] == "Idempotency-Key"
