"""Operation types by name: what each one runs and which scope it needs (to cancel it, too)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.operations.context import RunFunction


@dataclass(frozen=True, slots=True)
class OperationType:
    name: str
    # Needed to cancel it; None for a batch, whose items each needed their own.
    scope: str | None
    run: RunFunction


_TYPES: dict[str, OperationType] = {}


def operation_type(name: str, *, scope: str | None) -> Callable[[RunFunction], RunFunction]:
    """Register the decorated coroutine as the runner of operations of type `name`."""

    def register(run: RunFunction) -> RunFunction:
        if name in _TYPES:
            raise RuntimeError(f"operation type {name!r} registered twice")
        _TYPES[name] = OperationType(name, scope, run)
        return run

    return register


def get_type(name: str) -> OperationType:
    return _TYPES[name]
