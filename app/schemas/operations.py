"""Operations as the library dialect shows them, and the filters of their list."""

from __future__ import annotations

from typing import Any

import msgspec

from app.operations.states import OperationStatus
from app.schemas.base import Limit, Offset, Schema
from app.storage.operations_store import OperationRecord


class Progress(Schema):
    total: int
    done: int
    failed: int


class OperationOut(Schema):
    uuid: str
    type: str
    status: OperationStatus
    image_public_uuids: list[str]
    progress: Progress
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: str
    started_at: str | None
    finished_at: str | None


class OperationListQuery(Schema):
    limit: Limit = 50
    offset: Offset = 0
    status: OperationStatus | None = None
    type: str | None = None
    created_at_from: str | None = None
    created_at_to: str | None = None


def operation_out(record: OperationRecord) -> OperationOut:
    return OperationOut(
        uuid=record.uuid,
        type=record.type,
        status=record.status,
        image_public_uuids=record.image_public_uuids,
        progress=Progress(
            total=record.progress_total, done=record.progress_done, failed=record.progress_failed
        ),
        result=record.result,
        error=record.error,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
    )


operation_encoder = msgspec.json.Encoder()
