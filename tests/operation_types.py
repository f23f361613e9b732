"""Operation types that exist only in the tests, so that a test decides when an operation moves.

Importing this module registers them. A test submits them straight to the intake
(`submit`); the HTTP side then sees them like any other operation.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from app.accounts.scopes import Scope
from app.operations.context import ItemError, OperationFailed, RunContext
from app.operations.registry import operation_type
from app.operations.submission import Accepted, Submission
from app.runtime import Darkroom
from app.storage import images_store

ITEMS = "test_items"
FAIL = "test_fail"
CRASH = "test_crash"
WRITE_THEN_RAISE = "test_write_then_raise"
COMMIT = "test_commit"
ITEMS_IN_ONE_TRANSACTION = "test_items_in_one_transaction"

# Labels of `test_items` operations in the order they started running.
started_labels: list[str] = []


class Gate:
    """Holds an operation before each of its items until the test lets that many through."""

    def __init__(self) -> None:
        self._permits = asyncio.Semaphore(0)
        self._arrivals = 0
        self._arrived = asyncio.Condition()

    async def enter(self) -> None:
        async with self._arrived:
            self._arrivals += 1
            self._arrived.notify_all()
        await self._permits.acquire()

    def allow(self, items: int = 1) -> None:
        for _ in range(items):
            self._permits.release()

    def open(self) -> None:
        self.allow(10_000)

    async def reached(self, item: int = 1, timeout: float = 5.0) -> None:
        """Return once the `item`-th item (counting from 1) came to the gate: those before it are done."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: self._arrivals >= item)


GATES: dict[str, Gate] = {}
_gate_numbers = itertools.count()


def new_gate() -> tuple[str, Gate]:
    name = f"gate-{next(_gate_numbers)}"
    GATES[name] = Gate()
    return name, GATES[name]


def open_all_gates() -> None:
    for gate in GATES.values():
        gate.open()
    GATES.clear()


@operation_type(ITEMS, scope=Scope.IMAGES_WRITE)
async def run_items(context: RunContext) -> None:
    """`items` items, each held by the gate (if any) and lasting `delay` seconds."""
    started_labels.append(context.params.get("label", context.record.uuid))
    gate = GATES.get(context.params.get("gate", ""))
    items: int = context.params.get("items", 1)
    for index in range(items):
        if gate is not None:
            await gate.enter()
        context.check_canceled()
        await asyncio.sleep(context.params.get("delay", 0))
        await context.progress(done=index + 1, total=items)
    context.result["message"] = f"Did {items} items."


@operation_type(FAIL, scope=Scope.IMAGES_WRITE)
async def run_fail(context: RunContext) -> None:
    raise OperationFailed(
        "items_failed",
        "Two of three items failed.",
        [
            ItemError(index=0, code="image_not_found", message="No such image.", image_public_uuid="x"),
            ItemError(index=2, code="bad_value", message="Bad value."),
        ],
    )


@operation_type(CRASH, scope=Scope.IMAGES_WRITE)
async def run_crash(context: RunContext) -> None:
    raise RuntimeError("an unexpected bug")


@operation_type(WRITE_THEN_RAISE, scope=Scope.IMAGES_WRITE)
async def run_write_then_raise(context: RunContext) -> None:
    """Changes an image and adds one inside the operation's transaction, then fails, raises or hangs."""
    async with context.commit() as tx:
        await images_store.update(tx, context.params["image_id"], {"title": "half-done"})
        await images_store.insert(tx, context.record.account_id, {"title": "ghost"})
        how = context.params["how"]
        if how == "failed":
            raise OperationFailed("half_way", "Stopped half way.")
        if how == "hang":
            await asyncio.sleep(3600)
        raise RuntimeError("broke half way")


@operation_type(COMMIT, scope=Scope.IMAGES_WRITE)
async def run_commit(context: RunContext) -> None:
    """Once through its gate, retitles an image in the operation's transaction."""
    gate = GATES.get(context.params.get("gate", ""))
    if gate is not None:
        await gate.enter()
    async with context.commit() as tx:
        await images_store.update(tx, context.params["image_id"], {"title": context.params["title"]})
        context.result["message"] = "Retitled."


@operation_type(ITEMS_IN_ONE_TRANSACTION, scope=Scope.IMAGES_WRITE)
async def run_items_in_one_transaction(context: RunContext) -> None:
    """All-or-nothing over `items` items, noting progress from inside its transaction."""
    items: int = context.params["items"]
    async with context.commit() as tx:
        for index in range(items):
            await tx.execute("SELECT 1")
            await context.progress(done=index + 1, total=items)
        context.result["message"] = f"Did {items} items in one go."


async def submit(
    runtime: Darkroom, account_id: int, type: str = ITEMS, *, urgent: bool = False, **params: Any
) -> Accepted:
    """Queue a test operation as a write endpoint would, without an idempotency key."""
    total = params.get("items", 1)
    return await runtime.intake.submit(
        account_id, Submission(type=type, params=params, progress_total=total, urgent=urgent), None
    )
