"""Images as responses show them: the row with its keywords and credits, loaded per page."""

from __future__ import annotations

from app.schemas.images import ImageOut, image_out
from app.storage import images_store
from app.storage.database import Database
from app.storage.images_store import ImageRow


async def image_views(db: Database, images: list[ImageRow]) -> list[ImageOut]:
    """One query per related table for the whole page, not one per image."""
    image_ids = [image.image_id for image in images]
    keywords = await images_store.keywords_of(db, image_ids)
    credits = await images_store.credits_of(db, image_ids)
    return [image_out(image, keywords[image.image_id], credits[image.image_id]) for image in images]
