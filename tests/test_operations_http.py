"""The operations engine seen over HTTP: writes as operations, idempotency, polling, lists, cancel,
the queue bound, ordering, retention and progress."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.operations import retention
from app.storage import operations_store
from tests import operation_types
from tests.conftest import Harness, ServerFactory
from tests.operation_types import Gate, new_gate, submit
from tests.test_http_conventions import assert_envelope

RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OPERATION_FIELDS = {
    "uuid",
    "type",
    "status",
    "image_public_uuids",
    "progress",
    "result",
    "error",
    "created_at",
    "started_at",
    "finished_at",
}
FINISHED = {"succeeded", "failed", "canceled"}


@pytest.fixture
def gates(server_factory: ServerFactory) -> Iterator[None]:
    """Open every gate before the servers stop, so that no test operation holds up shutdown."""
    operation_types.started_labels.clear()
    yield
    operation_types.open_all_gates()


async def poll(server: Harness, uuid: str, *statuses: str) -> dict[str, Any]:
    """Follow an operation (Prefer: wait + If-None-Match) until it is in one of `statuses`."""
    headers = {"Prefer": "wait=1"}
    for _ in range(50):
        response = await server.client.get(f"/v1/operations/{uuid}", headers=headers)
        if response.status_code == 200:
            headers["If-None-Match"] = response.headers["ETag"]
            body: dict[str, Any] = response.json()
            if body["status"] in statuses:
                return body
    raise TimeoutError(f"{uuid} never reached {statuses}")


async def settled(server: Harness, response: httpx.Response) -> dict[str, Any]:
    """The operation a write was answered with, once finished (most are, within the grace)."""
    assert response.status_code == 202, response.text
    operation: dict[str, Any] = response.json()
    if operation["status"] in FINISHED:
        return operation
    return await poll(server, operation["uuid"], *FINISHED)


async def blocked(server: Harness, label: str = "blocker") -> tuple[str, Gate]:
    """A running operation that holds its worker until the test opens its gate."""
    name, gate = new_gate()
    accepted = await submit(server.runtime, await server.account_id(), gate=name, label=label)
    await gate.reached()
    return accepted.record.uuid, gate


# PATCH and DELETE /v1/images/{uuid}


async def test_patch_answers_202_with_the_finished_operation(server: Harness) -> None:
    image = await server.create_image(title="before")
    response = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "after"})
    assert response.status_code == 202
    operation = response.json()
    assert set(operation) == OPERATION_FIELDS
    assert operation["uuid"].startswith("op-")
    assert response.headers["Location"] == f"/v1/operations/{operation['uuid']}"
    assert "Idempotent-Replayed" not in response.headers
    assert operation["type"] == "update"
    assert operation["status"] == "succeeded"  # within the accept grace
    assert operation["image_public_uuids"] == [image.public_uuid]
    assert operation["progress"] == {"total": 1, "done": 1, "failed": 0}
    assert operation["result"] == {"message": "Updated successfully."}
    assert operation["error"] is None
    for name in ("created_at", "started_at", "finished_at"):
        assert RFC3339_MS.match(operation[name]), operation[name]
    assert operation["created_at"] <= operation["started_at"] <= operation["finished_at"]
    shown = (await server.client.get(f"/v1/images/{image.public_uuid}")).json()
    assert shown["title"] == "after"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(b'{"title": "' + b"x" * 192 + b'"}', "title", id="title-over-191"),
        pytest.param(b'{"rotation": 45}', "rotation", id="rotation-45"),
        pytest.param(b'{"colour": "red"}', "colour", id="unknown-field"),
        pytest.param(b'{"title": 5}', "title", id="wrong-type"),
        pytest.param(b'{"description": ["a"]}', "description", id="wrong-type-list"),
        pytest.param(b'{"creation_date": "yesterday"}', "creation_date", id="bad-date"),
        pytest.param(b"", None, id="empty-body"),
        pytest.param(b"{}", None, id="nothing-to-change"),
        pytest.param(b"{not json", None, id="malformed"),
    ],
)
async def test_rejected_patch_stores_nothing_and_frees_its_key(
    server: Harness, body: bytes, field: str | None
) -> None:
    image = await server.create_image(title="kept")
    url = f"/v1/images/{image.public_uuid}"
    headers = {"Idempotency-Key": "reused-key", "Content-Type": "application/json"}
    response = await server.client.patch(url, content=body, headers=headers)
    error = assert_envelope(response, 400, "validation")
    assert error["field"] == field
    assert (await server.client.get("/v1/operations")).json() == []
    assert (await server.client.get(url)).json()["title"] == "kept"
    corrected = await server.client.patch(url, json={"title": "fixed"}, headers=headers)
    assert corrected.status_code == 202
    assert "Idempotent-Replayed" not in corrected.headers
    assert (await server.client.get(url)).json()["title"] == "fixed"


async def test_a_title_of_191_characters_is_accepted_whatever_their_bytes(server: Harness) -> None:
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    for title in ("x" * 191, "é" * 191, "📷" * 191):
        response = await server.write("PATCH", url, json={"title": title})
        assert response.status_code == 202, response.text
        assert (await server.client.get(url)).json()["title"] == title


async def test_rotation_swaps_width_and_height_on_quarter_turns(server: Harness) -> None:
    image = await server.create_image(width=400, height=300)
    url = f"/v1/images/{image.public_uuid}"
    for rotation, size in ((90, (300, 400)), (270, (300, 400)), (180, (400, 300)), (0, (400, 300))):
        response = await server.write("PATCH", url, json={"rotation": rotation})
        assert (await settled(server, response))["status"] == "succeeded"
        shown = (await server.client.get(url)).json()
        assert (shown["rotation"], shown["width"], shown["height"]) == (rotation, *size)


async def test_delete_is_an_operation_and_the_image_is_gone(server: Harness) -> None:
    image = await server.create_image()
    operation = await settled(server, await server.write("DELETE", f"/v1/images/{image.public_uuid}"))
    assert (operation["type"], operation["status"]) == ("delete", "succeeded")
    assert operation["image_public_uuids"] == [image.public_uuid]
    assert operation["result"] == {"message": "Deleted successfully."}
    gone = await server.client.get(f"/v1/images/{image.public_uuid}")
    assert_envelope(gone, 404, "image_not_found")
    again = await server.write("DELETE", f"/v1/images/{image.public_uuid}")
    assert_envelope(again, 404, "image_not_found")


async def test_another_accounts_image_is_a_plain_404(server: Harness) -> None:
    image = await server.create_image(title="mine")
    other = await server.new_token(account="other")
    url = f"/v1/images/{image.public_uuid}"
    assert_envelope(
        await server.write("PATCH", url, json={"title": "x"}, token=other), 404, "image_not_found"
    )
    assert_envelope(await server.write("DELETE", url, token=other), 404, "image_not_found")
    assert_envelope(
        await server.client.get(url, headers={"Authorization": f"Bearer {other}"}), 404, "image_not_found"
    )
    listed = await server.client.get("/v1/operations", headers={"Authorization": f"Bearer {other}"})
    assert listed.json() == []
    assert (await server.client.get(url)).json()["title"] == "mine"


async def test_another_accounts_operation_is_404(server: Harness) -> None:
    image = await server.create_image()
    operation = (await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "t"})).json()
    other = {"Authorization": f"Bearer {await server.new_token(account='other')}"}
    url = f"/v1/operations/{operation['uuid']}"
    assert_envelope(await server.client.get(url, headers=other), 404, "operation_not_found")
    assert_envelope(await server.client.post(f"{url}/cancel", headers=other), 404, "operation_not_found")
    # A poll with the right ETag must not leak the operation either.
    etag = (await server.client.get(url)).headers["ETag"]
    leaked = await server.client.get(url, headers={**other, "If-None-Match": etag})
    assert_envelope(leaked, 404, "operation_not_found")


# Idempotency


async def test_a_write_without_a_key_is_400_naming_the_header(server: Harness) -> None:
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    for response in (await server.client.patch(url, json={"title": "x"}), await server.client.delete(url)):
        error = assert_envelope(response, 400, "validation")
        assert error["field"] == "Idempotency-Key"
    assert (await server.client.get("/v1/operations")).json() == []


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"k" * 256, id="256-chars"),
        pytest.param("clé".encode(), id="non-ascii-utf8"),
        pytest.param(b"cl\xe9", id="non-ascii-latin1"),
        pytest.param(b"a\x01b", id="control-char"),
        pytest.param(b"a\tb", id="tab"),
        pytest.param(b"a\x7fb", id="delete-char"),
    ],
)
async def test_a_malformed_key_is_400(server: Harness, key: bytes) -> None:
    image = await server.create_image()
    response = await server.client.patch(
        f"/v1/images/{image.public_uuid}", json={"title": "x"}, headers={b"Idempotency-Key": key}
    )
    error = assert_envelope(response, 400, "validation")
    assert error["field"] == "Idempotency-Key"
    assert (await server.client.get("/v1/operations")).json() == []


async def test_a_key_of_255_printable_characters_is_accepted(server: Harness) -> None:
    image = await server.create_image()
    key = ("~ !aZ09" * 40)[:255]
    response = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "x"}, key=key)
    assert response.status_code == 202


async def test_same_key_same_body_replays_the_operation(server: Harness) -> None:
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    headers = {"Idempotency-Key": "replay-me", "Content-Type": "application/json"}
    first = await server.client.patch(url, content=b'{"title": "T", "description": "D"}', headers=headers)
    assert first.status_code == 202
    assert "Idempotent-Replayed" not in first.headers
    for body in (b'{"description":"D","title":"T"}', b'\n {  "title" :\t"T" ,\n"description": "D" } \n'):
        again = await server.client.patch(url, content=body, headers=headers)
        assert again.status_code == 202
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["uuid"] == first.json()["uuid"]
    listed = (await server.client.get("/v1/operations")).json()
    assert [operation["uuid"] for operation in listed] == [first.json()["uuid"]]


async def test_same_key_different_request_is_409(server: Harness) -> None:
    image, other_image = await server.create_image(), await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    first = await server.write("PATCH", url, json={"title": "one"}, key="k")
    assert first.status_code == 202
    for response in (
        await server.write("PATCH", url, json={"title": "two"}, key="k"),
        await server.write("PATCH", url, json={"title": "one", "description": None}, key="k"),
        await server.write("PATCH", f"/v1/images/{other_image.public_uuid}", json={"title": "one"}, key="k"),
        await server.write("DELETE", url, key="k"),
    ):
        assert_envelope(response, 409, "idempotency_key_conflict")
    assert len((await server.client.get("/v1/operations")).json()) == 1
    assert (await server.client.get(url)).json()["title"] == "one"


async def test_retrying_a_delete_that_succeeded_replays_it(server: Harness) -> None:
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    first = await settled(server, await server.write("DELETE", url, key="delete-once"))
    assert first["status"] == "succeeded"
    retry = await server.write("DELETE", url, key="delete-once")
    assert retry.status_code == 202
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first


async def test_keys_are_scoped_to_the_account(server: Harness) -> None:
    other = await server.new_token(account="other")
    mine, theirs = await server.create_image(), await server.create_image(account="other")
    body = {"title": "same"}
    a = await server.write("PATCH", f"/v1/images/{mine.public_uuid}", json=body, key="shared")
    b = await server.write("PATCH", f"/v1/images/{theirs.public_uuid}", json=body, key="shared", token=other)
    assert (a.status_code, b.status_code) == (202, 202)
    assert "Idempotent-Replayed" not in b.headers
    assert a.json()["uuid"] != b.json()["uuid"]
    for token, operation in ((server.token, a.json()), (other, b.json())):
        listed = await server.client.get("/v1/operations", headers={"Authorization": f"Bearer {token}"})
        assert [o["uuid"] for o in listed.json()] == [operation["uuid"]]


async def test_fifty_simultaneous_requests_with_one_key_make_one_operation(server: Harness) -> None:
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    responses = await asyncio.gather(
        *(server.write("PATCH", url, json={"title": "once"}, key="stampede") for _ in range(50))
    )
    assert {response.status_code for response in responses} == {202}
    assert len({response.json()["uuid"] for response in responses}) == 1
    originals = [r for r in responses if "Idempotent-Replayed" not in r.headers]
    assert len(originals) == 1
    assert len((await server.client.get("/v1/operations")).json()) == 1


async def test_an_expired_key_starts_new_work(server_factory: ServerFactory) -> None:
    # Long enough that the second and third writes fall inside one lifetime even on a loaded
    # machine; the first one's has surely ended by then.
    server = await server_factory(idempotency_ttl=2.0)
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    first = await server.write("PATCH", url, json={"title": "a"}, key="short-lived")
    await asyncio.sleep(2.1)
    second = await server.write("PATCH", url, json={"title": "b"}, key="short-lived")
    assert second.status_code == 202
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["uuid"] != first.json()["uuid"]
    third = await server.write("PATCH", url, json={"title": "b"}, key="short-lived")
    assert third.json()["uuid"] == second.json()["uuid"]
    assert len((await server.client.get("/v1/operations")).json()) == 2


# GET /v1/operations/{uuid}


async def test_a_finished_operation_has_a_strong_etag_and_304(server: Harness) -> None:
    image = await server.create_image()
    patched = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "t"})
    uuid = (await settled(server, patched))["uuid"]
    response = await server.client.get(f"/v1/operations/{uuid}")
    assert response.status_code == 200
    assert set(response.json()) == OPERATION_FIELDS
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert "Retry-After" not in response.headers
    cached = await server.client.get(f"/v1/operations/{uuid}", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["ETag"] == etag
    assert "Retry-After" not in cached.headers
    assert (await server.client.get(f"/v1/operations/{uuid}")).headers["ETag"] == etag
    stale = await server.client.get(f"/v1/operations/{uuid}", headers={"If-None-Match": '"op0.0"'})
    assert stale.status_code == 200


async def test_a_304_is_answered_without_the_database(
    server: Harness, gates: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = await server.create_image()
    done = (await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "t"})).json()
    running, _ = await blocked(server)
    etags = {
        uuid: (await server.client.get(f"/v1/operations/{uuid}")).headers["ETag"]
        for uuid in (done["uuid"], running)
    }
    statements: list[str] = []

    def counted(name: str) -> Any:
        original = getattr(server.runtime.db, name)

        def call(sql: str = "", *args: Any) -> Any:
            statements.append(sql or name)
            return original(sql, *args) if sql else original()

        return call

    for name in ("fetch_one", "fetch_all", "lookup", "write"):
        monkeypatch.setattr(server.runtime.db, name, counted(name))
    for _ in range(10):
        for uuid, etag in etags.items():
            response = await server.client.get(f"/v1/operations/{uuid}", headers={"If-None-Match": etag})
            assert response.status_code == 304
    # The token cache's own background refresh may run meanwhile; nothing else may.
    assert [sql for sql in statements if "FROM tokens" not in sql] == []
    await server.client.get(f"/v1/operations/{done['uuid']}")
    assert any("FROM operations" in sql for sql in statements)  # and a 200 is counted


async def test_unknown_operation_is_404(server: Harness) -> None:
    response = await server.client.get("/v1/operations/op-00000000-0000-0000-0000-000000000000")
    assert_envelope(response, 404, "operation_not_found")


async def test_etag_and_retry_after_follow_the_status(server_factory: ServerFactory, gates: None) -> None:
    server = await server_factory(workers=1)
    _, blocker = await blocked(server)
    name, gate = new_gate()
    uuid = (await submit(server.runtime, await server.account_id(), gate=name)).record.uuid
    url = f"/v1/operations/{uuid}"

    queued = await server.client.get(url)
    assert (queued.json()["status"], queued.headers["Retry-After"]) == ("queued", "1")
    assert queued.json()["started_at"] is None
    cached = await server.client.get(url, headers={"If-None-Match": queued.headers["ETag"]})
    assert (cached.status_code, cached.headers["Retry-After"]) == (304, "1")

    blocker.open()
    await gate.reached()
    running = await server.client.get(url, headers={"If-None-Match": queued.headers["ETag"]})
    assert running.status_code == 200
    assert (running.json()["status"], running.headers["Retry-After"]) == ("running", "1")
    assert running.headers["ETag"] != queued.headers["ETag"]

    gate.open()
    done = await poll(server, uuid, "succeeded")
    finished = await server.client.get(url)
    assert finished.json() == done
    assert finished.headers["ETag"] not in (queued.headers["ETag"], running.headers["ETag"])
    assert "Retry-After" not in finished.headers


async def test_prefer_wait_with_a_matching_etag_holds_then_304(server: Harness, gates: None) -> None:
    uuid, _ = await blocked(server)
    url = f"/v1/operations/{uuid}"
    etag = (await server.client.get(url)).headers["ETag"]
    started = time.monotonic()
    response = await server.client.get(url, headers={"If-None-Match": etag, "Prefer": "wait=1"})
    held = time.monotonic() - started
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Preference-Applied"] == "wait=1"
    assert 0.9 <= held < 2.0


async def test_prefer_wait_answers_as_soon_as_the_operation_changes(server: Harness, gates: None) -> None:
    uuid, gate = await blocked(server)
    url = f"/v1/operations/{uuid}"
    etag = (await server.client.get(url)).headers["ETag"]

    async def let_one_item_through() -> None:
        await asyncio.sleep(0.3)
        gate.allow()

    started = time.monotonic()
    response, _ = await asyncio.gather(
        server.client.get(url, headers={"If-None-Match": etag, "Prefer": "wait=10"}),
        let_one_item_through(),
    )
    held = time.monotonic() - started
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert response.json()["progress"]["done"] == 1
    assert 0.25 <= held < 2.0


async def test_prefer_wait_without_etag_holds_until_the_operation_differs(
    server: Harness, gates: None
) -> None:
    name, gate = new_gate()
    accepted = await submit(server.runtime, await server.account_id(), gate=name, items=3)
    await gate.reached()
    url = f"/v1/operations/{accepted.record.uuid}"
    before = await server.client.get(url)

    async def let_one_item_through() -> None:
        await asyncio.sleep(0.3)
        gate.allow()

    started = time.monotonic()
    response, _ = await asyncio.gather(
        server.client.get(url, headers={"Prefer": "wait=10"}), let_one_item_through()
    )
    held = time.monotonic() - started
    assert 0.25 <= held < 2.0
    assert response.status_code == 200
    assert response.headers["ETag"] != before.headers["ETag"]
    assert response.json()["progress"] == {"total": 3, "done": 1, "failed": 0}


async def test_prefer_wait_is_capped_at_60_and_a_finished_operation_answers_at_once(
    server: Harness,
) -> None:
    image = await server.create_image()
    patched = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "t"})
    uuid = (await settled(server, patched))["uuid"]
    url = f"/v1/operations/{uuid}"
    etag = (await server.client.get(url)).headers["ETag"]
    started = time.monotonic()
    response = await server.client.get(url, headers={"Prefer": "wait=600", "If-None-Match": etag})
    assert time.monotonic() - started < 1
    assert response.status_code == 304
    assert response.headers["Preference-Applied"] == "wait=60"
    ignored = await server.client.get(url, headers={"Prefer": "wait=soon"})
    assert ignored.status_code == 200
    assert "Preference-Applied" not in ignored.headers


# GET /v1/operations


async def test_list_is_newest_first_and_paged(server: Harness) -> None:
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    uuids = [(await server.write("PATCH", url, json={"title": f"t{n}"})).json()["uuid"] for n in range(5)]
    first = await server.client.get("/v1/operations", params={"limit": 2})
    assert [o["uuid"] for o in first.json()] == uuids[::-1][:2]
    assert (first.headers["X-Has-More"], first.headers["X-Next-Offset"]) == ("true", "2")
    assert all(set(o) == OPERATION_FIELDS for o in first.json())
    middle = await server.client.get("/v1/operations", params={"limit": 2, "offset": 2})
    assert [o["uuid"] for o in middle.json()] == uuids[::-1][2:4]
    last = await server.client.get("/v1/operations", params={"limit": 2, "offset": 4})
    assert [o["uuid"] for o in last.json()] == [uuids[0]]
    assert last.headers["X-Has-More"] == "false"
    assert "X-Next-Offset" not in last.headers
    everything = await server.client.get("/v1/operations")
    assert [o["uuid"] for o in everything.json()] == uuids[::-1]
    assert everything.headers["X-Has-More"] == "false"


async def test_list_filters_stack(server: Harness) -> None:
    account_id = await server.account_id()
    image = await server.create_image()
    patched = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "t"})
    update = await settled(server, patched)
    await asyncio.sleep(0.01)
    failed = (await submit(server.runtime, account_id, operation_types.FAIL)).record.uuid
    await poll(server, failed, "failed")
    await asyncio.sleep(0.01)
    delete = await settled(server, await server.write("DELETE", f"/v1/images/{image.public_uuid}"))

    async def listed(**params: str) -> list[str]:
        response = await server.client.get("/v1/operations", params=params)
        assert response.status_code == 200, response.text
        return [operation["uuid"] for operation in response.json()]

    assert await listed(status="failed") == [failed]
    assert await listed(status="succeeded") == [delete["uuid"], update["uuid"]]
    assert await listed(type="update") == [update["uuid"]]
    assert await listed(type="delete", status="succeeded") == [delete["uuid"]]
    assert await listed(type="delete", status="failed") == []
    assert await listed(created_at_from=delete["created_at"]) == [delete["uuid"]]
    assert await listed(created_at_to=update["created_at"]) == [update["uuid"]]
    assert await listed(created_at_from=update["created_at"], created_at_to=update["created_at"]) == [
        update["uuid"]
    ]
    # Any ISO 8601 timestamp, not only the stored form.
    assert await listed(created_at_from="2000-01-01T00:00:00+02:00", type="update") == [update["uuid"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"limit": "0"}, "limit", id="limit-0"),
        pytest.param({"limit": "201"}, "limit", id="limit-201"),
        pytest.param({"limit": "abc"}, "limit", id="limit-abc"),
        pytest.param({"offset": "-1"}, "offset", id="offset-negative"),
        pytest.param({"status": "done"}, "status", id="unknown-status"),
        pytest.param({"created_at_from": "last week"}, "created_at_from", id="bad-from"),
        pytest.param({"created_at_to": "2024-13-45"}, "created_at_to", id="bad-to"),
        pytest.param({"sort": "oldest"}, "sort", id="unknown-parameter"),
    ],
)
async def test_list_parameters_are_validated(server: Harness, params: dict[str, str], field: str) -> None:
    response = await server.client.get("/v1/operations", params=params)
    error = assert_envelope(response, 400, "validation")
    assert error["field"] == field


# Cancel


async def test_cancel_a_queued_operation_ends_it_at_once(server_factory: ServerFactory, gates: None) -> None:
    server = await server_factory(workers=1)
    _, blocker = await blocked(server)
    accepted = await submit(server.runtime, await server.account_id(), label="never")
    response = await server.client.post(f"/v1/operations/{accepted.record.uuid}/cancel")
    assert response.status_code == 202
    operation = response.json()
    assert operation["status"] == "canceled"
    assert operation["result"]["rolled_back"] is True
    assert operation["error"] is None
    assert operation["started_at"] is None
    assert RFC3339_MS.match(operation["finished_at"])
    blocker.open()
    await server.runtime.engine.drain()
    assert operation_types.started_labels == ["blocker"]
    assert (await server.client.get(f"/v1/operations/{accepted.record.uuid}")).json() == operation


async def test_cancel_a_running_operation_stops_it_at_its_next_item(server: Harness, gates: None) -> None:
    name, gate = new_gate()
    accepted = await submit(server.runtime, await server.account_id(), gate=name, items=5)
    uuid = accepted.record.uuid
    gate.allow()
    await gate.reached(2)  # item 1 done, waiting before item 2
    response = await server.client.post(f"/v1/operations/{uuid}/cancel")
    assert response.status_code == 202
    assert response.json()["status"] == "running"  # it stops at its next item, not before
    gate.open()
    operation = await poll(server, uuid, *FINISHED)
    assert operation["status"] == "canceled"
    assert operation["result"]["rolled_back"] is True
    assert operation["result"]["message"]
    assert operation["error"] is None
    assert operation["progress"]["done"] == 1
    assert operation["finished_at"] is not None


async def test_cancel_a_finished_operation_is_409(server: Harness) -> None:
    image = await server.create_image()
    patched = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "t"})
    operation = await settled(server, patched)
    response = await server.client.post(f"/v1/operations/{operation['uuid']}/cancel")
    assert_envelope(response, 409, "operation_finished")
    assert (await server.client.get(f"/v1/operations/{operation['uuid']}")).json() == operation


async def test_cancel_needs_the_scope_of_the_operations_type(server: Harness, gates: None) -> None:
    uuid, _ = await blocked(server)  # a test type with the scope api.images.write
    reader = await server.new_token(scopes=["api.images.read"])
    response = await server.client.post(
        f"/v1/operations/{uuid}/cancel", headers={"Authorization": f"Bearer {reader}"}
    )
    error = assert_envelope(response, 403, "forbidden")
    assert error["detail"] == {"scope": "api.images.write"}
    assert (await server.client.get(f"/v1/operations/{uuid}")).json()["status"] == "running"

    image = await server.create_image()
    delete = (await server.write("DELETE", f"/v1/images/{image.public_uuid}")).json()
    writer = await server.new_token(scopes=["api.images.read", "api.images.write"])
    response = await server.client.post(
        f"/v1/operations/{delete['uuid']}/cancel", headers={"Authorization": f"Bearer {writer}"}
    )
    error = assert_envelope(response, 403, "forbidden")
    assert error["detail"] == {"scope": "api.images.delete"}


# The queue


async def test_a_full_queue_answers_429_with_retry_after(server_factory: ServerFactory, gates: None) -> None:
    server = await server_factory(max_queued=3, workers=1)
    _, blocker = await blocked(server)
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    for n in range(3):
        response = await server.write("PATCH", url, json={"title": f"t{n}"})
        assert (response.status_code, response.json()["status"]) == (202, "queued")
    refused = await server.write("PATCH", url, json={"title": "t3"}, key="refused")
    assert_envelope(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    assert len((await server.client.get("/v1/operations")).json()) == 4

    # The bound is per account.
    other = await server.new_token(account="other")
    theirs = await server.create_image(account="other")
    response = await server.write(
        "PATCH", f"/v1/images/{theirs.public_uuid}", json={"title": "x"}, token=other
    )
    assert response.status_code == 202

    blocker.open()
    await server.runtime.engine.drain()
    retried = await server.write("PATCH", url, json={"title": "t3"}, key="refused")
    assert "Idempotent-Replayed" not in retried.headers
    assert (await settled(server, retried))["status"] == "succeeded"


async def test_urgent_operations_run_first_then_first_in_first_out(
    server_factory: ServerFactory, gates: None
) -> None:
    server = await server_factory(workers=1)
    account_id = await server.account_id()
    _, blocker = await blocked(server)
    queued = [
        await submit(server.runtime, account_id, label="A"),
        await submit(server.runtime, account_id, label="B"),
        await submit(server.runtime, account_id, label="C", urgent=True),
        await submit(server.runtime, account_id, label="D"),
        await submit(server.runtime, account_id, label="E", urgent=True),
    ]
    blocker.open()
    await server.runtime.engine.drain()
    assert operation_types.started_labels == ["blocker", "C", "E", "A", "B", "D"]
    bodies = {
        accepted.record.params["label"]: (
            await server.client.get(f"/v1/operations/{accepted.record.uuid}")
        ).json()
        for accepted in queued
    }
    assert {body["status"] for body in bodies.values()} == {"succeeded"}
    order = [bodies[label]["started_at"] for label in "CEABD"]
    assert order == sorted(order)


async def test_retention_deletes_finished_operations_past_their_ttl(
    server_factory: ServerFactory, gates: None
) -> None:
    server = await server_factory(operation_ttl=0.5)
    image = await server.create_image()
    old = (
        await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "t"}, key="k")
    ).json()
    still_running, _ = await blocked(server)
    await asyncio.sleep(0.6)
    recent = (await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "u"})).json()
    settings = server.runtime.settings
    deleted = await retention.sweep(
        server.runtime.db,
        server.runtime.watch,
        operation_ttl=settings.operation_ttl,
        idempotency_ttl=settings.idempotency_ttl,
    )
    assert deleted == 1
    assert_envelope(await server.client.get(f"/v1/operations/{old['uuid']}"), 404, "operation_not_found")
    listed = [o["uuid"] for o in (await server.client.get("/v1/operations")).json()]
    assert listed == [recent["uuid"], still_running]
    # Its key went with it: the same request now starts new work.
    again = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "t"}, key="k")
    assert again.status_code == 202
    assert again.json()["uuid"] != old["uuid"]


async def test_progress_is_visible_while_running_and_written_at_most_every_250_ms(
    server: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[float] = []
    update_progress = operations_store.update_progress

    async def noted(*args: Any) -> Any:
        writes.append(time.monotonic())
        return await update_progress(*args)

    monkeypatch.setattr(operations_store, "update_progress", noted)
    accepted = await submit(server.runtime, await server.account_id(), items=16, delay=0.05)
    url = f"/v1/operations/{accepted.record.uuid}"
    seen: list[dict[str, Any]] = []
    headers = {"Prefer": "wait=5"}
    while not seen or seen[-1]["status"] not in FINISHED:
        response = await server.client.get(url, headers=headers)
        if response.status_code == 200:
            seen.append(response.json())
            headers["If-None-Match"] = response.headers["ETag"]

    running = [body["progress"] for body in seen if body["status"] == "running"]
    assert [p for p in running if 0 < p["done"] < 16], seen
    assert all(progress["total"] == 16 for progress in running)
    assert [p["done"] for p in running] == sorted(p["done"] for p in running)
    assert seen[-1]["progress"] == {"total": 16, "done": 16, "failed": 0}
    assert seen[-1]["result"] == {"message": "Did 16 items."}
    # Sixteen items of 50 ms, but only a handful of progress writes, 250 ms apart at least.
    assert 2 <= len(writes) < 16
    gaps = [later - earlier for earlier, later in itertools.pairwise(writes)]
    assert all(gap >= 0.24 for gap in gaps), gaps


async def test_a_failed_operation_shows_its_error_with_items(server: Harness) -> None:
    accepted = await submit(server.runtime, await server.account_id(), operation_types.FAIL)
    operation = await poll(server, accepted.record.uuid, *FINISHED)
    assert operation["status"] == "failed"
    assert operation["result"] is None
    assert operation["error"] == {
        "code": "items_failed",
        "message": "Two of three items failed.",
        "items": [
            {"index": 0, "code": "image_not_found", "message": "No such image.", "image_public_uuid": "x"},
            {"index": 2, "code": "bad_value", "message": "Bad value."},
        ],
    }


async def test_an_update_of_an_image_deleted_meanwhile_fails_cleanly(
    server_factory: ServerFactory, gates: None
) -> None:
    server = await server_factory(workers=1)
    image = await server.create_image()
    url = f"/v1/images/{image.public_uuid}"
    _, blocker = await blocked(server)
    delete = (await server.write("DELETE", url)).json()
    update = (await server.write("PATCH", url, json={"title": "late"})).json()
    assert (delete["status"], update["status"]) == ("queued", "queued")
    blocker.open()
    failed = await poll(server, update["uuid"], *FINISHED)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "image_not_found"
    assert (await poll(server, delete["uuid"], *FINISHED))["status"] == "succeeded"
