"""The blocking client: the async one run on a private loop, operations that wait by blocking."""

from __future__ import annotations

import threading

import pytest

from app.client import Darkroom, NotFound, Operation, OperationFailed
from app.testing import DarkroomServer


def test_the_sync_client_writes_waits_reads_and_raises(server: DarkroomServer) -> None:
    with Darkroom(server.url, server.token) as darkroom:
        assert darkroom.healthy()
        assert darkroom.me().account.name == "default"
        operation = darkroom.sets.create("Blocking", colour="green").wait(10).raise_for_failure()
        assert isinstance(operation, Operation) and operation.status == "succeeded"
        found = darkroom.sets.get(operation.result["set_public_uuid"])
        assert (found.name, found.colour) == ("Blocking", "green")
        with pytest.raises(NotFound):
            darkroom.images.get("missing")
        op = darkroom.imgs.delete_one("none").wait()
        assert op.info.num_skipped == 1
    assert "darkroom-client" not in {thread.name for thread in threading.enumerate()}  # its loop is gone


def test_the_sync_client_sees_failed_operations(server: DarkroomServer) -> None:
    with Darkroom(server.url, server.token) as darkroom, server.faults(fail_rate=1.0):
        operation = darkroom.sets.create("Failing").wait(10)
        with pytest.raises(OperationFailed) as raised:
            operation.raise_for_failure()
    assert raised.value.code == "fault_injected"


def test_the_sync_client_follows_each_change_of_an_operation(server: DarkroomServer) -> None:
    with Darkroom(server.url, server.token) as darkroom, server.faults(delay_ms=800):
        darkroom.sets.create("Ahead")
        followed = darkroom.sets.create("Watched")
        assert [info.status for info in followed.follow()] == ["queued", "running", "succeeded"]
        # Leaving early closes what it was following; the client stays usable.
        slow = darkroom.sets.create("Left")
        for info in slow.follow():
            assert not info.finished
            break
        assert slow.wait(10).succeeded
