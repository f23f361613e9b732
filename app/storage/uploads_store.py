"""Upload tickets: which ticket an idempotency key obtained."""

from __future__ import annotations

from dataclasses import dataclass

from app.storage.database import Database, Transaction
from app.storage.queries import QUERIES

_BY_KEY = QUERIES["upload_ticket_by_key"]
_INSERT = QUERIES["insert_upload_ticket"]
_DELETE = QUERIES["delete_upload_ticket"]
_ACCOUNT_ID = QUERIES["account_id_by_uuid"]
_DELETE_EXPIRED = QUERIES["delete_expired_upload_tickets"]


@dataclass(frozen=True, slots=True)
class TicketRecord:
    fingerprint: str
    transaction_uuid: str
    created_at: str


async def by_key(tx: Transaction, account_id: int, key: str) -> TicketRecord | None:
    row = await tx.fetch_one(_BY_KEY, (account_id, key))
    if row is None:
        return None
    return TicketRecord(row["fingerprint"], row["transaction_uuid"], row["created_at"])


async def insert(tx: Transaction, account_id: int, key: str, ticket: TicketRecord) -> None:
    await tx.execute(
        _INSERT, (account_id, key, ticket.fingerprint, ticket.transaction_uuid, ticket.created_at)
    )


async def delete(tx: Transaction, account_id: int, key: str) -> None:
    await tx.execute(_DELETE, (account_id, key))


async def account_id_by_uuid(db: Database, account_uuid: str) -> int | None:
    row = await db.fetch_one(_ACCOUNT_ID, (account_uuid,))
    return None if row is None else int(row["account_id"])


async def delete_expired(tx: Transaction, cutoff: str) -> int:
    return await tx.execute(_DELETE_EXPIRED, (cutoff,))
