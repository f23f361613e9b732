"""Sets in the database: the tree of sets, their ordered members, and membership snapshots.

Lists of image or set ids travel as one JSON array bound to one parameter and are unpacked by
`json_each` in SQL, so a change to thousands of members is one statement, not one per row.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import msgspec

from app.storage import images_store
from app.storage.database import Database, Transaction
from app.storage.images_store import ImageRow
from app.storage.queries import QUERIES
from app.timestamps import now_text

_SETS_OF_IMAGES = QUERIES["sets_of_images"]
_BY_UUID = QUERIES["set_by_uuid"]
_BY_ID = QUERIES["set_by_id"]
_TOP_LEVEL = QUERIES["sets_top_level"]
_CHILDREN = QUERIES["sets_children"]
_FOR_TREE = QUERIES["sets_for_tree"]
_SIBLINGS = QUERIES["sibling_sets"]
_NEXT_SIBLING_POSITION = QUERIES["next_sibling_position"]
_INSERT = QUERIES["insert_set"]
_MOVE_UNDER = QUERIES["move_set_under"]
_ORDER_SETS = QUERIES["order_sets"]
_TOUCH = QUERIES["touch_set"]
_DELETE = QUERIES["delete_set"]
_SUBTREE_SIZE = QUERIES["subtree_size"]
_IS_ANCESTOR_OR_SELF = QUERIES["is_ancestor_or_self"]
_MEMBER_IDS = QUERIES["member_ids"]
_MEMBERS_PAGE = QUERIES["members_page"]
_NEXT_MEMBER_POSITION = QUERIES["next_member_position"]
_ADD_MEMBERS = QUERIES["add_members"]
_REMOVE_MEMBERS = QUERIES["remove_members"]
_ORDER_MEMBERS = QUERIES["order_members"]
_SET_VISIBILITY = QUERIES["set_members_visibility"]
_NON_MEMBER_INDEXES = QUERIES["non_member_indexes"]
_MISSING_IMAGE_INDEXES = QUERIES["missing_image_indexes"]
_CLEAR_MEMBERS = QUERIES["clear_members"]
_INSERT_SNAPSHOT = QUERIES["insert_snapshot"]
_COPY_TO_SNAPSHOT = QUERIES["copy_members_to_snapshot"]
_PRUNE_SNAPSHOTS = QUERIES["prune_snapshots"]
_SNAPSHOTS_NEWEST = QUERIES["snapshots_newest"]
_SNAPSHOT_BY_UUID = QUERIES["snapshot_by_uuid"]
_SNAPSHOT_BY_ID = QUERIES["snapshot_by_id"]
_RESTORE_MEMBERS = QUERIES["restore_members"]

SNAPSHOTS_KEPT = 50

# Columns `update` may set; the SQL is built from these names only, never from input.
WRITABLE_COLUMNS = frozenset({"name", "colour", "description", "type", "lead_image_id"})


class SetRow(msgspec.Struct, frozen=True, kw_only=True):
    """One set with its summary: parent uuid, direct member count, lead image."""

    set_id: int
    public_uuid: str
    account_id: int
    parent_id: int | None
    parent_public_uuid: str | None
    position: int
    name: str
    colour: str | None
    description: str | None
    type: str | None
    lead_image_id: int | None
    lead_image_public_uuid: str | None
    image_count: int
    created_at: str
    updated_at: str


class TreeEntry(msgspec.Struct, frozen=True):
    set_id: int
    public_uuid: str
    parent_id: int | None
    name: str
    image_count: int


class Member(msgspec.Struct, frozen=True):
    """An image in a set; `hidden` is as of the moment it was read."""

    image: ImageRow
    hidden: bool
    activation_time: str | None


class SnapshotRow(msgspec.Struct, frozen=True, kw_only=True):
    snapshot_id: int
    public_uuid: str
    set_id: int
    operation_type: str
    image_count: int
    created_at: str


def _set(row: sqlite3.Row) -> SetRow:
    return msgspec.convert(dict(row), SetRow)


def _ids(ids: list[int]) -> str:
    return msgspec.json.encode(ids).decode()


# Reading sets


async def by_uuid(db: Database | Transaction, public_uuid: str, account_id: int) -> SetRow | None:
    row = await db.fetch_one(_BY_UUID, (public_uuid, account_id))
    return None if row is None else _set(row)


async def by_id(db: Database | Transaction, set_id: int) -> SetRow | None:
    row = await db.fetch_one(_BY_ID, (set_id,))
    return None if row is None else _set(row)


async def list_under(
    db: Database, account_id: int, parent_id: int | None, *, limit: int, offset: int
) -> list[SetRow]:
    """A page of the sets under `parent_id` (None: the top level), in order."""
    if parent_id is None:
        rows = await db.fetch_all(_TOP_LEVEL, (account_id, limit, offset))
    else:
        rows = await db.fetch_all(_CHILDREN, (parent_id, limit, offset))
    return [_set(row) for row in rows]


async def tree_entries(db: Database, account_id: int) -> list[TreeEntry]:
    """Every set of the account; siblings come in their order."""
    rows = await db.fetch_all(_FOR_TREE, (account_id,))
    return [
        TreeEntry(row["set_id"], row["public_uuid"], row["parent_id"], row["name"], row["image_count"])
        for row in rows
    ]


async def siblings(db: Database | Transaction, account_id: int, parent_id: int | None) -> dict[str, int]:
    """The sets under `parent_id` (None: the top level), uuid to id, in order."""
    rows = await db.fetch_all(_SIBLINGS, (account_id, parent_id))
    return {row["public_uuid"]: int(row["set_id"]) for row in rows}


async def is_ancestor_or_self(db: Database | Transaction, set_id: int, of_set_id: int) -> bool:
    """Whether `set_id` is `of_set_id` or above it: making it a child of `of_set_id` is a cycle."""
    row = await db.fetch_one(_IS_ANCESTOR_OR_SELF, (set_id, of_set_id))
    return row is not None and bool(row["found"])


# Changing sets


async def _next_sibling_position(tx: Transaction, account_id: int, parent_id: int | None) -> int:
    row = await tx.fetch_one(_NEXT_SIBLING_POSITION, (account_id, parent_id))
    return 0 if row is None else int(row["next"])


async def insert(
    tx: Transaction,
    account_id: int,
    public_uuid: str,
    parent_id: int | None,
    *,
    name: str,
    colour: str | None,
    description: str | None,
    type: str | None,
) -> SetRow:
    """A new set, last among its siblings."""
    position = await _next_sibling_position(tx, account_id, parent_id)
    moment = now_text()
    set_id = await tx.insert(
        _INSERT,
        (public_uuid, account_id, parent_id, position, name, colour, description, type, moment, moment),
    )
    created = await by_id(tx, set_id)
    if created is None:
        raise RuntimeError("the inserted set is gone")
    return created


async def update(tx: Transaction, set_id: int, changes: dict[str, Any]) -> None:
    """Set the given columns (names from WRITABLE_COLUMNS) and `updated_at`."""
    unknown = set(changes) - WRITABLE_COLUMNS
    if unknown:
        raise ValueError(f"not writable set columns: {sorted(unknown)}")
    assignments = ", ".join(f"{column} = ?" for column in [*changes, "updated_at"])
    await tx.execute(
        f"UPDATE sets SET {assignments} WHERE set_id = ?", [*changes.values(), now_text(), set_id]
    )


async def move_under(tx: Transaction, account_id: int, set_id: int, parent_id: int | None) -> None:
    """Put a set last under a new parent (None: the top level)."""
    position = await _next_sibling_position(tx, account_id, parent_id)
    await tx.execute(_MOVE_UNDER, (parent_id, position, now_text(), set_id))


async def order_sets(tx: Transaction, set_ids: list[int]) -> None:
    """Number sibling sets in the given order."""
    await tx.execute(_ORDER_SETS, (_ids(set_ids),))


async def delete(tx: Transaction, set_id: int) -> int:
    """Remove a set and its sub-sets (never images); return how many sets went."""
    row = await tx.fetch_one(_SUBTREE_SIZE, (set_id,))
    size = 0 if row is None else int(row["n"])
    deleted = await tx.execute(_DELETE, (set_id,))
    return size if deleted else 0


async def touch(tx: Transaction, set_id: int) -> None:
    await tx.execute(_TOUCH, (now_text(), set_id))


# Members


async def member_ids(db: Database | Transaction, set_id: int) -> dict[str, int]:
    """The set's images, public uuid to id, in set order."""
    rows = await db.fetch_all(_MEMBER_IDS, (set_id,))
    return {row["public_uuid"]: int(row["image_id"]) for row in rows}


async def members(db: Database, set_id: int, *, limit: int, offset: int) -> list[Member]:
    """A page of the set's images in set order, visibility as of now."""
    rows = await db.fetch_all(
        _MEMBERS_PAGE, {"set_id": set_id, "now": now_text(), "limit": limit, "offset": offset}
    )
    return [
        Member(images_store.image_from_row(row), bool(row["member_hidden"]), row["member_activation_time"])
        for row in rows
    ]


async def non_member_indexes(db: Database | Transaction, set_id: int, image_ids: list[int]) -> list[int]:
    """Where, in `image_ids`, the images that are not in the set are."""
    rows = await db.fetch_all(_NON_MEMBER_INDEXES, (_ids(image_ids), set_id))
    return [int(row["idx"]) for row in rows]


async def missing_image_indexes(
    db: Database | Transaction, account_id: int, image_ids: list[int]
) -> list[int]:
    """Where, in `image_ids`, the images that are not (or no longer) the account's are."""
    rows = await db.fetch_all(_MISSING_IMAGE_INDEXES, (_ids(image_ids), account_id))
    return [int(row["idx"]) for row in rows]


async def add_images(
    tx: Transaction, set_id: int, image_ids: list[int], *, coming_from: int | None = None
) -> int:
    """Append images in the given order, skipping members; return how many were added.
    Images coming from another set (a move) keep the visibility they had there."""
    row = await tx.fetch_one(_NEXT_MEMBER_POSITION, (set_id,))
    first = 0 if row is None else int(row["next"])
    return await tx.execute(
        _ADD_MEMBERS,
        {"set_id": set_id, "first": first, "image_ids": _ids(image_ids), "source": coming_from},
    )


async def remove_images(tx: Transaction, set_id: int, image_ids: list[int]) -> int:
    """Take images out of a set; return how many were in it."""
    return await tx.execute(_REMOVE_MEMBERS, (set_id, _ids(image_ids)))


async def order_images(tx: Transaction, set_id: int, image_ids: list[int]) -> None:
    """Number every member by its place in `image_ids` (all of them, each once)."""
    await tx.execute(_ORDER_MEMBERS, (_ids(image_ids), set_id))


async def set_visibility(
    tx: Transaction, set_id: int, image_ids: list[int], *, hidden: bool, activation_time: str | None
) -> int:
    """Hide or show members; return how many members changed."""
    return await tx.execute(_SET_VISIBILITY, (int(hidden), activation_time, set_id, _ids(image_ids)))


# Snapshots


async def save_snapshot(tx: Transaction, set_id: int, operation_type: str) -> None:
    """Keep the set's membership, order and visibility as they are, before `operation_type`
    changes them. Older snapshots are trimmed by `prune_snapshots`."""
    snapshot_id = await tx.insert(
        _INSERT_SNAPSHOT,
        {
            "public_uuid": str(uuid.uuid4()),
            "set_id": set_id,
            "operation_type": operation_type,
            "created_at": now_text(),
        },
    )
    await tx.execute(_COPY_TO_SNAPSHOT, (snapshot_id, set_id))


async def prune_snapshots(tx: Transaction, set_id: int) -> None:
    """Keep the newest SNAPSHOTS_KEPT snapshots of the set."""
    await tx.execute(_PRUNE_SNAPSHOTS, (set_id, SNAPSHOTS_KEPT))


async def snapshots(db: Database, set_id: int, *, limit: int, offset: int) -> list[SnapshotRow]:
    rows = await db.fetch_all(_SNAPSHOTS_NEWEST, (set_id, limit, offset))
    return [msgspec.convert(dict(row), SnapshotRow) for row in rows]


async def snapshot_by_uuid(db: Database | Transaction, public_uuid: str, set_id: int) -> SnapshotRow | None:
    row = await db.fetch_one(_SNAPSHOT_BY_UUID, (public_uuid, set_id))
    return None if row is None else msgspec.convert(dict(row), SnapshotRow)


async def snapshot_by_id(db: Database | Transaction, snapshot_id: int) -> SnapshotRow | None:
    row = await db.fetch_one(_SNAPSHOT_BY_ID, (snapshot_id,))
    return None if row is None else msgspec.convert(dict(row), SnapshotRow)


async def restore(tx: Transaction, set_id: int, snapshot_id: int) -> int:
    """Make the set's members exactly the snapshot's (less images deleted since); return how many."""
    await tx.execute(_CLEAR_MEMBERS, (set_id,))
    return await tx.execute(_RESTORE_MEMBERS, (set_id, snapshot_id))


class Membership(msgspec.Struct, frozen=True):
    public_uuid: str
    name: str


async def sets_of_images(db: Database | Transaction, image_ids: list[int]) -> dict[int, list[Membership]]:
    found: dict[int, list[Membership]] = {image_id: [] for image_id in image_ids}
    for row in await db.fetch_all(_SETS_OF_IMAGES, (_ids(image_ids),)):
        found[row["image_id"]].append(Membership(row["public_uuid"], row["name"]))
    return found
