"""Existence checks made before a write is accepted: unknown objects are refused at once."""

from __future__ import annotations

from app.errors import ImageNotFound, SetNotFound, ValidationFailed
from app.storage import images_store, sets_store
from app.storage.database import Database
from app.storage.images_store import ImageRow
from app.storage.sets_store import SetRow


async def image_of(db: Database, public_uuid: str, account_id: int) -> ImageRow:
    """The account's image, or `404 image_not_found` (another account's included)."""
    image = await images_store.by_uuid(db, public_uuid, account_id)
    if image is None:
        raise ImageNotFound
    return image


async def set_of(db: Database, public_uuid: str, account_id: int) -> SetRow:
    """The account's set, or `404 set_not_found`."""
    found = await sets_store.by_uuid(db, public_uuid, account_id)
    if found is None:
        raise SetNotFound
    return found


async def set_id_of_field(db: Database, public_uuid: str | None, account_id: int) -> int | None:
    """A set named in a body: `400 validation` naming `set_public_uuid` when it isn't the account's."""
    if public_uuid is None:
        return None
    found = await sets_store.by_uuid(db, public_uuid, account_id)
    if found is None:
        raise ValidationFailed("No such set.", field="set_public_uuid")
    return found.set_id


async def image_ids_of(db: Database, account_id: int, public_uuids: list[str], field: str) -> list[int]:
    """Row ids in the given order; `400 validation` listing every uuid that is not the account's."""
    found = await images_store.ids_for_uuids(db, account_id, public_uuids)
    missing = [uuid for uuid in public_uuids if uuid not in found]
    if missing:
        raise ValidationFailed(
            f"{len(missing)} of the images do not exist.", field=field, detail={"missing": missing}
        )
    return [found[uuid] for uuid in public_uuids]
