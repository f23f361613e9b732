"""`/v1/sets`: read sets, their tree, images and snapshots; change them through operations."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import Scope
from app.errors import ValidationFailed
from app.http.context import authorize
from app.http.image_views import image_views
from app.http.lookups import image_ids_of, set_of
from app.http.paging import page
from app.http.responses import get_response
from app.http.routing import Route
from app.http.urls import public_base
from app.http.write_endpoints import Check, WriteCheck, WriteEndpoint
from app.operations.submission import Submission
from app.operations.types import set_membership, set_structure
from app.schemas.base import convert_query
from app.schemas.sets import (
    PageQuery,
    SetCreate,
    SetImagesAdd,
    SetImagesRemove,
    SetListQuery,
    SetOrder,
    SetPatch,
    SetRestore,
    SetsReorder,
    SetVisibility,
    TreeQuery,
    set_image_out,
    set_out,
    set_tree,
    snapshot_out,
)
from app.storage import sets_store
from app.storage.database import Database
from app.storage.sets_store import SetRow

# Reads


async def list_sets(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, SetListQuery)
    # The parent is what the list reads, as the images filter `set_public_uuid` is: unknown, 404.
    parent = None
    if query.parent_public_uuid is not None:
        parent = await set_of(runtime.db, query.parent_public_uuid, principal.account_id)
    rows = await sets_store.list_under(
        runtime.db,
        principal.account_id,
        None if parent is None else parent.set_id,
        limit=query.limit + 1,
        offset=query.offset,
    )
    sets, headers = page(rows, query.limit, query.offset)
    return get_response(request, [set_out(row) for row in sets], headers)


async def set_tree_of_account(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    convert_query(request.query_params, TreeQuery)
    return get_response(request, set_tree(await sets_store.tree_entries(runtime.db, principal.account_id)))


async def get_set(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    found = await set_of(runtime.db, request.path_params["uuid"], principal.account_id)
    return get_response(request, set_out(found))


async def list_set_images(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, PageQuery)
    found = await set_of(runtime.db, request.path_params["uuid"], principal.account_id)
    rows = await sets_store.members(runtime.db, found.set_id, limit=query.limit + 1, offset=query.offset)
    members, headers = page(rows, query.limit, query.offset)
    views = await image_views(
        runtime.db, [member.image for member in members], public_base(request, runtime.settings)
    )
    body = [
        set_image_out(view, hidden=member.hidden, activation_time=member.activation_time)
        for view, member in zip(views, members, strict=True)
    ]
    return get_response(request, body, headers)


async def list_snapshots(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, PageQuery)
    found = await set_of(runtime.db, request.path_params["uuid"], principal.account_id)
    rows = await sets_store.snapshots(runtime.db, found.set_id, limit=query.limit + 1, offset=query.offset)
    snapshots, headers = page(rows, query.limit, query.offset)
    return get_response(request, [snapshot_out(row) for row in snapshots], headers)


# Writes to the sets themselves


async def create_set(context: WriteCheck, body: SetCreate) -> Submission:
    account_id = context.principal.account_id
    parent = await _referenced_set(
        context.runtime.db, body.parent_public_uuid, account_id, "parent_public_uuid"
    )
    return Submission(
        type=set_structure.CREATE,
        params={
            # Chosen now, so that a rerun of the operation cannot make a second set.
            "public_uuid": str(uuid.uuid4()),
            "parent_id": None if parent is None else parent.set_id,
            "name": body.name,
            "colour": body.colour,
            "description": body.description,
            "type": body.type,
        },
    )


async def patch_set(context: WriteCheck, body: SetPatch) -> Submission:
    given = body.given()
    db, account_id = context.runtime.db, context.principal.account_id
    found = await set_of(db, context.path_params["uuid"], account_id)
    params: dict[str, Any] = {"set_id": found.set_id}
    changes: dict[str, Any] = {
        name: given[name] for name in ("name", "colour", "description") if name in given
    }
    if "lead_image_public_uuid" in given:
        lead = given["lead_image_public_uuid"]
        if lead is not None:
            (changes["lead_image_id"],) = await image_ids_of(db, account_id, [lead], "lead_image_public_uuid")
        else:
            changes["lead_image_id"] = None
    if "parent_public_uuid" in given:
        parent = await _referenced_set(db, given["parent_public_uuid"], account_id, "parent_public_uuid")
        if parent is not None and await sets_store.is_ancestor_or_self(db, found.set_id, parent.set_id):
            raise ValidationFailed(
                "A set cannot be put under itself or one of its sub-sets.", field="parent_public_uuid"
            )
        params["parent_id"] = None if parent is None else parent.set_id
    params["changes"] = changes
    return Submission(type=set_structure.UPDATE, params=params)


async def delete_set(context: WriteCheck, body: None) -> Submission:
    found = await set_of(context.runtime.db, context.path_params["uuid"], context.principal.account_id)
    return Submission(type=set_structure.DELETE, params={"set_id": found.set_id})


async def reorder_sets(context: WriteCheck, body: SetsReorder) -> Submission:
    db, account_id = context.runtime.db, context.principal.account_id
    parent = await _referenced_set(db, body.parent_public_uuid, account_id, "parent_public_uuid")
    parent_id = None if parent is None else parent.set_id
    siblings = await sets_store.siblings(db, account_id, parent_id)
    _require_exactly(body.set_public_uuids, set(siblings), "set_public_uuids", "sets under this parent")
    set_ids = [siblings[public_uuid] for public_uuid in body.set_public_uuids]
    return Submission(type=set_structure.REORDER, params={"parent_id": parent_id, "set_ids": set_ids})


# Writes to a set's images


async def add_set_images(context: WriteCheck, body: SetImagesAdd) -> Submission:
    db, account_id = context.runtime.db, context.principal.account_id
    found = await set_of(db, context.path_params["uuid"], account_id)
    source = await _referenced_set(db, body.move_from, account_id, "move_from")
    if source is not None and source.set_id == found.set_id:
        raise ValidationFailed("Images cannot be moved from a set into itself.", field="move_from")
    uuids = list(dict.fromkeys(body.image_public_uuids))
    image_ids = await image_ids_of(db, account_id, uuids, "image_public_uuids")
    params: dict[str, Any] = {"set_id": found.set_id, "image_ids": image_ids}
    if source is not None:
        params["from_set_id"] = source.set_id
    return Submission(
        type=set_membership.ADD if source is None else set_membership.MOVE,
        params=params,
        image_public_uuids=uuids,
        progress_total=len(image_ids),
    )


async def remove_set_images(context: WriteCheck, body: SetImagesRemove) -> Submission:
    db, account_id = context.runtime.db, context.principal.account_id
    found = await set_of(db, context.path_params["uuid"], account_id)
    uuids = list(dict.fromkeys(body.image_public_uuids))
    image_ids = await image_ids_of(db, account_id, uuids, "image_public_uuids")
    return Submission(
        type=set_membership.REMOVE,
        params={"set_id": found.set_id, "image_ids": image_ids},
        image_public_uuids=uuids,
        progress_total=len(image_ids),
    )


async def order_set_images(context: WriteCheck, body: SetOrder) -> Submission:
    db, account_id = context.runtime.db, context.principal.account_id
    found = await set_of(db, context.path_params["uuid"], account_id)
    members = await sets_store.member_ids(db, found.set_id)
    _require_exactly(body.image_public_uuids, set(members), "image_public_uuids", "images of the set")
    image_ids = [members[public_uuid] for public_uuid in body.image_public_uuids]
    return Submission(
        type=set_membership.ORDER,
        params={"set_id": found.set_id, "image_ids": image_ids},
        image_public_uuids=body.image_public_uuids,
        progress_total=len(image_ids),
    )


async def set_images_visibility(context: WriteCheck, body: SetVisibility) -> Submission:
    activation_time = body.normalised_activation_time()
    db, account_id = context.runtime.db, context.principal.account_id
    found = await set_of(db, context.path_params["uuid"], account_id)
    uuids = list(dict.fromkeys(body.image_public_uuids))
    image_ids = await image_ids_of(db, account_id, uuids, "image_public_uuids")
    outside = await sets_store.non_member_indexes(db, found.set_id, image_ids)
    if outside:
        raise ValidationFailed(
            f"{len(outside)} of the images are not in the set.",
            field="image_public_uuids",
            detail={"not_in_set": [uuids[index] for index in outside]},
        )
    return Submission(
        type=set_membership.VISIBILITY,
        params={
            "set_id": found.set_id,
            "image_ids": image_ids,
            "hidden": body.hidden,
            "activation_time": activation_time,
        },
        image_public_uuids=uuids,
        progress_total=len(image_ids),
    )


async def restore_set(context: WriteCheck, body: SetRestore) -> Submission:
    db = context.runtime.db
    found = await set_of(db, context.path_params["uuid"], context.principal.account_id)
    snapshot = await sets_store.snapshot_by_uuid(db, body.snapshot_public_uuid, found.set_id)
    if snapshot is None:
        raise ValidationFailed("The set has no such snapshot.", field="snapshot_public_uuid")
    return Submission(
        type=set_membership.RESTORE,
        params={"set_id": found.set_id, "snapshot_id": snapshot.snapshot_id},
    )


# Lookups


async def _referenced_set(
    db: Database, public_uuid: str | None, account_id: int, field: str
) -> SetRow | None:
    """A set named in a body or query: `400 validation` on that field when it is not the account's."""
    if public_uuid is None:
        return None
    found = await sets_store.by_uuid(db, public_uuid, account_id)
    if found is None:
        raise ValidationFailed("No such set.", field=field)
    return found


def _require_exactly(given: list[str], expected: set[str], field: str, what: str) -> None:
    """`given` must name every one of `expected` once, and nothing else."""
    duplicates = sorted(item for item, count in Counter(given).items() if count > 1)
    missing = sorted(expected - set(given))
    unexpected = sorted(set(given) - expected)
    if duplicates or missing or unexpected:
        raise ValidationFailed(
            f"The list must name every one of the {what} exactly once.",
            field=field,
            detail={"duplicates": duplicates, "missing": missing, "unexpected": unexpected},
        )


def _sets_write(method: str, path: str, body: type[Any] | None, check: Check) -> WriteEndpoint:
    return WriteEndpoint(method, path, Scope.SETS_WRITE, body, check)


WRITES = [
    _sets_write("POST", "/v1/sets", SetCreate, create_set),
    # Before /v1/sets/{uuid}, which would take "reorder" for a uuid.
    _sets_write("PATCH", "/v1/sets/reorder", SetsReorder, reorder_sets),
    _sets_write("PATCH", "/v1/sets/{uuid}", SetPatch, patch_set),
    _sets_write("DELETE", "/v1/sets/{uuid}", None, delete_set),
    _sets_write("POST", "/v1/sets/{uuid}/images", SetImagesAdd, add_set_images),
    _sets_write("DELETE", "/v1/sets/{uuid}/images", SetImagesRemove, remove_set_images),
    _sets_write("PATCH", "/v1/sets/{uuid}/order", SetOrder, order_set_images),
    _sets_write("PATCH", "/v1/sets/{uuid}/visibility", SetVisibility, set_images_visibility),
    _sets_write("POST", "/v1/sets/{uuid}/restore", SetRestore, restore_set),
]

routes = [
    Route("/v1/sets", list_sets, methods=["GET"]),
    # Before /v1/sets/{uuid}, which would take "tree" for a uuid.
    Route("/v1/sets/tree", set_tree_of_account, methods=["GET"]),
    *(endpoint.route() for endpoint in WRITES),
    Route("/v1/sets/{uuid}", get_set, methods=["GET"]),
    Route("/v1/sets/{uuid}/images", list_set_images, methods=["GET"]),
    Route("/v1/sets/{uuid}/snapshots", list_snapshots, methods=["GET"]),
]
