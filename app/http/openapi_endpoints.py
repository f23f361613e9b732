"""What each method on each path takes and returns, for the OpenAPI document (openapi.py).

`/v1` writes come from the `WRITES` declarations their endpoints are made from (body, scope);
this module adds only their summaries. tests/test_openapi.py checks that the table and the
app's routes name the same endpoints, so neither can drift from the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

from app.accounts.scopes import Scope
from app.http.routes import v1_archives, v1_batch, v1_images, v1_keywords, v1_sets, v1_uploads
from app.http.routes.v1_downloads import DownloadLink, DownloadRequest
from app.http.write_endpoints import WriteEndpoint
from app.schemas.accounts import MeOut
from app.schemas.archives import ArchiveListQuery, ArchiveOut
from app.schemas.health import HealthOut
from app.schemas.images import ImageListQuery, ImageOut, VersionOut
from app.schemas.imgs import ImgItem
from app.schemas.imgs_out import ImgOut, SearchAnswer
from app.schemas.imgs_requests import OpsQuery, SearchQuery, WriteOptions
from app.schemas.keywords import KeywordListQuery, NamespaceListQuery
from app.schemas.operations import OperationListQuery, OperationOut
from app.schemas.ops import OpOut
from app.schemas.sets import (
    PageQuery,
    SetImageOut,
    SetListQuery,
    SetOut,
    SetTreeNode,
    SnapshotOut,
    TreeQuery,
)
from app.schemas.uploads import UploadTicket, UploadTicketRequest
from app.storage.keywords_store import KeywordCount, NamespaceCount

Paging = Literal["offset", "page"]
Key = tuple[str, str]  # (method, path as the route declares it)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One method on one path. The traits (conditional, paging, …) decide the headers and
    the error statuses the document lists for it."""

    summary: str
    # The JSON answer's type; None: the answer is a file or a page of `media_type`.
    response: Any
    status: int = 200
    # The scope checked; None with `auth`: any valid token (or, for a batch, each item's own).
    scope: str | None = None
    auth: bool = True
    query: type[Any] | None = None
    # A type msgspec describes, or a JSON Schema as a dict (the upload form).
    body: Any = None
    body_media_type: str = "application/json"
    media_type: str = "application/json"
    conditional: bool = False  # a strong ETag; If-None-Match matching answers 304
    poll: bool = False  # Prefer: wait=N; Retry-After while the operation runs
    paging: Paging | None = None  # limit/offset with X-Next-Offset, or page with X-Total-Count
    idempotency_key: Literal["required", "optional"] | None = None
    operation: bool = False  # accepted as an operation: 429 when the account's queue is full
    waited: bool = False  # a search-API write: 200, 422 and 500 may carry the finished operation
    description: str = ""
    # Error statuses beyond those the traits imply (all of them for endpoints without auth).
    errors: tuple[int, ...] = ()


class SignedLinkQuery(msgspec.Struct, kw_only=True):
    """The query of a signed link, as `POST /v1/downloads` and `GET /v1/archives` make it."""

    exp: int
    type: str
    filename: str
    sig: str


class ImgIdObject(msgspec.Struct, forbid_unknown_fields=True):
    id: str | int


class ImgQuery(msgspec.Struct, kw_only=True):
    """`GET /imgs/{id}` reads its query itself (`fields` is repeated); this describes it."""

    fields: Annotated[
        list[str], msgspec.Meta(description="Keep only these fields (repeated, or comma-separated).")
    ] = msgspec.field(default_factory=list)


class ImgSearchQuery(SearchQuery, kw_only=True):
    """`GET /imgs` reads `fields` and `facets` itself (they repeat); this describes them too."""

    fields: Annotated[
        list[str], msgspec.Meta(description="Keep only these fields (repeated, or comma-separated).")
    ] = msgspec.field(default_factory=list)
    facets: Annotated[
        list[str],
        msgspec.Meta(description="Count values over the whole match (repeated, or comma-separated)."),
    ] = msgspec.field(default_factory=list)


UPLOAD_FORM: dict[str, Any] = {
    "type": "object",
    "description": "Every entry of the ticket's `fields`, and the file as `file`.",
    "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"}},
    "required": ["file"],
    "additionalProperties": {"type": "string"},
}

WRITES: list[WriteEndpoint] = [
    *v1_images.WRITES,
    *v1_keywords.WRITES,
    *v1_sets.WRITES,
    *v1_uploads.WRITES,
    *v1_archives.WRITES,
    *v1_batch.WRITES,
]

WRITE_SUMMARIES: dict[Key, str] = {
    ("PATCH", "/v1/images/{uuid}"): "Change title, description, creation date or rotation → update",
    ("DELETE", "/v1/images/{uuid}"): "Delete an image, its versions and set memberships → delete",
    ("PUT", "/v1/images/{uuid}/metadata"): "Set IPTC and search-API metadata fields → metadata",
    ("PUT", "/v1/images/{uuid}/rating"): "Set the rating, 0 to 5 → rating",
    ("PUT", "/v1/images/{uuid}/alt_text"): "Set the alt text → alt_text",
    ("POST", "/v1/images/{uuid}/credits"): "Add a credit → credits_add",
    ("DELETE", "/v1/images/{uuid}/credits"): "Remove a credit → credits_remove",
    ("POST", "/v1/images/regenerate"): "Rebuild every version of images or a set → regenerate_versions",
    ("PUT", "/v1/images/{uuid}/crop"): "Crop to an aspect; makes a crop_<aspect> version → crop",
    ("DELETE", "/v1/images/{uuid}/crop"): "Remove a crop → crop_delete",
    (
        "POST",
        "/v1/images/{uuid}/extract_metadata",
    ): "Copy embedded caption, keywords, date → extract_metadata",
    ("POST", "/v1/images/{uuid}/keywords"): "Add keywords (`axis:value` is namespaced) → keywords_add",
    ("DELETE", "/v1/images/{uuid}/keywords"): "Remove a keyword → keywords_remove",
    ("POST", "/v1/keywords/rename"): "Rename a keyword on some or every image → keywords_rename",
    ("POST", "/v1/sets"): "Create a set → set_create",
    ("PATCH", "/v1/sets/reorder"): "Reorder sibling sets → sets_reorder",
    ("PATCH", "/v1/sets/{uuid}"): "Change a set → set_update",
    ("DELETE", "/v1/sets/{uuid}"): "Delete a set and its sub-sets, never the images → set_delete",
    ("POST", "/v1/sets/{uuid}/images"): "Add images, or move them from another set → set_images_add",
    ("DELETE", "/v1/sets/{uuid}/images"): "Remove images from a set → set_images_remove",
    ("PATCH", "/v1/sets/{uuid}/order"): "Set the full order of a set's images → set_order",
    ("PATCH", "/v1/sets/{uuid}/visibility"): "Hide or show images in a set → set_visibility",
    ("POST", "/v1/sets/{uuid}/restore"): "Restore a snapshot of the set → set_restore",
    ("POST", "/v1/uploads/url"): "Upload from a URL the server fetches → upload",
    ("POST", "/v1/archives"): "Make a ZIP of images or a set → archive",
    ("POST", "/v1/operations/batch"): "Up to 50 writes, checked first, run all or nothing → batch",
}


def _v1_read(
    summary: str,
    response: Any,
    query: type[Any] | None = None,
    *,
    paging: bool = False,
    errors: tuple[int, ...] = (),
) -> Endpoint:
    return Endpoint(
        summary,
        response,
        scope=Scope.IMAGES_READ,
        query=query,
        conditional=True,
        paging="offset" if paging else None,
        errors=errors,
    )


_IMGS_SCOPES = {
    "POST": Scope.UPLOAD,
    "PUT": Scope.IMAGES_WRITE,
    "PATCH": Scope.IMAGES_WRITE,
    "DELETE": Scope.IMAGES_DELETE,
}


def _imgs_write(method: str, path: str, body: Any, summary: str) -> tuple[Key, Endpoint]:
    endpoint = Endpoint(
        summary,
        OpOut,
        status=202,
        scope=_IMGS_SCOPES[method],
        query=WriteOptions,
        body=body,
        idempotency_key="optional",
        operation=True,
        waited=True,
    )
    return (method, path), endpoint


_IMGS_WRITES = dict(
    [
        _imgs_write("POST", "/imgs", list[ImgItem], "Create images, each with `id` and `src`"),
        _imgs_write("POST", "/imgs/{id:path}", ImgItem, "Create one image; `src` required"),
        _imgs_write("PUT", "/imgs", list[ImgItem], "Replace images: fields left out are cleared"),
        _imgs_write("PUT", "/imgs/{id:path}", ImgItem, "Replace one image; `src` required"),
        _imgs_write("PATCH", "/imgs", list[ImgItem], "Modify images: fields left out are kept, null clears"),
        _imgs_write("PATCH", "/imgs/{id:path}", ImgItem, "Modify one image"),
        _imgs_write("DELETE", "/imgs", list[str | int | ImgIdObject], "Delete images by id"),
        _imgs_write("DELETE", "/imgs/{id:path}", None, "Delete one image"),
    ]
)

_POLL = (
    "With `If-None-Match` matching: `304`, no body. With `Prefer: wait=N` (N ≤ 60) an unfinished "
    "operation is held until it changes or N seconds pass."
)
_SIGNED = "The signed query is the authority: `403` when it does not verify or has expired."

READS_AND_OTHERS: dict[Key, Endpoint] = {
    ("GET", "/healthz"): Endpoint("Is the server up and its database answering", HealthOut, auth=False),
    ("GET", "/openapi.json"): Endpoint(
        "This document (OpenAPI 3.1)", dict[str, Any], auth=False, conditional=True
    ),
    ("GET", "/docs"): Endpoint(
        "A reference page rendered from /openapi.json", None, auth=False, media_type="text/html"
    ),
    ("GET", "/console"): Endpoint(
        "The browser console: sign in with a token, browse, search, upload, edit, sort into sets",
        None,
        auth=False,
        media_type="text/html",
        conditional=True,
    ),
    ("GET", "/console/{name}"): Endpoint(
        "A static file of the console (its ES modules and stylesheet)",
        None,
        auth=False,
        media_type="text/javascript",
        conditional=True,
        errors=(404,),
    ),
    ("GET", "/v1/me"): Endpoint("The caller's account, token and scopes", MeOut, conditional=True),
    ("GET", "/metrics"): Endpoint(
        "The server's Prometheus metrics, in the text format (version 0.0.4)",
        None,
        media_type="text/plain",
        description="Requests by route template and status with latency histograms, the queue, "
        "operations by type and final status, and the processor's time per file. Any valid token.",
    ),
    # `set_public_uuid` naming no set of the account: `404 set_not_found`, as a write naming it.
    ("GET", "/v1/images"): _v1_read(
        "Images, newest first; filters stack", list[ImageOut], ImageListQuery, paging=True, errors=(404,)
    ),
    ("GET", "/v1/images/{uuid}"): _v1_read(
        "One image: fields, keywords, metadata, EXIF, sets, versions", ImageOut
    ),
    ("GET", "/v1/images/{uuid}/versions"): _v1_read("An image's versions with their URLs", list[VersionOut]),
    ("GET", "/v1/keywords"): _v1_read(
        "Keywords with the number of images carrying each", list[KeywordCount], KeywordListQuery, paging=True
    ),
    ("GET", "/v1/keywords/namespaces"): _v1_read(
        "Keyword namespaces with the number of images using each",
        list[NamespaceCount],
        NamespaceListQuery,
        paging=True,
    ),
    ("GET", "/v1/sets"): _v1_read(
        "Top-level sets, or the children of `parent_public_uuid`, in order",
        list[SetOut],
        SetListQuery,
        paging=True,
        errors=(404,),
    ),
    ("GET", "/v1/sets/tree"): _v1_read("Every set, nested, in order", list[SetTreeNode], TreeQuery),
    ("GET", "/v1/sets/{uuid}"): _v1_read("One set", SetOut),
    ("GET", "/v1/sets/{uuid}/images"): _v1_read(
        "A set's images in set order, with their visibility", list[SetImageOut], PageQuery, paging=True
    ),
    ("GET", "/v1/sets/{uuid}/snapshots"): _v1_read(
        "The set's membership before each rearrangement, newest first",
        list[SnapshotOut],
        PageQuery,
        paging=True,
    ),
    ("POST", "/v1/uploads"): Endpoint(
        "A signed, short-lived upload ticket for one file",
        UploadTicket,
        status=201,
        scope=Scope.UPLOAD,
        body=UploadTicketRequest,
        idempotency_key="required",
    ),
    ("POST", "/v1/uploads/file"): Endpoint(
        "Send a file to an upload ticket's URL → upload",
        OperationOut,
        status=202,
        auth=False,
        body=UPLOAD_FORM,
        body_media_type="multipart/form-data",
        operation=True,
        description="The ticket's signed fields are the authority. A second use of a ticket "
        "answers the same operation, with `Idempotent-Replayed: true`.",
        errors=(400, 403, 413, 429),
    ),
    ("POST", "/v1/downloads"): Endpoint(
        "A signed, expiring link to an original or a version (not an operation)",
        DownloadLink,
        scope=Scope.DOWNLOAD,
        body=DownloadRequest,
        errors=(404,),
    ),
    ("GET", "/v1/archives"): _v1_read(
        "Ready archives with signed links", list[ArchiveOut], ArchiveListQuery, paging=True
    ),
    ("GET", "/v1/archives/{uuid}"): _v1_read("One ready archive with its signed link", ArchiveOut),
    ("GET", "/v1/operations"): _v1_read(
        "Operations, newest first", list[OperationOut], OperationListQuery, paging=True
    ),
    ("GET", "/v1/operations/{uuid}"): Endpoint(
        "One operation, polled cheaply or waited for",
        OperationOut,
        scope=Scope.IMAGES_READ,
        conditional=True,
        poll=True,
        description=_POLL,
    ),
    ("POST", "/v1/operations/{uuid}/cancel"): Endpoint(
        "Cancel a queued or running operation",
        OperationOut,
        status=202,
        description="Needs the scope of the operation's type. An item of a batch: `400`; "
        "a finished operation: `409 operation_finished`.",
        errors=(400, 409),
    ),
    ("GET", "/ops"): Endpoint(
        "Operations as the search API shows them, newest first",
        list[OpOut],
        scope=Scope.IMAGES_READ,
        query=OpsQuery,
        conditional=True,
        paging="page",
    ),
    ("GET", "/ops/{op_id}"): Endpoint(
        "One operation, polled cheaply or waited for",
        OpOut,
        scope=Scope.IMAGES_READ,
        conditional=True,
        poll=True,
        description=_POLL,
    ),
    ("DELETE", "/ops/{op_id}"): Endpoint(
        "Cancel a queued or running operation",
        OpOut,
        status=202,
        description="Needs the scope of the operation's writes; a finished one: `409 operation_finished`.",
        errors=(409,),
    ),
    ("GET", "/imgs"): Endpoint(
        "Search images with the query formula `q`",
        SearchAnswer,
        scope=Scope.IMAGES_READ,
        query=ImgSearchQuery,
        conditional=True,
        description=(
            "`fields` and `facets` repeat (or take comma-separated names). Ties in any sort go "
            "newest first, then by public uuid. A bad `q` is `422 query_invalid` (or "
            "`unsupported_filter`) with `position`, the offset in `q` where it starts."
        ),
    ),
    ("GET", "/imgs/{id:path}"): Endpoint(
        "One image as the search API shows it",
        ImgOut,
        scope=Scope.IMAGES_READ,
        query=ImgQuery,
        conditional=True,
    ),
    **_IMGS_WRITES,
    ("GET", "/media/{name}"): Endpoint(
        "A version's file; public (its name is unguessable) and immutable",
        None,
        auth=False,
        media_type="image/*",
        conditional=True,
        errors=(404,),
    ),
    ("GET", "/media/private/{name}"): Endpoint(
        "An original or a version through a signed link",
        None,
        auth=False,
        query=SignedLinkQuery,
        media_type="application/octet-stream",
        conditional=True,
        description=_SIGNED,
        errors=(403, 404),
    ),
    ("GET", "/media/private/archives/{name}"): Endpoint(
        "An archive through a signed link",
        None,
        auth=False,
        query=SignedLinkQuery,
        media_type="application/zip",
        conditional=True,
        description=_SIGNED,
        errors=(403, 404),
    ),
}


def write_endpoint(write: WriteEndpoint) -> Endpoint:
    """A `/v1` write as declared for its route: `202` with the operation."""
    scope_note = "Each item needs its own endpoint's scope. " if write.scope is None else ""
    return Endpoint(
        WRITE_SUMMARIES.get((write.method, write.path), ""),
        OperationOut,
        status=202,
        scope=write.scope,
        body=write.body,
        idempotency_key="required",
        operation=True,
        description=scope_note + "Answers `202` with the operation as it stands after a short grace.",
    )


def endpoints() -> dict[Key, Endpoint]:
    """Every documented endpoint: the writes from their declarations, the rest from the table."""
    return {**READS_AND_OTHERS, **{(w.method, w.path): write_endpoint(w) for w in WRITES}}
