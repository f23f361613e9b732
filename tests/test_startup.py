"""Start-up: migrations, the first-start token, the bootstrap token, one server per data dir."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.runtime import DataDirectoryBusy
from app.storage.migrations import available_migrations
from tests.conftest import ServerFactory, running, settings_for


async def test_first_start_writes_a_private_dev_token(server_factory: ServerFactory) -> None:
    server = await server_factory()
    path = server.runtime.settings.data_dir / "dev-token"
    assert path.read_text().strip() == server.token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((server.runtime.settings.data_dir / "secret").stat().st_mode) == 0o600


async def test_migrations_are_recorded_and_not_rerun(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    async with running(settings) as first:
        rows = await first.runtime.db.fetch_all("SELECT version FROM schema_migrations")
        assert [row["version"] for row in rows] == [m.version for m in available_migrations()]
        token = first.token
    # A second start on the same directory: no new dev token, the old one still works.
    async with running(settings) as second:
        assert second.runtime.dev_token is None
        row = await second.runtime.db.fetch_one("SELECT count(*) AS n FROM tokens")
        assert row is not None and row["n"] == 1
        assert (await second.client.get("/v1/me")).status_code == 200
        assert second.token == token


async def test_bootstrap_token_is_created_once(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", bootstrap_token="drk_known-for-tests")
    for _ in range(2):
        async with running(settings) as server:
            response = await server.client.get(
                "/v1/me", headers={"Authorization": "Bearer drk_known-for-tests"}
            )
            assert response.status_code == 200
            assert response.json()["account"]["name"] == "default"
            row = await server.runtime.db.fetch_one("SELECT count(*) AS n FROM tokens")
            assert row is not None and row["n"] == 2


async def test_a_second_server_on_the_same_data_dir_refuses(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    async with running(settings):
        with pytest.raises(DataDirectoryBusy):
            async with running(settings):
                pass
