"""The embedded test server (app/testing.py), its faults, and the pytest plugin's fixture."""

from __future__ import annotations

import time
import uuid
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest

from app.faults import Faults
from app.testing import DarkroomServer, ServerFailed


def seconds_to_start() -> float:
    """From nothing to `/healthz` answered, and back to nothing."""
    began = time.perf_counter()
    with DarkroomServer() as server:
        started = time.perf_counter() - began
        data_dir = server.runtime.settings.data_dir
        me = httpx.get(f"{server.url}/v1/me", headers={"Authorization": f"Bearer {server.token}"})
        assert me.status_code == 200 and me.json()["account"]["name"] == "default"
        assert server.url.startswith("http://127.0.0.1:") and data_dir.is_dir()
    assert not data_dir.exists()
    return started


def test_starts_in_well_under_a_second_and_cleans_up() -> None:
    """The best of up to three starts: a moment of load from elsewhere on a shared machine
    says nothing about the server."""
    tries: list[float] = []
    while len(tries) < 3 and (not tries or min(tries) >= 1.0):
        tries.append(seconds_to_start())
    assert min(tries) < 1.0, f"took {', '.join(f'{t:.3f}' for t in tries)} s"


async def test_async_with_works_the_same() -> None:
    async with DarkroomServer() as server, httpx.AsyncClient() as client:
        health = await client.get(f"{server.url}/healthz")
        assert health.json() == {"status": "ok"}


def test_settings_are_passed_on_and_a_data_dir_given_is_kept(tmp_path: Path) -> None:
    with DarkroomServer(data_dir=tmp_path / "kept", max_queued=7, bootstrap_token="drk_known") as server:
        assert server.token == "drk_known"
        assert server.runtime.settings.max_queued == 7
    assert (tmp_path / "kept" / "darkroom.sqlite3").exists()
    with pytest.raises(ValueError, match="free port"):
        DarkroomServer(port=8080)


def test_a_start_that_fails_says_why(tmp_path: Path) -> None:
    with DarkroomServer(data_dir=tmp_path), pytest.raises(ServerFailed, match="another Darkroom server"):
        DarkroomServer(data_dir=tmp_path).start()


def test_a_dropped_write_is_a_broken_connection_for_work_that_was_done(
    darkroom_server: DarkroomServer,
) -> None:
    """Against the real uvicorn: the head goes out, then the connection closes mid-body."""
    with httpx.Client(base_url=darkroom_server.url) as client:
        client.headers["Authorization"] = f"Bearer {darkroom_server.token}"
        key = str(uuid.uuid4())
        with darkroom_server.faults(drop_rate=1.0):
            with pytest.raises(httpx.RemoteProtocolError, match="without sending complete message body"):
                client.post("/v1/sets", json={"name": "Cut"}, headers={"Idempotency-Key": key})
            # Reads and refused writes are never dropped.
            assert client.get("/v1/sets").status_code == 200
            assert client.post("/v1/sets", json={}, headers={"Idempotency-Key": "k"}).status_code == 400
        created = client.get("/v1/operations", params={"type": "set_create"}).json()
        again = client.post("/v1/sets", json={"name": "Cut"}, headers={"Idempotency-Key": key})
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["uuid"] == created[0]["uuid"]
        assert [s["name"] for s in client.get("/v1/sets").json()].count("Cut") == 1


def test_faults_are_checked_and_off_by_default() -> None:
    faults = Faults()
    assert faults.settings.delay_ms == 0 and not faults.drop_response()
    for bad in ({"fail_rate": 1.5}, {"drop_rate": -0.1}, {"delay_ms": -1}):
        with pytest.raises(ValueError):
            faults.configure(**bad)


def test_faults_are_repeatable_under_a_seed() -> None:
    first, second = Faults(), Faults()
    first.configure(drop_rate=0.3, seed=5)
    second.configure(drop_rate=0.3, seed=5)
    assert [first.drop_response() for _ in range(50)] == [second.drop_response() for _ in range(50)]


def test_the_plugin_is_registered_for_pytest() -> None:
    plugins = {entry.name: entry.value for entry in entry_points(group="pytest11")}
    assert plugins["darkroom"] == "app.pytest_plugin"


def test_the_darkroom_server_fixture(darkroom_server: DarkroomServer) -> None:
    me = httpx.get(f"{darkroom_server.url}/v1/me", headers={"API-Key": darkroom_server.token})
    assert me.json()["token"]["name"] == "bootstrap"
