"""Archives in the database, and the images an archive is made of."""

from __future__ import annotations

import sqlite3

import msgspec

from app.storage.database import Database, Transaction
from app.storage.media_files import MediaFile
from app.storage.queries import QUERIES

_SOURCES = QUERIES["archive_sources"]
_INSERT = QUERIES["insert_archive"]
_BY_UUID = QUERIES["archive_by_uuid"]
_OF_ACCOUNT = QUERIES["archives_of_account"]
_DELETE_EXPIRED = QUERIES["delete_expired_archives"]
_UNKNOWN_UUIDS = QUERIES["unknown_archive_uuids"]

ORIGINAL = "original"


class NewArchive(msgspec.Struct, frozen=True, kw_only=True):
    public_uuid: str
    account_id: int
    filename: str
    bytes: int
    image_count: int
    created_at: str
    expires_at: str


class ArchiveRow(NewArchive, frozen=True, kw_only=True):
    archive_id: int


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """One image as an archive sees it; `file` None when it lacks the wanted version."""

    public_uuid: str
    filename: str | None
    created_at: str
    format: str | None
    file: MediaFile | None


def _ids(ids: list[int]) -> str:
    return msgspec.json.encode(ids).decode()


async def sources(
    db: Database | Transaction, account_id: int, image_ids: list[int], version: str
) -> list[Source | None]:
    """The images in the given order, None for one that is gone; the file is `version`'s."""
    rows = await db.fetch_all(
        _SOURCES, {"image_ids": _ids(image_ids), "account_id": account_id, "version": version}
    )
    found: list[Source | None] = []
    for row in rows:
        if row["public_uuid"] is None:
            found.append(None)
            continue
        file = None
        if row["sha256"] is not None:
            file = MediaFile(row["sha256"], None if version == ORIGINAL else row["format"])
        found.append(
            Source(
                public_uuid=row["public_uuid"],
                filename=row["filename"],
                created_at=row["created_at"],
                format=row["format"],
                file=file,
            )
        )
    return found


def _archive(row: sqlite3.Row) -> ArchiveRow:
    return msgspec.convert(dict(row), ArchiveRow)


async def insert(tx: Transaction, archive: NewArchive) -> None:
    await tx.insert(
        _INSERT,
        (
            archive.public_uuid,
            archive.account_id,
            archive.filename,
            archive.bytes,
            archive.image_count,
            archive.created_at,
            archive.expires_at,
        ),
    )


async def by_uuid(db: Database, public_uuid: str, account_id: int, now: str) -> ArchiveRow | None:
    row = await db.fetch_one(_BY_UUID, (public_uuid, account_id, now))
    return None if row is None else _archive(row)


async def of_account(db: Database, account_id: int, now: str, *, limit: int, offset: int) -> list[ArchiveRow]:
    """A page of the account's archives not expired at `now`, newest first."""
    rows = await db.fetch_all(_OF_ACCOUNT, (account_id, now, limit, offset))
    return [_archive(row) for row in rows]


async def delete_expired(tx: Transaction, now: str) -> list[str]:
    """Delete the archives expired at `now`; return their uuids (their files are the caller's)."""
    rows = await tx.fetch_all(_DELETE_EXPIRED, (now,))
    return [row["public_uuid"] for row in rows]


async def unknown_uuids(db: Database | Transaction, public_uuids: list[str]) -> list[str]:
    """The given uuids that no archive has."""
    rows = await db.fetch_all(_UNKNOWN_UUIDS, (msgspec.json.encode(public_uuids).decode(),))
    return [row["public_uuid"] for row in rows]
