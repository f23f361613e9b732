"""Answering a poll of one operation, in either dialect: `304` from memory when nothing
changed, `Prefer: wait=N` held on the operation's change event, `Retry-After` while it runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.http.context import header
from app.http.preferences import preferred_wait
from app.http.responses import JSONResponse, etag_matches, not_modified
from app.operations.watch import WatchedOperation, operation_etag
from app.runtime import Darkroom
from app.storage.operations_store import OperationRecord, Revision

Load = Callable[[], Awaitable[OperationRecord]]


async def poll(
    request: Request,
    runtime: Darkroom,
    account_id: int,
    watched: WatchedOperation | None,
    load: Load,
    render: Callable[[OperationRecord], Any],
) -> Response:
    """`watched` is what memory knows (None: look it up); `load` reads the row or raises 404."""
    if watched is None or watched.account_id != account_id:
        record = await load()
        watched = runtime.watch.record(revision_of(record))
    if_none_match = header(request, b"if-none-match")
    wait = preferred_wait(header(request, b"prefer"))
    headers = {}
    if wait is not None:
        headers["Preference-Applied"] = f"wait={wait:g}"
        if if_none_match is None or etag_matches(if_none_match, watched.etag):
            await runtime.watch.wait_for_change(watched, wait)
    if not watched.finished:
        headers["Retry-After"] = "1"
    if etag_matches(if_none_match, watched.etag):
        return not_modified(watched.etag, headers)
    record = await load()
    if record.status.finished:
        headers.pop("Retry-After", None)
    headers["ETag"] = operation_etag(record.op_id, record.revision)
    return JSONResponse(render(record), headers=headers)


def revision_of(record: OperationRecord) -> Revision:
    return Revision(record.op_id, record.uuid, record.account_id, record.revision, record.status)
