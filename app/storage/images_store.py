"""Images and their keywords in the database."""

from __future__ import annotations

import sqlite3
import unicodedata
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec

from app.storage.database import Database, Transaction
from app.storage.queries import QUERIES
from app.timestamps import now_text

_BY_UUID = QUERIES["image_by_uuid"]
_BY_ID = QUERIES["image_by_id"]
_KEYWORDS_OF = QUERIES["keywords_of_images"]
_INSERT_KEYWORD = QUERIES["insert_keyword"]
_DELETE = QUERIES["delete_image"]
_NEXT_KEYWORD_POSITION = QUERIES["next_keyword_position"]
_IDS_FOR_UUIDS = QUERIES["image_ids_for_uuids"]
_BY_EXTERNAL_IDS = QUERIES["images_by_external_ids"]
_DELETE_KEYWORDS_EXCEPT = QUERIES["delete_keywords_except_namespace"]
_DELETE_KEYWORDS_IN = QUERIES["delete_keywords_in_namespace"]
_DELETE_KEYWORDS_EXCEPT_OF_IMAGES = QUERIES["delete_keywords_except_namespace_of_images"]
_KEYWORD_ROWS_OF_IMAGES = QUERIES["keyword_rows_of_images"]
_DEFER_FTS = QUERIES["defer_fts_refresh"]
_UPDATE_FTS = QUERIES["update_images_fts"]
_END_FTS_DEFERRAL = QUERIES["end_fts_deferral"]
_INSERT_CREDIT = QUERIES["insert_credit"]
_DELETE_CREDIT = QUERIES["delete_credit"]
_CREDITS_OF = QUERIES["credits_of_images"]


class ImageRow(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the images table, JSON columns decoded, flags as booleans."""

    image_id: int
    public_uuid: str
    account_id: int
    external_id: str | None
    title: str | None
    description: str | None
    headline: str | None
    creation_date: str | None
    alt_text: str | None
    rating: int | None
    creator: str | None
    copyright_notice: str | None
    copyright_marked: bool | None
    credit_line: str | None
    usage_terms: str | None
    city: str | None
    country: str | None
    location: str | None
    event: str | None
    provider: str | None
    shot: str | None
    scene: str | None
    technique: str | None
    medium: str | None
    status: str | None
    url_img_watermark: str | None
    url_img_thumbnail: str | None
    ai_generated: bool | None
    model_release: bool | None
    property_release: bool | None
    nsfw: bool | None
    categories: list[str]
    collections: list[str]
    src: str | None
    filename: str | None
    width: int | None
    height: int | None
    format: str | None
    bytes: int | None
    sha256: str | None
    n_faces: int | None
    rotation: int
    exif: dict[str, Any]
    lat: float | None = None
    lon: float | None = None
    phash: int | None = None
    colours: list[dict[str, Any]] = msgspec.field(default_factory=list)
    embedded: dict[str, Any] = msgspec.field(default_factory=dict)
    created_at: str
    updated_at: str


class Keyword(msgspec.Struct, frozen=True):
    """A keyword; `namespace` is None for a plain one. Compared by `folded`."""

    namespace: str | None
    value: str

    @property
    def folded(self) -> str:
        return unicodedata.normalize("NFC", self.value).casefold()


_JSON_COLUMNS = ("categories", "collections", "exif", "colours", "embedded")
_FLAG_COLUMNS = ("copyright_marked", "ai_generated", "model_release", "property_release", "nsfw")

# Columns a write may set; the SQL below is built from these names only, never from input.
WRITABLE_COLUMNS = frozenset(ImageRow.__struct_fields__) - {
    "image_id",
    "public_uuid",
    "account_id",
    "created_at",
    "updated_at",
}


def image_from_row(row: sqlite3.Row) -> ImageRow:
    # Not dict(row): that looks every column up by name, a scan of the names each time.
    values = dict(zip(row.keys(), row, strict=True))
    for column in _JSON_COLUMNS:
        values[column] = msgspec.json.decode(values[column])
    for column in _FLAG_COLUMNS:
        if values[column] is not None:
            values[column] = bool(values[column])
    return msgspec.convert(values, ImageRow)


def _column_value(column: str, value: Any) -> Any:
    if column in _JSON_COLUMNS:
        return msgspec.json.encode(value).decode()
    if column in _FLAG_COLUMNS and value is not None:
        return int(value)
    return value


async def by_uuid(db: Database | Transaction, public_uuid: str, account_id: int) -> ImageRow | None:
    row = await db.fetch_one(_BY_UUID, (public_uuid, account_id))
    return None if row is None else image_from_row(row)


async def by_id(db: Database | Transaction, image_id: int) -> ImageRow | None:
    row = await db.fetch_one(_BY_ID, (image_id,))
    return None if row is None else image_from_row(row)


async def by_external_ids(
    db: Database | Transaction, account_id: int, external_ids: list[str]
) -> dict[str, ImageRow]:
    rows = await db.fetch_all(_BY_EXTERNAL_IDS, (account_id, msgspec.json.encode(external_ids).decode()))
    images = [image_from_row(row) for row in rows]
    return {image.external_id: image for image in images if image.external_id is not None}


async def replace_keywords_except(
    tx: Transaction, image_id: int, keywords: list[Keyword], kept_namespace: str
) -> None:
    """The image's keywords become `keywords`, but those in `kept_namespace` stay."""
    await tx.execute(_DELETE_KEYWORDS_EXCEPT, (image_id, kept_namespace))
    await add_keywords(tx, image_id, keywords)


async def replace_keywords_except_many(
    tx: Transaction, keywords_of: dict[int, list[Keyword]], kept_namespace: str
) -> None:
    """`replace_keywords_except` for many images: one DELETE, one read, one INSERT batch."""
    ids = msgspec.json.encode(list(keywords_of)).decode()
    await tx.execute(_DELETE_KEYWORDS_EXCEPT_OF_IMAGES, (ids, kept_namespace))
    kept: dict[int, set[tuple[str, str]]] = {}
    next_position: dict[int, int] = {}
    for row in await tx.fetch_all(_KEYWORD_ROWS_OF_IMAGES, (ids,)):
        kept.setdefault(row["image_id"], set()).add((row["namespace"], row["value_folded"]))
        next_position[row["image_id"]] = max(next_position.get(row["image_id"], 0), row["position"] + 1)
    rows = []
    for image_id, keywords in keywords_of.items():
        # As add_keywords: a keyword the image has already is ignored and takes no position.
        present = kept.get(image_id, set())
        position = next_position.get(image_id, 0)
        for keyword in keywords:
            key = (keyword.namespace or "", keyword.folded)
            if key not in present:
                present.add(key)
                rows.append((image_id, key[0], keyword.value, key[1], position))
                position += 1
    await tx.executemany(_INSERT_KEYWORD, rows)


@asynccontextmanager
async def fts_deferred(tx: Transaction, image_ids: list[int]) -> AsyncIterator[None]:
    """Writes of these images inside the block leave their FTS rows alone; each is rewritten
    once at its end. The schema's triggers rewrite an image's FTS row for every change of the
    row and for every keyword row written, ten times per image for a new list of keywords.
    An exception inside must roll the transaction back (as `Database.write` does)."""
    ids = msgspec.json.encode(image_ids).decode()
    await tx.execute(_DEFER_FTS, (ids,))
    yield
    await tx.execute(_UPDATE_FTS, (ids,))
    await tx.execute(_END_FTS_DEFERRAL)


async def replace_keywords_in(
    tx: Transaction, image_id: int, namespace: str, keywords: list[Keyword]
) -> None:
    """The image's keywords in `namespace` become `keywords` (the others stay)."""
    await tx.execute(_DELETE_KEYWORDS_IN, (image_id, namespace))
    await add_keywords(tx, image_id, keywords)


async def ids_for_uuids(
    db: Database | Transaction, account_id: int, public_uuids: list[str]
) -> dict[str, int]:
    """Row ids of the account's images among `public_uuids` (missing ones are left out)."""
    rows = await db.fetch_all(_IDS_FOR_UUIDS, (account_id, msgspec.json.encode(public_uuids).decode()))
    return {row["public_uuid"]: int(row["image_id"]) for row in rows}


async def keywords_of(db: Database | Transaction, image_ids: list[int]) -> dict[int, list[Keyword]]:
    found: dict[int, list[Keyword]] = {image_id: [] for image_id in image_ids}
    rows = await db.fetch_all(_KEYWORDS_OF, (msgspec.json.encode(image_ids).decode(),))
    for row in rows:
        found[row["image_id"]].append(Keyword(row["namespace"] or None, row["value"]))
    return found


async def insert(
    tx: Transaction,
    account_id: int,
    fields: dict[str, Any],
    keywords: list[Keyword] | None = None,
    *,
    public_uuid: str | None = None,
) -> ImageRow:
    """A new image with the given columns (names from WRITABLE_COLUMNS) and keywords."""
    unknown = set(fields) - WRITABLE_COLUMNS
    if unknown:
        raise ValueError(f"not writable image columns: {sorted(unknown)}")
    moment = now_text()
    columns = ["public_uuid", "account_id", "created_at", "updated_at", *fields]
    values = [public_uuid or str(uuid.uuid4()), account_id, moment, moment]
    values += [_column_value(column, value) for column, value in fields.items()]
    marks = ", ".join("?" for _ in columns)
    image_id = await tx.insert(f"INSERT INTO images ({', '.join(columns)}) VALUES ({marks})", values)
    await add_keywords(tx, image_id, keywords or [])
    image = await by_id(tx, image_id)
    if image is None:
        raise RuntimeError("the inserted image is gone")
    return image


async def add_keywords(tx: Transaction, image_id: int, keywords: list[Keyword]) -> int:
    """Append keywords the image lacks; return how many were new."""
    row = await tx.fetch_one(_NEXT_KEYWORD_POSITION, (image_id,))
    position = 0 if row is None else int(row["next"])
    added = 0
    for keyword in keywords:
        added += await tx.execute(
            _INSERT_KEYWORD,
            (image_id, keyword.namespace or "", keyword.value, keyword.folded, position + added),
        )
    return added


class Credit(msgspec.Struct, frozen=True):
    role: str
    name: str


async def add_credit(tx: Transaction, image_id: int, role: str, name: str) -> bool:
    return await tx.execute(_INSERT_CREDIT, (image_id, role, name)) > 0


async def remove_credit(tx: Transaction, image_id: int, role: str, name: str) -> bool:
    return await tx.execute(_DELETE_CREDIT, (image_id, role, name)) > 0


async def credits_of(db: Database | Transaction, image_ids: list[int]) -> dict[int, list[Credit]]:
    found: dict[int, list[Credit]] = {image_id: [] for image_id in image_ids}
    rows = await db.fetch_all(_CREDITS_OF, (msgspec.json.encode(image_ids).decode(),))
    for row in rows:
        found[row["image_id"]].append(Credit(row["role"], row["name"]))
    return found


async def update(tx: Transaction, image_id: int, changes: dict[str, Any]) -> None:
    """Set the given columns (names from WRITABLE_COLUMNS) and `updated_at`."""
    await update_many(tx, {image_id: changes})


async def update_many(tx: Transaction, changes: dict[int, dict[str, Any]]) -> None:
    """`update` of many images (image id → its changes): one statement per set of columns."""
    moment = now_text()
    grouped: dict[tuple[str, ...], list[list[Any]]] = {}
    for image_id, columns in changes.items():
        unknown = set(columns) - WRITABLE_COLUMNS
        if unknown:
            raise ValueError(f"not writable image columns: {sorted(unknown)}")
        values = [_column_value(column, value) for column, value in columns.items()]
        grouped.setdefault(tuple(columns), []).append([*values, moment, image_id])
    for names, rows in grouped.items():
        assignments = ", ".join(f"{column} = ?" for column in [*names, "updated_at"])
        await tx.executemany(f"UPDATE images SET {assignments} WHERE image_id = ?", rows)


async def delete(tx: Transaction, image_id: int) -> bool:
    return await tx.execute(_DELETE, (image_id,)) > 0
