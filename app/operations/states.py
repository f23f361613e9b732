"""The states of an operation, mirrored by the CHECK on `operations.status`."""

from __future__ import annotations

from enum import StrEnum


class OperationStatus(StrEnum):
    # Accepted and stored; waiting for a worker (also where a crash puts a running one back).
    QUEUED = "queued"
    # Claimed by a worker; may go back to queued only through a restart or a shutdown.
    RUNNING = "running"
    # Terminal: its changes committed together with this status.
    SUCCEEDED = "succeeded"
    # Terminal: nothing it would have changed was committed (subset mode aside, see imgs.md).
    FAILED = "failed"
    # Terminal: stopped before it started, or at its next item.
    CANCELED = "canceled"

    @property
    def finished(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({OperationStatus.SUCCEEDED, OperationStatus.FAILED, OperationStatus.CANCELED})
