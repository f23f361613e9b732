"""Keywords across an account's images: remove, rename, and counts."""

from __future__ import annotations

import msgspec

from app.storage import images_store
from app.storage.database import Database, Transaction
from app.storage.images_store import Keyword
from app.storage.queries import QUERIES

_DELETE = QUERIES["delete_keyword"]
_IMAGES_WITH = QUERIES["images_with_keyword"]
_COUNTS = QUERIES["keyword_counts"]
_NAMESPACE_COUNTS = QUERIES["namespace_counts"]


class KeywordCount(msgspec.Struct, frozen=True):
    value: str
    namespace: str | None
    count: int


class NamespaceCount(msgspec.Struct, frozen=True):
    namespace: str
    count: int


async def remove(tx: Transaction, image_id: int, keyword: Keyword) -> bool:
    return await tx.execute(_DELETE, (image_id, keyword.namespace or "", keyword.folded)) > 0


async def rename(
    tx: Transaction, account_id: int, old: Keyword, new: Keyword, image_ids: list[int] | None
) -> int:
    """Replace `old` by `new` on the images carrying it (all, or those listed); images that
    had both keep one. Returns how many images changed."""
    rows = await tx.fetch_all(_IMAGES_WITH, (account_id, old.namespace or "", old.folded))
    carrying = [int(row["image_id"]) for row in rows]
    if image_ids is not None:
        wanted = set(image_ids)
        carrying = [image_id for image_id in carrying if image_id in wanted]
    for image_id in carrying:
        await remove(tx, image_id, old)
        await images_store.add_keywords(tx, image_id, [new])
    return len(carrying)


async def counts(
    db: Database,
    account_id: int,
    *,
    namespace: str | None,
    prefix: str | None,
    limit: int,
    offset: int,
) -> list[KeywordCount]:
    rows = await db.fetch_all(
        _COUNTS,
        {
            "account_id": account_id,
            "namespace": namespace,
            "prefix": prefix,
            "limit": limit,
            "offset": offset,
        },
    )
    return [KeywordCount(row["value"], row["namespace"] or None, row["count"]) for row in rows]


async def namespace_counts(db: Database, account_id: int, *, limit: int, offset: int) -> list[NamespaceCount]:
    rows = await db.fetch_all(_NAMESPACE_COUNTS, (account_id, limit, offset))
    return [NamespaceCount(row["namespace"], row["count"]) for row in rows]
