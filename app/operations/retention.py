"""Forgetting old things: finished operations past their TTL, idempotency keys (and upload
ticket records) past theirs."""

from __future__ import annotations

import asyncio
import logging

from app.operations.watch import OperationWatch
from app.storage import operations_store, uploads_store
from app.storage.database import Database
from app.timestamps import text_ago

logger = logging.getLogger("darkroom.retention")

SWEEP_INTERVAL = 60.0  # seconds


async def sweep(db: Database, watch: OperationWatch, *, operation_ttl: float, idempotency_ttl: float) -> int:
    """Delete what expired; return how many operations went."""
    async with db.write() as tx:
        deleted = await operations_store.delete_finished_before(tx, text_ago(operation_ttl))
        await operations_store.delete_expired_idempotency_keys(tx, text_ago(idempotency_ttl))
        # A ticket's key is an idempotency key like the others.
        await uploads_store.delete_expired(tx, text_ago(idempotency_ttl))
    for op_id in deleted:
        watch.forget(op_id)
    return len(deleted)


async def sweep_forever(
    db: Database, watch: OperationWatch, *, operation_ttl: float, idempotency_ttl: float
) -> None:
    while True:
        try:
            deleted = await sweep(db, watch, operation_ttl=operation_ttl, idempotency_ttl=idempotency_ttl)
            if deleted:
                logger.info("retention deleted %d finished operations", deleted)
        except Exception:
            logger.exception("retention sweep failed")
        await asyncio.sleep(SWEEP_INTERVAL)
