"""`/v1/operations`: read an operation (cheaply, or waiting for it to change), list, cancel."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.accounts.scopes import Scope
from app.errors import OperationFinished, OperationNotFound, ValidationFailed
from app.http.context import authorize
from app.http.paging import page
from app.http.preferences import preferred_wait
from app.http.responses import JSONResponse, etag_matches, get_response, not_modified
from app.http.writes import answer_with_operation
from app.operations.registry import get_type
from app.operations.watch import operation_etag
from app.runtime import Darkroom
from app.schemas.base import convert_query
from app.schemas.operations import OperationListQuery, operation_out
from app.storage import operations_store
from app.storage.operations_store import OperationRecord, Revision
from app.timestamps import format_time, parse_time


async def get_operation(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    uuid = request.path_params["uuid"]
    watched = runtime.watch.by_uuid(uuid)
    if watched is None or watched.account_id != principal.account_id:
        record = await _operation(runtime, uuid, principal.account_id)
        watched = runtime.watch.record(_revision(record))
    if_none_match = request.headers.get("if-none-match")
    wait = preferred_wait(request.headers.get("prefer"))
    headers = {}
    if wait is not None:
        headers["Preference-Applied"] = f"wait={wait:g}"
        if if_none_match is None or etag_matches(if_none_match, watched.etag):
            await runtime.watch.wait_for_change(watched, wait)
    if not watched.finished:
        headers["Retry-After"] = "1"
    if etag_matches(if_none_match, watched.etag):
        return not_modified(watched.etag, headers)
    record = await _operation(runtime, uuid, principal.account_id)
    if record.status.finished:
        headers.pop("Retry-After", None)
    headers["ETag"] = operation_etag(record.op_id, record.revision)
    return JSONResponse(operation_out(record), headers=headers)


async def list_operations(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, OperationListQuery)
    rows = await operations_store.list_for_account(
        runtime.db,
        principal.account_id,
        limit=query.limit + 1,
        offset=query.offset,
        status=query.status,
        type=query.type,
        created_from=_time(query.created_at_from, "created_at_from"),
        created_to=_time(query.created_at_to, "created_at_to"),
    )
    records, headers = page(rows, query.limit, query.offset)
    return get_response(request, [operation_out(record) for record in records], headers)


async def cancel_operation(request: Request) -> Response:
    runtime, principal = await authorize(request, None)
    record = await _operation(runtime, request.path_params["uuid"], principal.account_id)
    principal.require(get_type(record.type).scope)
    if record.status.finished:
        raise OperationFinished(f"The operation already {record.status}.")
    await runtime.engine.cancel(record)
    return await answer_with_operation(runtime, record)


async def _operation(runtime: Darkroom, uuid: str, account_id: int) -> OperationRecord:
    record = await operations_store.by_uuid(runtime.db, uuid, account_id)
    if record is None:
        raise OperationNotFound
    return record


def _revision(record: OperationRecord) -> Revision:
    return Revision(record.op_id, record.uuid, record.account_id, record.revision, record.status)


def _time(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    try:
        return format_time(parse_time(text))
    except ValueError:
        raise ValidationFailed(f"{field} must be an ISO 8601 timestamp.", field=field) from None


routes = [
    Route("/v1/operations", list_operations, methods=["GET"]),
    Route("/v1/operations/{uuid}", get_operation, methods=["GET"]),
    Route("/v1/operations/{uuid}/cancel", cancel_operation, methods=["POST"]),
]
