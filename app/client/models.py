"""What the server answers, as the client decodes it.

These mirror the server's response schemas (`app/schemas`), field for field, but accept fields
they do not know: a newer server may add some without breaking an older client. Statuses and
other enumerations are plain strings for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")

FINISHED_STATUSES = frozenset({"succeeded", "failed", "canceled"})


class Model(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """Base of every answer the client decodes."""


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of a list, and how to ask for the next (`/v1`: offset; `/ops`: page)."""

    items: list[T]
    has_more: bool
    next_offset: int | None = None
    total: int | None = None  # `/ops` counts every match

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# Account


class Account(Model):
    uuid: str
    name: str


class TokenInfo(Model):
    uuid: str
    name: str
    expires_at: str | None


class Me(Model):
    account: Account
    token: TokenInfo
    capabilities: list[str]


# Operations


class Progress(Model):
    total: int
    done: int
    failed: int


class OperationInfo(Model):
    """An operation as `/v1/operations` shows it."""

    uuid: str
    type: str
    status: str
    image_public_uuids: list[str]
    progress: Progress
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: str
    started_at: str | None
    finished_at: str | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class OpError(Model):
    index: int
    code: str
    msg: str
    id: str | None = None


class OpInfo(Model):
    """An operation as `/ops` and the `/imgs` writes show it."""

    op_id: int
    uuid: str
    method: str
    resource: str
    num_total: int
    num_good: int
    num_bad: int
    num_skipped: int
    finished: bool
    success: bool | None
    all_good: bool | None
    is_started: bool
    is_finished: bool
    do_wait: bool
    do_urgent: bool
    do_strict: bool
    do_subset: bool
    lang: str
    idle_ms: int | None
    exec_ms: int | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    errors: list[OpError]
    type: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.success is True


# Images


class Keyword(Model):
    value: str
    namespace: str | None


class Version(Model):
    name: str
    width: int
    height: int
    format: str
    bytes: int
    url: str


class ImageMetadata(Model):
    headline: str | None = None
    creator: str | None = None
    copyright_notice: str | None = None
    copyright_marked: bool | None = None
    credit_line: str | None = None
    usage_terms: str | None = None
    city: str | None = None
    country: str | None = None
    location: str | None = None
    event: str | None = None
    provider: str | None = None
    shot: str | None = None
    scene: str | None = None
    technique: str | None = None
    medium: str | None = None
    status: str | None = None
    url_img_watermark: str | None = None
    url_img_thumbnail: str | None = None
    ai_generated: bool | None = None
    model_release: bool | None = None
    property_release: bool | None = None
    nsfw: bool | None = None
    categories: list[str] = msgspec.field(default_factory=list)
    collections: list[str] = msgspec.field(default_factory=list)


class Credit(Model):
    role: str
    name: str


class SetMembership(Model):
    public_uuid: str
    name: str


class Image(Model):
    public_uuid: str
    external_id: str | None
    title: str | None
    description: str | None
    creation_date: str | None
    alt_text: str | None
    keywords: list[Keyword]
    credits: list[Credit]
    rating: int | None
    src: str | None
    filename: str | None
    width: int | None
    height: int | None
    format: str | None
    bytes: int | None
    sha256: str | None
    n_faces: int | None
    rotation: int
    metadata: ImageMetadata
    exif: dict[str, Any]
    sets: list[SetMembership]
    versions: list[Version]
    created_at: str
    updated_at: str


class KeywordCount(Model):
    value: str
    namespace: str | None
    count: int


class NamespaceCount(Model):
    namespace: str
    count: int


# Sets


class Set(Model):
    public_uuid: str
    name: str
    parent_public_uuid: str | None
    type: str | None
    colour: str | None
    description: str | None
    image_count: int
    lead_image_public_uuid: str | None
    created_at: str
    updated_at: str


class SetTreeNode(Model):
    public_uuid: str
    name: str
    image_count: int
    children: list[SetTreeNode]


class SetImage(Image):
    hidden: bool
    activation_time: str | None


class Snapshot(Model):
    public_uuid: str
    created_at: str
    image_count: int
    operation_type: str


# Files


class UploadTicket(Model):
    upload_url: str
    file_field: str
    fields: dict[str, str]
    transaction_uuid: str
    expires_at: str


class DownloadLink(Model):
    url: str
    filename: str
    access: str
    expires_at: str


class Archive(Model):
    public_uuid: str
    filename: str
    url: str
    bytes: int
    image_count: int
    created_at: str
    expires_at: str


# The search dialect


class Img(Model):
    """An image as `/imgs` shows it; with `fields`, only `image_id` is sure to be there."""

    image_id: str | None
    public_uuid: str | None = None
    src: str | None = None
    url_img_watermark: str | None = None
    url_img_thumbnail: str | None = None
    title: str | None = None
    headline: str | None = None
    caption: str | None = None
    alt_text: str | None = None
    ai_generated: bool | None = None
    model_release: bool | None = None
    property_release: bool | None = None
    nsfw: bool | None = None
    status: str | None = None
    date: str | None = None
    location: str | None = None
    city: str | None = None
    country: str | None = None
    event: str | None = None
    author: str | None = None
    provider: str | None = None
    shot: str | None = None
    scene: str | None = None
    technique: str | None = None
    medium: str | None = None
    categories: list[str] | None = None
    collections: list[str] | None = None
    keywords: list[str] | None = None
    width: int | None = None
    height: int | None = None
    n_faces: int | None = None
    versions: list[Version] | None = None


class SearchResult(Model):
    """`GET /imgs`: a page of matches, the total when asked for, and the facets asked for."""

    results: list[Img]
    count: int | None = None
    facets: dict[str, dict[str, int]] = msgspec.field(default_factory=dict)
