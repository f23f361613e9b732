"""The library dialect's sets: the tree, members in order, visibility, snapshots."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from app.client.models import Page, Set, SetImage, SetTreeNode, Snapshot
from app.client.operations import AsyncOperation
from app.client.resource import UNSET, Resource, body, segment


class Sets(Resource):
    async def list(
        self, *, parent_public_uuid: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page[Set]:
        """Top-level sets, or the children of `parent_public_uuid`, in order."""
        params = {"parent_public_uuid": parent_public_uuid, "limit": limit, "offset": offset}
        return await self._page("/v1/sets", Set, params)

    async def tree(self) -> builtins.list[SetTreeNode]:
        return await self._get("/v1/sets/tree", builtins.list[SetTreeNode])

    async def get(self, uuid: str) -> Set:
        return await self._get(f"/v1/sets/{segment(uuid)}", Set)

    async def images(self, uuid: str, *, limit: int = 50, offset: int = 0) -> Page[SetImage]:
        """The set's images in set order, with their visibility in it."""
        return await self._page(
            f"/v1/sets/{segment(uuid)}/images", SetImage, {"limit": limit, "offset": offset}
        )

    async def snapshots(self, uuid: str, *, limit: int = 50, offset: int = 0) -> Page[Snapshot]:
        return await self._page(
            f"/v1/sets/{segment(uuid)}/snapshots", Snapshot, {"limit": limit, "offset": offset}
        )

    async def create(
        self,
        name: str,
        *,
        parent_public_uuid: str | None = None,
        colour: str | None = None,
        description: str | None = None,
        type: str | None = None,
    ) -> AsyncOperation:
        """`set_create`; its result holds the new `set_public_uuid`."""
        fields = body(
            name=name,
            parent_public_uuid=parent_public_uuid,
            colour=colour,
            description=description,
            type=type,
        )
        return await self._operation("POST", "/v1/sets", fields)

    async def update(
        self,
        uuid: str,
        *,
        name: str = UNSET,
        colour: str | None = UNSET,
        description: str | None = UNSET,
        lead_image_public_uuid: str | None = UNSET,
        parent_public_uuid: str | None = UNSET,
    ) -> AsyncOperation:
        """The fields given change (None clears; a None parent makes it top-level)."""
        fields = body(
            name=name,
            colour=colour,
            description=description,
            lead_image_public_uuid=lead_image_public_uuid,
            parent_public_uuid=parent_public_uuid,
        )
        return await self._operation("PATCH", f"/v1/sets/{segment(uuid)}", fields)

    async def delete(self, uuid: str) -> AsyncOperation:
        """The set and its sub-sets; never the images."""
        return await self._operation("DELETE", f"/v1/sets/{segment(uuid)}")

    async def add_images(
        self, uuid: str, image_public_uuids: Sequence[str], *, move_from: str | None = None
    ) -> AsyncOperation:
        """Append the images in the order given; with `move_from`, out of that set at once."""
        fields = body(
            image_public_uuids=builtins.list(image_public_uuids),
            move_from=UNSET if move_from is None else move_from,
        )
        return await self._operation("POST", f"/v1/sets/{segment(uuid)}/images", fields)

    async def remove_images(self, uuid: str, image_public_uuids: Sequence[str]) -> AsyncOperation:
        fields = {"image_public_uuids": builtins.list(image_public_uuids)}
        return await self._operation("DELETE", f"/v1/sets/{segment(uuid)}/images", fields)

    async def order(self, uuid: str, image_public_uuids: Sequence[str]) -> AsyncOperation:
        """The set's full new order."""
        fields = {"image_public_uuids": builtins.list(image_public_uuids)}
        return await self._operation("PATCH", f"/v1/sets/{segment(uuid)}/order", fields)

    async def reorder(
        self, set_public_uuids: Sequence[str], *, parent_public_uuid: str | None = None
    ) -> AsyncOperation:
        """The new order of the sets under one parent (None: the top level)."""
        fields = body(
            set_public_uuids=builtins.list(set_public_uuids),
            parent_public_uuid=UNSET if parent_public_uuid is None else parent_public_uuid,
        )
        return await self._operation("PATCH", "/v1/sets/reorder", fields)

    async def set_visibility(
        self,
        uuid: str,
        image_public_uuids: Sequence[str],
        *,
        hidden: bool,
        activation_time: str | None = None,
    ) -> AsyncOperation:
        """Hide or show images in the set; a hidden one with `activation_time` shows up then."""
        fields = body(
            image_public_uuids=builtins.list(image_public_uuids),
            hidden=hidden,
            activation_time=UNSET if activation_time is None else activation_time,
        )
        return await self._operation("PATCH", f"/v1/sets/{segment(uuid)}/visibility", fields)

    async def restore(self, uuid: str, snapshot_public_uuid: str) -> AsyncOperation:
        """Membership and order as a snapshot kept them."""
        fields = {"snapshot_public_uuid": snapshot_public_uuid}
        return await self._operation("POST", f"/v1/sets/{segment(uuid)}/restore", fields)
