"""The conventions every endpoint shares: envelope, request id, auth, ETag, paging, body limit."""

from __future__ import annotations

import httpx

from tests.conftest import Harness, ServerFactory


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "detail", "field", "request_id"}
    assert error["request_id"] == response.headers["X-Request-Id"]
    return dict(error)


async def test_health_needs_no_token(server: Harness) -> None:
    response = await server.client.get("/healthz", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_unknown_route_is_enveloped_404(server: Harness) -> None:
    assert_envelope(await server.client.get("/v2/nothing"), 404, "not_found")


async def test_wrong_method_is_enveloped_405(server: Harness) -> None:
    response = await server.client.put("/v1/me")
    assert_envelope(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


async def test_request_id_is_echoed_when_well_formed(server: Harness) -> None:
    response = await server.client.get("/v1/me", headers={"X-Request-Id": "abc.DEF-12_3"})
    assert response.headers["X-Request-Id"] == "abc.DEF-12_3"


async def test_request_id_is_replaced_when_malformed(server: Harness) -> None:
    for bad in ("has space", "x" * 129, "semi;colon"):
        response = await server.client.get("/v1/me", headers={"X-Request-Id": bad})
        assert response.headers["X-Request-Id"] != bad
        assert 1 <= len(response.headers["X-Request-Id"]) <= 128


async def test_every_response_has_a_request_id(server: Harness) -> None:
    for response in (
        await server.client.get("/healthz"),
        await server.client.get("/v1/me"),
        await server.client.get("/missing"),
        await server.client.get("/v1/me", headers={"Authorization": "Bearer nope"}),
    ):
        assert response.headers["X-Request-Id"]


async def test_missing_token_is_401(server: Harness) -> None:
    response = await server.client.get("/v1/me", headers={"Authorization": ""})
    assert_envelope(response, 401, "unauthorized")


async def test_unknown_token_is_401(server: Harness) -> None:
    response = await server.client.get("/v1/me", headers={"Authorization": "Bearer drk_nope"})
    assert_envelope(response, 401, "unauthorized")


async def test_api_key_header_is_accepted(server: Harness) -> None:
    response = await server.client.get("/v1/me", headers={"Authorization": "", "API-Key": server.token})
    assert response.status_code == 200


async def test_expired_token_is_401(server: Harness) -> None:
    token = await server.new_token(expires_in=0.001)
    import asyncio

    await asyncio.sleep(0.01)
    response = await server.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_envelope(response, 401, "unauthorized")


async def test_revoked_token_is_401_within_a_second(server: Harness) -> None:
    import asyncio

    from app.storage import accounts_store

    token = await server.new_token()
    headers = {"Authorization": f"Bearer {token}"}
    me = (await server.client.get("/v1/me", headers=headers)).json()
    async with server.runtime.db.write() as tx:
        assert await accounts_store.revoke_token(tx, me["token"]["uuid"])
    for _ in range(30):
        response = await server.client.get("/v1/me", headers=headers)
        if response.status_code == 401:
            break
        await asyncio.sleep(0.1)
    assert_envelope(response, 401, "unauthorized")


async def test_missing_scope_is_403(server: Harness) -> None:
    token = await server.new_token(scopes=["api.upload"])
    response = await server.client.get("/v1/operations", headers={"Authorization": f"Bearer {token}"})
    error = assert_envelope(response, 403, "forbidden")
    assert error["detail"] == {"scope": "api.images.read"}


async def test_ip_restricted_token_is_403_from_elsewhere(server: Harness) -> None:
    # The ASGI test client connects from 127.0.0.1.
    elsewhere = await server.new_token(ip_networks=["10.0.0.0/8"])
    here = await server.new_token(ip_networks=["127.0.0.0/8"])
    response = await server.client.get("/v1/me", headers={"Authorization": f"Bearer {elsewhere}"})
    assert_envelope(response, 403, "forbidden")
    response = await server.client.get("/v1/me", headers={"Authorization": f"Bearer {here}"})
    assert response.status_code == 200


async def test_me_describes_account_token_and_scopes(server: Harness) -> None:
    token = await server.new_token(name="reader", scopes=["api.images.read"])
    response = await server.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    assert body["account"]["name"] == "default"
    assert body["token"]["name"] == "reader"
    assert body["token"]["expires_at"] is None
    assert body["capabilities"] == ["api.images.read"]


async def test_get_has_strong_etag_and_304(server: Harness) -> None:
    first = await server.client.get("/v1/me")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = await server.client.get("/v1/me", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    other = await server.client.get("/v1/me", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


async def test_body_over_the_global_limit_is_413(server_factory: ServerFactory) -> None:
    server = await server_factory(max_body_bytes=1000)
    image = await server.create_image()
    response = await server.write(
        "PATCH", f"/v1/images/{image.public_uuid}", json={"description": "x" * 2000}
    )
    assert_envelope(response, 413, "payload_too_large")


async def test_body_over_the_token_cap_is_413(server: Harness) -> None:
    image = await server.create_image()
    token = await server.new_token(max_request_bytes=100)
    response = await server.write(
        "PATCH",
        f"/v1/images/{image.public_uuid}",
        json={"description": "x" * 200},
        token=token,
    )
    assert_envelope(response, 413, "payload_too_large")
    small = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "ok"}, token=token)
    assert small.status_code == 202


async def test_chunked_body_over_limit_is_413_without_content_length(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(max_body_bytes=1000)
    image = await server.create_image()

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b" " * 100

    response = await server.client.patch(
        f"/v1/images/{image.public_uuid}",
        content=chunks(),
        headers={"Idempotency-Key": "k1"},
    )
    assert_envelope(response, 413, "payload_too_large")


async def test_unhandled_error_is_500_internal_without_traceback(server: Harness) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("secret internals")

    server.runtime.authenticator.authenticate = broken  # type: ignore[method-assign]
    response = await server.client.get("/v1/me")
    error = assert_envelope(response, 500, "internal")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert error["message"] == "Internal server error."


async def test_an_offset_past_any_library_is_an_empty_page_or_refused(server: Harness) -> None:
    # Found by tests/test_fuzz.py: an offset beyond SQLite's integers was a 500.
    last = await server.client.get("/v1/sets", params={"offset": 2**63 - 1})
    assert last.status_code == 200
    assert last.json() == []
    beyond = await server.client.get("/v1/sets", params={"offset": 2**63})
    assert beyond.status_code == 400
    assert beyond.json()["error"]["field"] == "offset"
