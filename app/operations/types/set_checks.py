"""What set operations check again inside their transaction: things may have changed since
the request was accepted, and a failed check leaves nothing committed."""

from __future__ import annotations

from app.operations.context import ItemError, OperationFailed, RunContext
from app.storage import sets_store
from app.storage.database import Transaction
from app.storage.sets_store import SetRow


async def require_set(tx: Transaction, set_id: int) -> SetRow:
    found = await sets_store.by_id(tx, set_id)
    if found is None:
        raise OperationFailed("set_not_found", "The set was deleted before this ran.")
    return found


async def require_images(tx: Transaction, context: RunContext, image_ids: list[int]) -> None:
    """Every image still the account's; the items name the ones deleted since acceptance."""
    missing = await sets_store.missing_image_indexes(tx, context.record.account_id, image_ids)
    if not missing:
        return
    uuids = context.record.image_public_uuids
    items = [
        ItemError(
            index=index,
            code="image_not_found",
            message="The image was deleted before this ran.",
            image_public_uuid=uuids[index] if index < len(uuids) else None,
        )
        for index in missing
    ]
    raise OperationFailed("image_not_found", f"{len(missing)} of the images were deleted.", items)
