"""A set's images through /v1: add, move, remove, order, visibility, snapshots; large moves."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from app.storage import sets_store
from app.storage.database import Transaction
from app.timestamps import format_time, now, now_text, parse_time
from tests.conftest import Harness
from tests.test_http_conventions import assert_envelope
from tests.test_sets_http import add, get_set, members, new_images, new_set, run, succeeded

# Membership


async def test_images_are_appended_in_order_and_never_twice(server: Harness) -> None:
    set_uuid = await new_set(server)
    i1, i2, i3 = await new_images(server, 3)
    operation = await add(server, set_uuid, [i1, i2])
    assert operation["type"] == "set_images_add"
    assert operation["image_public_uuids"] == [i1, i2]
    assert operation["result"]["added"] == 2
    operation = await add(server, set_uuid, [i3, i1, i3])
    assert operation["result"]["added"] == 1
    assert await members(server, set_uuid) == [i1, i2, i3]
    assert (await get_set(server, set_uuid))["image_count"] == 3


async def test_unknown_images_are_refused_at_once_and_listed(server: Harness) -> None:
    set_uuid = await new_set(server)
    (mine,) = await new_images(server, 1)
    await server.new_token(account="other")
    theirs = (await server.create_image(account="other")).public_uuid
    for method in ("POST", "DELETE"):
        response = await server.write(
            method, f"/v1/sets/{set_uuid}/images", json={"image_public_uuids": [mine, "nope", theirs]}
        )
        error = assert_envelope(response, 400, "validation")
        assert error["field"] == "image_public_uuids"
        assert error["detail"] == {"missing": ["nope", theirs]}
    bodies: list[dict[str, Any]] = [{"image_public_uuids": []}, {"image_public_uuids": "x"}, {}]
    for body in bodies:
        response = await server.write("POST", f"/v1/sets/{set_uuid}/images", json=body)
        assert assert_envelope(response, 400, "validation")["field"] == "image_public_uuids"
    assert await members(server, set_uuid) == []


async def test_images_are_removed(server: Harness) -> None:
    set_uuid = await new_set(server)
    i1, i2, i3 = await new_images(server, 3)
    await add(server, set_uuid, [i1, i2, i3])
    operation = await succeeded(server, "DELETE", f"/v1/sets/{set_uuid}/images", {"image_public_uuids": [i2]})
    assert operation["type"] == "set_images_remove"
    assert operation["result"]["removed"] == 1
    assert await members(server, set_uuid) == [i1, i3]
    assert (await server.client.get(f"/v1/images/{i2}")).status_code == 200


async def test_images_move_between_sets(server: Harness) -> None:
    source, target = await new_set(server, "Source"), await new_set(server, "Target")
    i1, i2, i3, i4 = await new_images(server, 4)
    await add(server, source, [i1, i2, i3])
    await add(server, target, [i4])
    operation = await succeeded(
        server, "POST", f"/v1/sets/{target}/images", {"image_public_uuids": [i3, i1], "move_from": source}
    )
    assert operation["type"] == "set_images_move"
    assert await members(server, source) == [i2]
    assert await members(server, target) == [i4, i3, i1]
    for move_from in (target, "nope"):
        response = await server.write(
            "POST", f"/v1/sets/{target}/images", json={"image_public_uuids": [i2], "move_from": move_from}
        )
        assert assert_envelope(response, 400, "validation")["field"] == "move_from"


async def test_a_new_order_must_name_exactly_the_members(server: Harness) -> None:
    set_uuid = await new_set(server)
    i1, i2, i3, outsider = await new_images(server, 4)
    await add(server, set_uuid, [i1, i2, i3])
    operation = await succeeded(
        server, "PATCH", f"/v1/sets/{set_uuid}/order", {"image_public_uuids": [i3, i1, i2]}
    )
    assert operation["type"] == "set_order"
    assert await members(server, set_uuid) == [i3, i1, i2]
    for order, problem in (
        ([i3, i1], {"missing": [i2]}),
        ([i3, i1, i2, outsider], {"unexpected": [outsider]}),
        ([i3, i1, i2, i2], {"duplicates": [i2]}),
    ):
        response = await server.write(
            "PATCH", f"/v1/sets/{set_uuid}/order", json={"image_public_uuids": order}
        )
        error = assert_envelope(response, 400, "validation")
        assert error["field"] == "image_public_uuids"
        detail = error["detail"]
        assert isinstance(detail, dict)
        assert {key: value for key, value in detail.items() if value} == problem
    assert await members(server, set_uuid) == [i3, i1, i2]


async def test_set_images_are_paged_with_an_etag(server: Harness) -> None:
    set_uuid = await new_set(server)
    images = await new_images(server, 3)
    await add(server, set_uuid, images)
    first = await server.client.get(f"/v1/sets/{set_uuid}/images", params={"limit": 2})
    assert [i["public_uuid"] for i in first.json()] == images[:2]
    assert first.headers["X-Has-More"] == "true"
    assert first.headers["X-Next-Offset"] == "2"
    assert first.json()[0]["title"] == "image 0"
    assert first.json()[0]["hidden"] is False
    assert first.json()[0]["activation_time"] is None
    rest = await server.client.get(f"/v1/sets/{set_uuid}/images", params={"limit": 2, "offset": 2})
    assert [i["public_uuid"] for i in rest.json()] == images[2:]
    assert rest.headers["X-Has-More"] == "false"
    cached = await server.client.get(
        f"/v1/sets/{set_uuid}/images", params={"limit": 2}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert cached.status_code == 304


async def test_deleting_an_image_removes_its_memberships(server: Harness) -> None:
    set_uuid = await new_set(server)
    i1, i2 = await new_images(server, 2)
    await add(server, set_uuid, [i1, i2])
    await succeeded(server, "DELETE", f"/v1/images/{i1}")
    assert await members(server, set_uuid) == [i2]
    assert (await get_set(server, set_uuid))["image_count"] == 1


# Visibility


async def visibility(server: Harness, set_uuid: str) -> dict[str, tuple[bool, str | None]]:
    images = (await server.client.get(f"/v1/sets/{set_uuid}/images")).json()
    return {image["public_uuid"]: (image["hidden"], image["activation_time"]) for image in images}


async def test_hidden_images_and_their_activation_time(server: Harness) -> None:
    set_uuid = await new_set(server)
    plain, past, future = await new_images(server, 3)
    await add(server, set_uuid, [plain, past, future])
    url = f"/v1/sets/{set_uuid}/visibility"
    operation = await succeeded(server, "PATCH", url, {"image_public_uuids": [plain], "hidden": True})
    assert operation["type"] == "set_visibility"
    earlier = format_time(now() - timedelta(minutes=1))
    later = format_time(now() + timedelta(hours=1))
    await succeeded(
        server, "PATCH", url, {"image_public_uuids": [past], "hidden": True, "activation_time": earlier}
    )
    await succeeded(
        server,
        "PATCH",
        url,
        {"image_public_uuids": [future], "hidden": True, "activation_time": later.replace("Z", "+00:00")},
    )
    assert await visibility(server, set_uuid) == {
        plain: (True, None),
        past: (False, earlier),
        future: (True, later),
    }
    await succeeded(server, "PATCH", url, {"image_public_uuids": [plain, future], "hidden": False})
    assert await visibility(server, set_uuid) == {
        plain: (False, None),
        past: (False, earlier),
        future: (False, None),
    }


async def test_a_hidden_image_shows_once_its_time_comes(server: Harness) -> None:
    set_uuid = await new_set(server)
    (image,) = await new_images(server, 1)
    await add(server, set_uuid, [image])
    soon = format_time(now() + timedelta(milliseconds=300))
    body = {"image_public_uuids": [image], "hidden": True, "activation_time": soon}
    await succeeded(server, "PATCH", f"/v1/sets/{set_uuid}/visibility", body)
    assert await visibility(server, set_uuid) == {image: (True, soon)}
    await asyncio.sleep((parse_time(soon) - now()).total_seconds() + 0.01)
    assert await visibility(server, set_uuid) == {image: (False, soon)}


async def test_visibility_is_validated_at_once(server: Harness) -> None:
    set_uuid = await new_set(server)
    member, outsider = await new_images(server, 2)
    await add(server, set_uuid, [member])
    url = f"/v1/sets/{set_uuid}/visibility"
    for body, field in (
        ({"image_public_uuids": [member], "hidden": "true"}, "hidden"),
        ({"image_public_uuids": [member], "hidden": 1}, "hidden"),
        ({"image_public_uuids": [member]}, "hidden"),
        ({"image_public_uuids": [member], "hidden": True, "activation_time": "soon"}, "activation_time"),
        ({"image_public_uuids": [member], "hidden": False, "activation_time": now_text()}, "activation_time"),
        ({"image_public_uuids": [member, outsider], "hidden": True}, "image_public_uuids"),
    ):
        error = assert_envelope(await server.write("PATCH", url, json=body), 400, "validation")
        assert error["field"] == field, body
    assert await visibility(server, set_uuid) == {member: (False, None)}


# Snapshots


async def snapshots(server: Harness, set_uuid: str) -> list[dict[str, Any]]:
    response = await server.client.get(f"/v1/sets/{set_uuid}/snapshots", params={"limit": 200})
    assert response.status_code == 200
    body: list[dict[str, Any]] = response.json()
    return body


async def test_rearrangements_are_snapshotted_and_restored(server: Harness) -> None:
    set_uuid = await new_set(server)
    i1, i2, i3 = await new_images(server, 3)
    await add(server, set_uuid, [i1, i2])
    url = f"/v1/sets/{set_uuid}"
    await succeeded(server, "PATCH", f"{url}/visibility", {"image_public_uuids": [i2], "hidden": True})
    await succeeded(server, "PATCH", f"{url}/order", {"image_public_uuids": [i2, i1]})
    await add(server, set_uuid, [i3])
    await succeeded(server, "DELETE", f"{url}/images", {"image_public_uuids": [i2]})
    listed = await snapshots(server, set_uuid)
    assert [(s["operation_type"], s["image_count"]) for s in listed] == [
        ("set_images_remove", 3),
        ("set_images_add", 2),
        ("set_order", 2),
        ("set_images_add", 0),
    ]
    assert set(listed[0]) == {"public_uuid", "created_at", "image_count", "operation_type"}
    etag = (await server.client.get(f"{url}/snapshots")).headers["ETag"]
    cached = await server.client.get(f"{url}/snapshots", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    before_order = listed[2]["public_uuid"]
    operation = await succeeded(server, "POST", f"{url}/restore", {"snapshot_public_uuid": before_order})
    assert operation["type"] == "set_restore"
    assert await members(server, set_uuid) == [i1, i2]
    assert await visibility(server, set_uuid) == {i1: (False, None), i2: (True, None)}
    listed = await snapshots(server, set_uuid)
    assert (listed[0]["operation_type"], listed[0]["image_count"]) == ("set_restore", 2)
    await succeeded(server, "POST", f"{url}/restore", {"snapshot_public_uuid": listed[0]["public_uuid"]})
    assert await members(server, set_uuid) == [i1, i3]
    other = await new_set(server, "Other")
    for snapshot in ("nope", listed[0]["public_uuid"]):
        response = await server.write(
            "POST", f"/v1/sets/{other}/restore", json={"snapshot_public_uuid": snapshot}
        )
        assert assert_envelope(response, 400, "validation")["field"] == "snapshot_public_uuid"


async def test_only_the_last_50_snapshots_are_kept(server: Harness) -> None:
    set_uuid = await new_set(server)
    images = await new_images(server, 53)
    for image in images:
        await add(server, set_uuid, [image])
    listed = await snapshots(server, set_uuid)
    assert len(listed) == 50
    assert [s["image_count"] for s in listed] == list(range(52, 2, -1))
    oldest = listed[-1]["public_uuid"]
    await succeeded(server, "POST", f"/v1/sets/{set_uuid}/restore", {"snapshot_public_uuid": oldest})
    assert await members(server, set_uuid) == images[:3]
    listed = await snapshots(server, set_uuid)
    assert len(listed) == 50
    assert listed[0]["operation_type"] == "set_restore"
    assert oldest not in [s["public_uuid"] for s in listed]


# Large moves


async def insert_images(server: Harness, count: int) -> list[str]:
    """`count` image rows in one statement, as an import would leave them."""
    account_id = await server.account_id()
    moment = now_text()
    uuids = [str(uuid.uuid4()) for _ in range(count)]
    async with server.runtime.db.write() as tx:
        await tx.executemany(
            "INSERT INTO images (public_uuid, account_id, title, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(image, account_id, f"bulk {n}", moment, moment) for n, image in enumerate(uuids)],
        )
    return uuids


async def member_uuids(server: Harness, set_uuid: str) -> list[str]:
    found = await sets_store.by_uuid(server.runtime.db, set_uuid, await server.account_id())
    assert found is not None
    return list(await sets_store.member_ids(server.runtime.db, found.set_id))


def seconds_taken(operation: dict[str, Any]) -> float:
    return (parse_time(operation["finished_at"]) - parse_time(operation["started_at"])).total_seconds()


async def test_5000_images_move_in_one_operation_well_under_a_second(server: Harness) -> None:
    source, target = await new_set(server, "Source"), await new_set(server, "Target")
    images = await insert_images(server, 5000)
    await add(server, source, images)
    await add(server, target, images[:10])
    moving = images[::-1]
    operation = await succeeded(
        server, "POST", f"/v1/sets/{target}/images", {"image_public_uuids": moving, "move_from": source}
    )
    assert operation["type"] == "set_images_move"
    assert operation["result"] == {"message": "Images moved.", "added": 4990, "removed": 5000}
    assert seconds_taken(operation) < 1.0, operation
    assert await member_uuids(server, source) == []
    assert await member_uuids(server, target) == images[:10] + moving[:-10]
    assert (await get_set(server, target))["image_count"] == 5000
    assert [s["image_count"] for s in await snapshots(server, source)][:1] == [5000]


async def test_5000_images_are_reordered_well_under_a_second(server: Harness) -> None:
    set_uuid = await new_set(server)
    images = await insert_images(server, 5000)
    await add(server, set_uuid, images)
    started = time.perf_counter()
    operation = await succeeded(
        server, "PATCH", f"/v1/sets/{set_uuid}/order", {"image_public_uuids": images[::-1]}
    )
    assert time.perf_counter() - started < 1.0, "checked and accepted in well under a second"
    assert seconds_taken(operation) < 1.0, operation
    assert await member_uuids(server, set_uuid) == images[::-1]


async def test_a_move_failing_half_way_changes_neither_set(
    server: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = await new_set(server, "Source"), await new_set(server, "Target")
    images = await new_images(server, 4)
    await add(server, source, images[:3])
    await add(server, target, images[3:])
    snapshots_before = await snapshots(server, source)
    target_row = await sets_store.by_uuid(server.runtime.db, target, await server.account_id())
    assert target_row is not None
    target_sizes: list[int] = []

    async def fail_after_the_target_was_written(tx: Transaction, set_id: int, image_ids: list[int]) -> int:
        target_sizes.append(len(await sets_store.member_ids(tx, target_row.set_id)))
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sets_store, "remove_images", fail_after_the_target_was_written)
    operation = await run(
        server, "POST", f"/v1/sets/{target}/images", {"image_public_uuids": images[:3], "move_from": source}
    )
    assert target_sizes == [4], "the target had its new members when the move failed"
    assert operation["status"] == "failed"
    assert operation["error"]["code"] == "internal"
    assert await members(server, source) == images[:3]
    assert await members(server, target) == images[3:]
    assert await snapshots(server, source) == snapshots_before
