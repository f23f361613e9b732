"""The search API's writes over HTTP: strict and relaxed, all-or-nothing and subset, sync and
async, and /ops."""

from __future__ import annotations

from typing import Any

import pytest

from app.operations.types.processing import files_of
from app.processor.pipeline import ProcessedImage
from tests.conftest import Harness, ServerFactory
from tests.processor.source_server import SourceServer, serving


@pytest.fixture(scope="module")
def source_server() -> Any:
    with serving() as server:
        yield server


@pytest.fixture
async def search(server_factory: ServerFactory) -> Harness:
    server = await server_factory(allow_private_sources="127.0.0.0/8")
    server.client.headers["API-Key"] = server.client.headers.pop("Authorization").removeprefix("Bearer ")
    return server


def image(source: SourceServer, id: Any, **fields: Any) -> dict[str, Any]:
    return {"id": id, "src": source.url("/image.png"), **fields}


async def v1_images(server: Harness) -> dict[str, dict[str, Any]]:
    body = (await server.client.get("/v1/images", params={"limit": 200})).json()
    return {item["external_id"]: item for item in body}


async def test_create_many_and_wait(search: Harness, source_server: SourceServer) -> None:
    response = await search.client.post(
        "/imgs",
        json=[
            image(source_server, "a", title="Harbour", caption="Boats", date="2005-5-13", author="Ana"),
            image(source_server, 7, keywords=["sea", "artist:Marina"], nsfw=False, categories=["x"]),
        ],
    )
    assert response.status_code == 200, response.text
    op = response.json()
    assert op["method"] == "add" and op["resource"] == "image"
    assert (op["num_total"], op["num_good"], op["num_bad"], op["num_skipped"]) == (2, 2, 0, 0)
    assert op["finished"] is True and op["success"] is True and op["all_good"] is True
    assert op["do_wait"] is True and op["do_strict"] is True and op["do_subset"] is False
    assert op["lang"] == "en" and isinstance(op["op_id"], int) and op["uuid"].startswith("op-")
    assert op["errors"] == []
    assert "type" not in op
    stored = await v1_images(search)
    assert set(stored) == {"a", "7"}
    assert stored["a"]["title"] == "Harbour"
    assert stored["a"]["description"] == "Boats"
    assert stored["a"]["creation_date"] == "2005-05-13"
    assert stored["a"]["metadata"]["creator"] == "Ana"
    assert stored["a"]["src"] == source_server.url("/image.png")
    assert (stored["a"]["width"], stored["a"]["height"]) == (16, 12)
    assert {(k["namespace"], k["value"]) for k in stored["7"]["keywords"]} >= {
        (None, "sea"),
        ("artist", "Marina"),
    }


async def test_colour_tags_in_the_language_asked(search: Harness, source_server: SourceServer) -> None:
    await search.client.post("/imgs", params={"lang": "es"}, json=[image(source_server, "r")])
    keywords = (await v1_images(search))["r"]["keywords"]
    assert {"namespace": "colour", "value": "rojo"} in keywords


async def test_strict_create_of_an_existing_id_is_422(search: Harness, source_server: SourceServer) -> None:
    await search.client.post("/imgs", json=[image(source_server, "a")])
    response = await search.client.post("/imgs", json=[image(source_server, "b"), image(source_server, "a")])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["items"] == [
        {
            "index": 1,
            "id": "a",
            "field": "id",
            "code": "id_exists",
            "message": "An image with this id exists.",
        }
    ]
    assert set(await v1_images(search)) == {"a"}


async def test_relaxed_create_of_an_existing_id_replaces_it(
    search: Harness, source_server: SourceServer
) -> None:
    await search.client.post("/imgs", json=[image(source_server, "a", title="Old", city="Porto")])
    response = await search.client.post(
        "/imgs", params={"strict": "false"}, json=[image(source_server, "a", title="New")]
    )
    assert response.status_code == 200, response.text
    stored = (await v1_images(search))["a"]
    assert stored["title"] == "New"
    assert stored["metadata"]["city"] is None


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_strict_change_of_a_missing_id_is_422(
    search: Harness, source_server: SourceServer, method: str
) -> None:
    response = await search.client.request(method, "/imgs", json=[image(source_server, "ghost")])
    assert response.status_code == 422
    assert response.json()["error"]["items"][0]["code"] == "not_found"


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_relaxed_change_of_a_missing_id_is_skipped(
    search: Harness, source_server: SourceServer, method: str
) -> None:
    await search.client.post("/imgs", json=[image(source_server, "a")])
    response = await search.client.request(
        method,
        "/imgs",
        params={"strict": "false"},
        json=[image(source_server, "a", title="Changed"), image(source_server, "ghost")],
    )
    assert response.status_code == 200, response.text
    op = response.json()
    assert (op["num_good"], op["num_skipped"]) == (1, 1)
    assert set(await v1_images(search)) == {"a"}


@pytest.mark.parametrize("strict", ["true", "false"])
async def test_delete_of_a_missing_id_is_skipped(
    search: Harness, source_server: SourceServer, strict: str
) -> None:
    await search.client.post("/imgs", json=[image(source_server, "a")])
    response = await search.client.request(
        "DELETE", "/imgs", params={"strict": strict}, json=["a", {"id": "ghost"}]
    )
    assert response.status_code == 200, response.text
    op = response.json()
    assert op["method"] == "del"
    assert (op["num_good"], op["num_skipped"]) == (1, 1)
    assert await v1_images(search) == {}


async def test_replace_clears_what_it_leaves_out_and_modify_keeps_it(
    search: Harness, source_server: SourceServer
) -> None:
    await search.client.post(
        "/imgs", json=[image(source_server, "a", title="T", city="Porto", keywords=["k"])]
    )
    await search.client.patch("/imgs/a", json={"title": "T2", "country": None})
    stored = (await v1_images(search))["a"]
    assert (stored["title"], stored["metadata"]["city"]) == ("T2", "Porto")
    assert [k["value"] for k in stored["keywords"] if k["namespace"] != "colour"] == ["k"]
    await search.client.put("/imgs/a", json={"src": source_server.url("/image.png"), "title": "T3"})
    stored = (await v1_images(search))["a"]
    assert (stored["title"], stored["metadata"]["city"]) == ("T3", None)
    assert [k for k in stored["keywords"] if k["namespace"] != "colour"] == []


async def test_an_unchanged_src_is_not_fetched_again(search: Harness, source_server: SourceServer) -> None:
    await search.client.post("/imgs", json=[image(source_server, "a")])
    fetches = len(source_server.requests)
    response = await search.client.put("/imgs/a", json={"src": source_server.url("/image.png"), "title": "x"})
    assert response.status_code == 200
    assert len(source_server.requests) == fetches


async def test_all_or_nothing_with_a_404_in_the_middle(search: Harness, source_server: SourceServer) -> None:
    items = [
        image(source_server, "a"),
        {"id": "b", "src": source_server.url("/status/404")},
        image(source_server, "c"),
    ]
    response = await search.client.post("/imgs", json=items)
    assert response.status_code == 422, response.text
    op = response.json()
    assert op["finished"] is True and op["success"] is False and op["all_good"] is False
    assert op["num_good"] == 0 and op["num_bad"] == 1
    assert op["errors"] == [{"index": 1, "id": "b", "code": "src_http_error", "msg": "src answered 404"}]
    assert await v1_images(search) == {}


async def test_subset_commits_the_good_ones(search: Harness, source_server: SourceServer) -> None:
    items = [
        image(source_server, "a"),
        {"id": "b", "src": source_server.url("/status/404")},
        image(source_server, "c"),
    ]
    response = await search.client.post("/imgs", params={"subset": "true"}, json=items)
    assert response.status_code == 200, response.text
    op = response.json()
    assert op["success"] is True and op["all_good"] is False and op["do_subset"] is True
    assert (op["num_good"], op["num_bad"]) == (2, 1)
    assert op["errors"][0]["index"] == 1 and op["errors"][0]["code"] == "src_http_error"
    assert set(await v1_images(search)) == {"a", "c"}


@pytest.mark.parametrize("subset", ["false", "true"])
async def test_files_collected_before_the_commit_are_made_again(
    search: Harness, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch, subset: str
) -> None:
    """Identical bytes share their files, so deleting another image with the same bytes may
    collect them between this write's processing and its commit (found by bench/chaos.py)."""
    runtime = search.runtime
    process = runtime.pool.process
    made: list[ProcessedImage] = []

    async def process_then_lose_the_files(*args: Any, **kwargs: Any) -> ProcessedImage:
        made.append(await process(*args, **kwargs))
        if len(made) == 1:  # what the delete of the last image using them does
            await runtime.media.collect(files_of(made[0]))
        return made[-1]

    monkeypatch.setattr(runtime.pool, "process", process_then_lose_the_files)
    response = await search.client.post("/imgs", params={"subset": subset}, json=[image(source_server, "a")])
    assert response.status_code == 200, response.text
    assert (response.json()["num_good"], response.json()["num_bad"]) == (1, 0)
    assert len(made) == 2
    shown = (await search.client.get("/v1/images", params={"limit": 1})).json()[0]
    assert shown["external_id"] == "a"
    files = files_of(made[-1])
    assert all(runtime.media.path(file).is_file() for file in files)


async def test_every_bad_item_is_listed(search: Harness, source_server: SourceServer) -> None:
    items = [
        image(source_server, "ok"),
        {"id": "x", "src": source_server.url("/image.png"), "colour": "red"},
        {"id": "y", "src": source_server.url("/image.png"), "date": "2020-13-01"},
        {"id": "z", "src": source_server.url("/image.png"), "nsfw": "true"},
        {"id": "ok", "src": source_server.url("/image.png")},
        {"id": "bell\u0007", "src": source_server.url("/image.png")},
        {"id": "nosrc"},
        {"id": True, "src": source_server.url("/image.png")},
    ]
    response = await search.client.post("/imgs", json=items)
    assert response.status_code == 422
    problems = {(p["index"], p["field"], p["code"]) for p in response.json()["error"]["items"]}
    assert problems == {
        (1, "colour", "invalid"),
        (2, "date", "invalid"),
        (3, "nsfw", "invalid"),
        (4, "id", "duplicate_id"),
        (5, "id", "invalid"),
        (6, "src", "missing"),
        (7, "id", "invalid"),
    }
    assert (await search.client.get("/ops")).json() == []


async def test_limits_and_shapes(server_factory: ServerFactory, source_server: SourceServer) -> None:
    server = await server_factory(max_batch_items=2)
    too_many = [image(source_server, n) for n in range(3)]
    assert (await server.client.post("/imgs", json=too_many)).status_code == 422
    assert (await server.client.post("/imgs", json=[])).status_code == 422
    assert (await server.client.post("/imgs", json={"id": "a"})).status_code == 422
    assert (await server.client.post("/imgs", content=b"[")).status_code == 422
    assert (await server.client.post("/imgs", params={"wait": "maybe"}, json=too_many[:1])).status_code == 422
    assert (await server.client.post("/imgs", params={"lang": "de"}, json=too_many[:1])).status_code == 422


async def test_single_image_paths_take_any_id(search: Harness, source_server: SourceServer) -> None:
    response = await search.client.post("/imgs/a%2Fb", json={"src": source_server.url("/image.png")})
    assert response.status_code == 200, response.text
    assert set(await v1_images(search)) == {"a/b"}
    mismatch = await search.client.patch("/imgs/a%2Fb", json={"id": "other", "title": "x"})
    assert mismatch.status_code == 422
    assert (await search.client.delete("/imgs/a%2Fb")).status_code == 200
    assert await v1_images(search) == {}


async def test_wait_past_the_sync_timeout_answers_202(
    server_factory: ServerFactory, source_server: SourceServer
) -> None:
    server = await server_factory(allow_private_sources="127.0.0.0/8", sync_timeout=0.3)
    response = await server.client.post("/imgs", json=[{"id": "s", "src": source_server.url("/slow")}])
    assert response.status_code == 202
    op = response.json()
    assert op["finished"] is False and op["success"] is None and op["all_good"] is None
    final = (await server.client.get(f"/ops/{op['op_id']}", headers={"Prefer": "wait=10"})).json()
    while not final["finished"]:
        final = (await server.client.get(f"/ops/{op['op_id']}", headers={"Prefer": "wait=10"})).json()
    assert final["success"] is True


async def test_async_write_answers_202_at_once(search: Harness, source_server: SourceServer) -> None:
    response = await search.client.post("/imgs", params={"wait": "false"}, json=[image(source_server, "a")])
    assert response.status_code == 202
    assert response.json()["do_wait"] is False


async def test_a_queued_operation_is_canceled(
    server_factory: ServerFactory, source_server: SourceServer
) -> None:
    server = await server_factory(allow_private_sources="127.0.0.0/8", workers=1)
    slow = await server.client.post(
        "/imgs", params={"wait": "false"}, json=[{"id": "s", "src": source_server.url("/slow")}]
    )
    queued = await server.client.post("/imgs", params={"wait": "false"}, json=[image(source_server, "q")])
    op_id = queued.json()["op_id"]
    canceled = await server.client.delete(f"/ops/{op_id}")
    assert canceled.status_code == 202
    assert canceled.json()["finished"] is True and canceled.json()["success"] is False
    again = await server.client.delete(f"/ops/{op_id}")
    assert again.status_code == 409 and again.json()["error"]["code"] == "operation_finished"
    await server.client.get(f"/ops/{slow.json()['op_id']}", headers={"Prefer": "wait=10"})
    assert "q" not in await v1_images(server)


async def test_ops_list_filters_and_headers(search: Harness, source_server: SourceServer) -> None:
    await search.client.post("/imgs", json=[image(source_server, "a")])
    await search.client.post("/imgs", json=[{"id": "b", "src": source_server.url("/status/404")}])
    created = await search.create_image()
    v1 = await search.write("PATCH", f"/v1/images/{created.public_uuid}", json={"title": "x"})
    await search.wait_operation(v1.json()["uuid"])
    everything = await search.client.get("/ops")
    assert everything.headers["X-Total-Count"] == "3"
    assert everything.headers["X-Has-More"] == "false"
    methods = [op["method"] for op in everything.json()]
    assert methods == ["multiple", "add", "add"]
    assert everything.json()[0]["type"] == "update"
    failed = (await search.client.get("/ops", params={"success": "false"})).json()
    assert [op["num_bad"] for op in failed] == [1]
    assert len((await search.client.get("/ops", params={"method": "add"})).json()) == 2
    paged = await search.client.get("/ops", params={"limit": 2, "page": 1})
    assert len(paged.json()) == 2 and paged.headers["X-Has-More"] == "true"
    assert len((await search.client.get("/ops", params={"limit": 2, "page": 2})).json()) == 1
    assert (await search.client.get("/ops", params={"page": 0})).status_code == 422
    assert (await search.client.get("/ops", params={"limit": 1001})).status_code == 422


async def test_one_op_with_etag_304_and_not_found(search: Harness, source_server: SourceServer) -> None:
    op = (await search.client.post("/imgs", json=[image(source_server, "a")])).json()
    first = await search.client.get(f"/ops/{op['op_id']}")
    assert first.status_code == 200 and first.json()["op_id"] == op["op_id"]
    cached = await search.client.get(f"/ops/{op['op_id']}", headers={"If-None-Match": first.headers["ETag"]})
    assert cached.status_code == 304
    for missing in ("999999", "abc"):
        response = await search.client.get(f"/ops/{missing}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "operation_not_found"
    theirs = await search.new_token(account="other")
    other = await search.client.get(f"/ops/{op['op_id']}", headers={"API-Key": theirs})
    assert other.status_code == 404


async def test_idempotency_key_is_honoured(search: Harness, source_server: SourceServer) -> None:
    headers = {"Idempotency-Key": "imgs-1"}
    first = await search.client.post("/imgs", json=[image(source_server, "a")], headers=headers)
    again = await search.client.post(
        "/imgs", params={"wait": "false"}, json=[image(source_server, "a")], headers=headers
    )
    assert again.json()["op_id"] == first.json()["op_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await search.client.post("/imgs", json=[image(source_server, "b")], headers=headers)
    assert other.status_code == 409


async def test_a_malformed_idempotency_key_is_422_like_any_bad_request(
    search: Harness, source_server: SourceServer
) -> None:
    # Found by tests/test_fuzz.py: the shared key check answered 400, which this dialect never does.
    response = await search.client.post(
        "/imgs", json=[image(source_server, "a")], headers={"Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "Idempotency-Key"
    assert [item["field"] for item in error["items"]] == ["Idempotency-Key"]


async def test_a_page_past_any_library_is_refused_not_a_server_error(search: Harness) -> None:
    # Found by tests/test_fuzz.py: (page - 1) × limit beyond SQLite's integers was a 500.
    assert (await search.client.get("/ops", params={"page": 10**22})).status_code == 422
    assert (await search.client.get("/imgs", params={"page": 10**22})).status_code == 422
    last = await search.client.get("/ops", params={"page": 10**9, "limit": 1000})
    assert last.status_code == 200
    assert last.json() == []


async def test_scopes_per_method(search: Harness, source_server: SourceServer) -> None:
    reader = await search.new_token(scopes=["api.images.read"])
    client = search.client
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.request(
            method, "/imgs", json=[image(source_server, "a")], headers={"API-Key": reader}
        )
        assert response.status_code == 403, method


async def test_one_image_in_the_search_dialect(search: Harness, source_server: SourceServer) -> None:
    await search.client.post(
        "/imgs",
        json=[image(source_server, "a/b", caption="Boats", date="2005-5-13", author="Ana", keywords=["sea"])],
    )
    response = await search.client.get("/imgs/a%2Fb")
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["image_id"] == "a/b"
    assert (shown["caption"], shown["date"], shown["author"]) == ("Boats", "2005-05-13", "Ana")
    assert "sea" in shown["keywords"] and "colour:red" in shown["keywords"]
    assert (shown["width"], shown["height"], shown["n_faces"]) == (16, 12, None)
    assert shown["versions"][0]["url"].startswith("http://testserver/media/")
    assert "description" not in shown and "creation_date" not in shown
    few = (await search.client.get("/imgs/a%2Fb", params=[("fields", "title"), ("fields", "date")])).json()
    assert few == {"image_id": "a/b", "title": None, "date": "2005-05-13"}
    cached = await search.client.get("/imgs/a%2Fb", headers={"If-None-Match": response.headers["ETag"]})
    assert cached.status_code == 304
    assert (await search.client.get("/imgs/a%2Fb", params={"fields": "nope"})).status_code == 422
    assert (await search.client.get("/imgs/a%2Fb", params={"colour": "x"})).status_code == 422
    missing = await search.client.get("/imgs/ghost")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "image_not_found"


async def test_a_batch_of_changes_rewrites_keywords_and_full_text(
    search: Harness, source_server: SourceServer
) -> None:
    created = [image(source_server, name, title=f"Old {name}", keywords=["old", "shared"]) for name in "abc"]
    assert (await search.client.post("/imgs", json=created)).status_code == 200
    changes = [
        {"id": "a", "title": "Lighthouse", "keywords": ["new", "Shared", "NEW", "place:Porto"]},
        {"id": "b", "city": "Cork"},
        {"id": "missing", "title": "x"},
    ]
    op = (await search.client.patch("/imgs", params={"strict": "false"}, json=changes)).json()
    assert (op["success"], op["num_good"], op["num_skipped"]) == (True, 2, 1)
    shown = {id: (await search.client.get(f"/imgs/{id}")).json() for id in "abc"}
    assert shown["a"]["keywords"][-3:] == ["new", "Shared", "place:Porto"]
    assert shown["b"]["keywords"][:2] == ["old", "shared"] and shown["b"]["city"] == "Cork"
    for q, expected in [
        ("t~lighthouse", ["a"]),
        ("t~old", ["b", "c"]),
        ("t~porto && t~new", ["a"]),
        ("t~cork", ["b"]),
        ("t~~~colour red", ["a", "b", "c"]),  # the colour tags stayed in the FTS keywords
    ]:
        found = (await search.client.get("/imgs", params={"q": q, "sort_by": "image_id"})).json()
        assert [result["image_id"] for result in found["results"]] == expected, q
    assert await search.runtime.db.fetch_all("SELECT * FROM fts_refresh_deferred") == []
