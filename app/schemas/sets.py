"""Sets as the library dialect shows them, and the bodies that change them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from app.errors import ValidationFailed
from app.schemas.base import Limit, Offset, Schema
from app.schemas.images import ImageOut
from app.storage.sets_store import SetRow, SnapshotRow, TreeEntry
from app.timestamps import format_time, parse_time

Colour = Literal["red", "orange", "yellow", "green", "blue", "purple", "grey"]
SetType = Literal["album", "gallery", "folder"]
SetName = Annotated[str, msgspec.Meta(min_length=1, max_length=191)]

MAX_IMAGES_PER_CALL = 10_000
ImageUuids = Annotated[list[str], msgspec.Meta(min_length=1, max_length=MAX_IMAGES_PER_CALL)]


# Answers


class SetOut(Schema):
    public_uuid: str
    name: str
    parent_public_uuid: str | None
    type: SetType | None
    colour: Colour | None
    description: str | None
    image_count: int
    lead_image_public_uuid: str | None
    created_at: str
    updated_at: str


class SetTreeNode(Schema):
    public_uuid: str
    name: str
    image_count: int
    children: list[SetTreeNode]


class SetImageOut(ImageOut):
    """An image as `GET /v1/images/{uuid}` shows it, with its visibility in the set."""

    hidden: bool
    activation_time: str | None


class SnapshotOut(Schema):
    public_uuid: str
    created_at: str
    image_count: int
    operation_type: str


def set_out(row: SetRow) -> SetOut:
    return msgspec.convert({name: getattr(row, name) for name in SetOut.__struct_fields__}, SetOut)


def set_tree(entries: list[TreeEntry]) -> list[SetTreeNode]:
    """Nest the account's sets; `entries` come with siblings in order."""
    nodes = {
        entry.set_id: SetTreeNode(
            public_uuid=entry.public_uuid, name=entry.name, image_count=entry.image_count, children=[]
        )
        for entry in entries
    }
    roots: list[SetTreeNode] = []
    for entry in entries:
        parent = None if entry.parent_id is None else nodes[entry.parent_id]
        (roots if parent is None else parent.children).append(nodes[entry.set_id])
    return roots


def set_image_out(image: ImageOut, *, hidden: bool, activation_time: str | None) -> SetImageOut:
    return SetImageOut(**msgspec.structs.asdict(image), hidden=hidden, activation_time=activation_time)


def snapshot_out(row: SnapshotRow) -> SnapshotOut:
    return SnapshotOut(
        public_uuid=row.public_uuid,
        created_at=row.created_at,
        image_count=row.image_count,
        operation_type=row.operation_type,
    )


# Queries


class SetListQuery(Schema):
    limit: Limit = 50
    offset: Offset = 0
    parent_public_uuid: str | None = None


class TreeQuery(Schema):
    """The tree takes no parameters; unknown ones are refused as everywhere."""


class PageQuery(Schema):
    limit: Limit = 50
    offset: Offset = 0


# Bodies


class SetCreate(Schema):
    name: SetName
    parent_public_uuid: str | None = None
    colour: Colour | None = None
    description: str | None = None
    type: SetType | None = None


class SetPatch(Schema):
    """`PATCH /v1/sets/{uuid}`: fields left out stay, `null` clears (a null parent: top level)."""

    name: SetName | msgspec.UnsetType = msgspec.UNSET
    colour: Colour | msgspec.UnsetType | None = msgspec.UNSET
    description: str | msgspec.UnsetType | None = msgspec.UNSET
    lead_image_public_uuid: str | msgspec.UnsetType | None = msgspec.UNSET
    parent_public_uuid: str | msgspec.UnsetType | None = msgspec.UNSET

    def given(self) -> dict[str, Any]:
        """The fields the body sets; at least one, or `400`."""
        given = {
            name: getattr(self, name)
            for name in self.__struct_fields__
            if getattr(self, name) is not msgspec.UNSET
        }
        if not given:
            raise ValidationFailed(
                "Set at least one of name, colour, description, lead_image_public_uuid, parent_public_uuid."
            )
        return given


class SetImagesAdd(Schema):
    image_public_uuids: ImageUuids
    move_from: str | None = None


class SetImagesRemove(Schema):
    image_public_uuids: ImageUuids


class SetOrder(Schema):
    image_public_uuids: list[str]


class SetsReorder(Schema):
    set_public_uuids: list[str]
    parent_public_uuid: str | None = None


class SetVisibility(Schema):
    image_public_uuids: ImageUuids
    hidden: bool
    activation_time: str | None = None

    def normalised_activation_time(self) -> str | None:
        """RFC 3339 UTC with milliseconds; only a hidden image has one."""
        if self.activation_time is None:
            return None
        if not self.hidden:
            raise ValidationFailed("activation_time only applies to hidden images.", field="activation_time")
        try:
            return format_time(parse_time(self.activation_time))
        except ValueError:
            raise ValidationFailed(
                "activation_time must be an RFC 3339 timestamp.", field="activation_time"
            ) from None


class SetRestore(Schema):
    snapshot_public_uuid: str
