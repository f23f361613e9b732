"""`keywords_add`, `keywords_remove`, `keywords_rename`: an image's keywords, or an account's."""

from __future__ import annotations

from typing import Any

import msgspec

from app.accounts.scopes import Scope
from app.operations.context import OperationFailed, RunContext
from app.operations.registry import operation_type
from app.storage import images_store, keywords_store
from app.storage.database import Transaction
from app.storage.images_store import Keyword

ADD, REMOVE, RENAME = "keywords_add", "keywords_remove", "keywords_rename"


def keyword_params(keywords: list[Keyword]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(keyword) for keyword in keywords]


async def _require_image(tx: Transaction, image_id: int) -> None:
    if await images_store.by_id(tx, image_id) is None:
        raise OperationFailed("image_not_found", "The image was deleted before this ran.")


@operation_type(ADD, scope=Scope.KEYWORDS_WRITE)
async def add(context: RunContext) -> None:
    keywords = msgspec.convert(context.params["keywords"], list[Keyword])
    async with context.commit() as tx:
        await _require_image(tx, context.params["image_id"])
        added = await images_store.add_keywords(tx, context.params["image_id"], keywords)
        context.result.update(message="Keywords added.", added=added)


@operation_type(REMOVE, scope=Scope.KEYWORDS_WRITE)
async def remove(context: RunContext) -> None:
    keyword = msgspec.convert(context.params["keyword"], Keyword)
    async with context.commit() as tx:
        await _require_image(tx, context.params["image_id"])
        removed = await keywords_store.remove(tx, context.params["image_id"], keyword)
        context.result.update(message="Keyword removed.", removed=removed)


@operation_type(RENAME, scope=Scope.KEYWORDS_WRITE)
async def rename(context: RunContext) -> None:
    old = msgspec.convert(context.params["from"], Keyword)
    new = msgspec.convert(context.params["to"], Keyword)
    async with context.commit() as tx:
        changed = await keywords_store.rename(
            tx, context.record.account_id, old, new, context.params["image_ids"]
        )
        context.result.update(message="Keyword renamed.", images=changed)
