"""The versions of images (profiles and crops) in the database."""

from __future__ import annotations

import msgspec

from app.storage.database import Database, Transaction
from app.storage.media_files import MediaFile
from app.storage.queries import QUERIES

_VERSIONS_OF = QUERIES["versions_of_images"]
_INSERT = QUERIES["insert_version"]
_DELETE = QUERIES["delete_version"]
_DELETE_PROFILE_VERSIONS = QUERIES["delete_profile_versions"]
_DELETE_CROPS = QUERIES["delete_crops"]

CROP_PREFIX = "crop_"


class CropArea(msgspec.Struct, frozen=True, kw_only=True):
    """Where a crop was taken, in pixels of the upright image."""

    x: int
    y: int
    width: int
    height: int


class VersionRow(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    width: int
    height: int
    format: str
    bytes: int
    sha256: str
    box: CropArea | None = None

    @property
    def file(self) -> MediaFile:
        return MediaFile(self.sha256, self.format)


async def versions_of(db: Database | Transaction, image_ids: list[int]) -> dict[int, list[VersionRow]]:
    found: dict[int, list[VersionRow]] = {image_id: [] for image_id in image_ids}
    rows = await db.fetch_all(_VERSIONS_OF, (msgspec.json.encode(image_ids).decode(),))
    for row in rows:
        values = dict(row)
        if values["box"] is not None:
            values["box"] = msgspec.json.decode(values["box"])
        found[values.pop("image_id")].append(msgspec.convert(values, VersionRow))
    return found


async def put(tx: Transaction, image_id: int, version: VersionRow) -> None:
    await tx.execute(
        _INSERT,
        (
            image_id,
            version.name,
            version.width,
            version.height,
            version.format,
            version.bytes,
            version.sha256,
            None if version.box is None else msgspec.json.encode(version.box).decode(),
        ),
    )


async def replace_profile_versions(
    tx: Transaction, image_id: int, versions: list[VersionRow]
) -> list[MediaFile]:
    """Put the new profile versions in place of the old ones (crops stay); return the files
    the old ones used, for collection once this commits."""
    rows = await tx.fetch_all(_DELETE_PROFILE_VERSIONS, (image_id,))
    for version in versions:
        await put(tx, image_id, version)
    return [MediaFile(row["sha256"], row["format"]) for row in rows]


async def delete_crops(tx: Transaction, image_id: int) -> list[MediaFile]:
    rows = await tx.fetch_all(_DELETE_CROPS, (image_id,))
    return [MediaFile(row["sha256"], row["format"]) for row in rows]


async def delete(tx: Transaction, image_id: int, name: str) -> MediaFile | None:
    row = await tx.fetch_one(_DELETE, (image_id, name))
    return None if row is None else MediaFile(row["sha256"], row["format"])
