"""Images of the search API, loaded per page: keywords and versions in one query each."""

from __future__ import annotations

from typing import Any

from app.http.image_views import version_out
from app.schemas.imgs_out import img_out
from app.storage import images_store, versions_store
from app.storage.database import Database
from app.storage.images_store import ImageRow


async def imgs_views(db: Database, images: list[ImageRow], base_url: str) -> list[dict[str, Any]]:
    image_ids = [image.image_id for image in images]
    keywords = await images_store.keywords_of(db, image_ids)
    versions = await versions_store.versions_of(db, image_ids)
    return [
        img_out(
            image,
            keywords[image.image_id],
            [version_out(version, base_url) for version in versions[image.image_id]],
        )
        for image in images
    ]
