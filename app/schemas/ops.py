"""Operations as the search API shows them (`/ops`, and the answers of `/imgs` writes)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from app.operations.states import OperationStatus
from app.operations.types.imgs_write import METHOD_OF_TYPE
from app.schemas.base import Schema
from app.storage.operations_store import OperationRecord
from app.timestamps import parse_time

Method = Literal["add", "upd", "del", "multiple"]


class OpError(msgspec.Struct, kw_only=True):
    index: int
    id: str | None
    code: str
    msg: str


class OpOut(Schema, omit_defaults=True):
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
    # Operations made through /v1 (method `multiple`) also carry their type.
    type: str | None = None


def method_of(type: str) -> str:
    return METHOD_OF_TYPE.get(type, "multiple")


def _ms(start: str | None, end: str | None) -> int | None:
    if start is None or end is None:
        return None
    return round((parse_time(end) - parse_time(start)).total_seconds() * 1000)


def _errors(record: OperationRecord) -> list[OpError]:
    raw: list[dict[str, Any]] = []
    if record.result is not None and "errors" in record.result:
        raw = record.result["errors"]
    elif record.error is not None:
        raw = record.error.get("items") or []
        if not raw and record.status is OperationStatus.FAILED:
            raw = [{"index": -1, "code": record.error["code"], "message": record.error["message"]}]
    return [
        OpError(index=e.get("index", -1), id=e.get("id"), code=e["code"], msg=e.get("message", ""))
        for e in raw
    ]


def op_out(record: OperationRecord) -> OpOut:
    params = record.params
    imgs = record.dialect == "imgs"
    finished = record.status.finished
    result = record.result or {}
    errors = _errors(record)
    if "num_good" in result:
        good, bad, skipped = result["num_good"], result["num_bad"], result["num_skipped"]
    elif record.status is OperationStatus.FAILED:
        good, bad, skipped = 0, max(len(errors), 1), 0
    else:
        bad = record.progress_failed
        good, skipped = max(record.progress_done - bad, 0), 0
    succeeded = record.status is OperationStatus.SUCCEEDED
    method = method_of(record.type)
    return OpOut(
        op_id=record.op_id,
        uuid=record.uuid,
        method=method,
        resource="image",
        num_total=record.progress_total,
        num_good=good,
        num_bad=bad,
        num_skipped=skipped,
        finished=finished,
        success=succeeded if finished else None,
        all_good=(bad == 0) if finished else None,
        is_started=record.started_at is not None or finished,
        is_finished=finished,
        do_wait=bool(params.get("wait", False)) if imgs else False,
        do_urgent=record.urgent,
        do_strict=bool(params.get("strict", True)) if imgs else True,
        do_subset=bool(params.get("subset", False)) if imgs else False,
        lang=str(params.get("lang", "en")) if imgs else "en",
        idle_ms=_ms(record.created_at, record.started_at or record.finished_at),
        exec_ms=_ms(record.started_at, record.finished_at),
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        errors=errors,
        type=record.type if method == "multiple" else None,
    )
