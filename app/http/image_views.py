"""Images as responses show them: the row with its keywords, credits, versions and sets, per page."""

from __future__ import annotations

from app.http.routes.media import version_path
from app.schemas.images import ImageOut, SetMembershipOut, VersionOut, image_out
from app.storage import images_store, sets_store, versions_store
from app.storage.database import Database
from app.storage.images_store import ImageRow
from app.storage.versions_store import VersionRow


def version_out(version: VersionRow, base_url: str) -> VersionOut:
    return VersionOut(
        name=version.name,
        width=version.width,
        height=version.height,
        format=version.format,
        bytes=version.bytes,
        url=base_url + version_path(version.file),
    )


async def image_views(db: Database, images: list[ImageRow], base_url: str) -> list[ImageOut]:
    """One query per related table for the whole page, not one per image."""
    image_ids = [image.image_id for image in images]
    keywords = await images_store.keywords_of(db, image_ids)
    credits = await images_store.credits_of(db, image_ids)
    versions = await versions_store.versions_of(db, image_ids)
    memberships = await sets_store.sets_of_images(db, image_ids)
    return [
        image_out(
            image,
            keywords[image.image_id],
            credits[image.image_id],
            [version_out(version, base_url) for version in versions[image.image_id]],
            [SetMembershipOut(public_uuid=m.public_uuid, name=m.name) for m in memberships[image.image_id]],
        )
        for image in images
    ]
