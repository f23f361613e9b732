"""`darkroom ops watch UUID`: followed to its end; the exit status says how it ended."""

from __future__ import annotations

from app.client import Darkroom
from tests.cli.conftest import Cli


def started(cli: Cli, name: str) -> str:
    with Darkroom(cli.server.url, cli.token) as client:
        return client.sets.create(name).uuid


def test_watch_follows_an_operation_to_success(cli: Cli) -> None:
    cli.server.faults(delay_ms=600)
    uuid = started(cli, "Watched")
    ran = cli("ops", "watch", uuid)
    assert ran.code == 0, ran.err
    assert ran.out == f"{uuid} set_create succeeded: Set created.\n"
    as_json = cli("ops", "watch", uuid, "--json")
    assert as_json.code == 0
    assert as_json.json()["status"] == "succeeded"
    assert as_json.json()["result"]["set_public_uuid"]


def test_a_failed_operation_is_exit_1_with_its_error(cli: Cli) -> None:
    cli.server.faults(delay_ms=300, fail_rate=1.0)
    uuid = started(cli, "Doomed")
    ran = cli("ops", "watch", uuid)
    assert ran.code == 1
    assert ran.out.startswith(f"{uuid} set_create failed: fault_injected: ")


def test_an_unknown_operation_is_exit_2(cli: Cli) -> None:
    ran = cli("ops", "watch", "op-00000000-0000-0000-0000-000000000000")
    assert ran.code == 2
    assert ran.err == "darkroom: no operation op-00000000-0000-0000-0000-000000000000\n"


def test_an_operation_of_the_search_dialect_is_watched_by_its_op_id(cli: Cli) -> None:
    cli.server.faults(delay_ms=300)
    with Darkroom(cli.server.url, cli.token) as client:
        op = client.imgs.delete_one("none")
    ran = cli("ops", "watch", str(op.info.op_id))
    assert ran.code == 0, ran.err
    assert ran.out.startswith(f"{op.info.uuid} ") and " succeeded" in ran.out
    unknown = cli("ops", "watch", "999999999")
    assert (unknown.code, unknown.err) == (2, "darkroom: no operation 999999999\n")
