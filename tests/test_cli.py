"""The command line: token management, and configuration errors that stop start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Harness, ServerFactory


def darkroom(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_token_create_prints_the_token_as_last_line(tmp_path: Path) -> None:
    result = darkroom("token", "create", "--account", "studio", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("drk_")


def test_token_list_and_revoke_as_json(tmp_path: Path) -> None:
    created = darkroom(
        "token", "create", "--account", "studio", "--name", "ci", "--scopes",
        "api.images.read,api.upload", "--expires-in", "30d", "--ip", "10.0.0.0/8",
        "--max-request-bytes", "1000", "--json", "--data-dir", str(tmp_path),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    uuid = json.loads(created.stdout)["uuid"]
    listed = json.loads(darkroom("token", "list", "--json", "--data-dir", str(tmp_path)).stdout)
    (token,) = listed
    assert token["token_uuid"] == uuid
    assert token["scopes"] == ["api.images.read", "api.upload"]
    assert token["ip_networks"] == ["10.0.0.0/8"]
    assert token["max_request_bytes"] == 1000
    assert token["expires_at"] is not None
    assert token["revoked_at"] is None
    revoked = darkroom("token", "revoke", uuid, "--json", "--data-dir", str(tmp_path))
    assert revoked.returncode == 0
    assert json.loads(revoked.stdout) == {"uuid": uuid, "revoked": True}
    again = darkroom("token", "revoke", uuid, "--data-dir", str(tmp_path))
    assert again.returncode == 1


def test_unknown_scope_is_a_usage_error(tmp_path: Path) -> None:
    result = darkroom(
        "token", "create", "--account", "a", "--scopes", "api.everything", "--data-dir", str(tmp_path)
    )
    assert result.returncode == 2
    assert "api.everything" in result.stderr


def test_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path: Path) -> None:
    for variable, value in (
        ("DARKROOM_PORT", "eighty"),
        ("DARKROOM_WORKERS", "0"),
        ("DARKROOM_OPERATION_TTL", "soon"),
    ):
        result = darkroom("serve", "--data-dir", str(tmp_path), env={variable: value})
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and variable in lines[0], result.stderr


async def test_a_token_created_by_the_cli_works_in_a_running_server(
    server_factory: ServerFactory,
) -> None:
    server: Harness = await server_factory()
    data_dir = server.runtime.settings.data_dir
    result = darkroom("token", "create", "--account", "studio", "--data-dir", str(data_dir))
    token = result.stdout.strip().splitlines()[-1]
    response = await server.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["account"]["name"] == "studio"
