"""`/v1/operations`: read an operation (cheaply, or waiting for it to change), list, cancel."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import Scope
from app.errors import OperationNotFound, ValidationFailed
from app.http.cancellation import cancel
from app.http.context import authorize
from app.http.operation_polls import poll
from app.http.paging import page
from app.http.responses import JSONResponse, get_response
from app.http.routing import Route
from app.runtime import Darkroom
from app.schemas.base import convert_query
from app.schemas.operations import OperationListQuery, operation_out
from app.storage import operations_store
from app.storage.operations_store import OperationFilter, OperationRecord
from app.timestamps import format_time, parse_time


async def get_operation(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    uuid = request.path_params["uuid"]

    async def load() -> OperationRecord:
        return await _operation(runtime, uuid, principal.account_id)

    watched = runtime.watch.by_uuid(uuid)
    return await poll(request, runtime, principal.account_id, watched, load, operation_out)


async def list_operations(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = convert_query(request.query_params, OperationListQuery)
    filter = OperationFilter(
        statuses=None if query.status is None else [query.status],
        types=None if query.type is None else [query.type],
        created_from=_time(query.created_at_from, "created_at_from"),
        created_to=_time(query.created_at_to, "created_at_to"),
    )
    rows = await operations_store.list_for_account(
        runtime.db, principal.account_id, filter, limit=query.limit + 1, offset=query.offset
    )
    records, headers = page(rows, query.limit, query.offset)
    return get_response(request, [operation_out(record) for record in records], headers)


async def cancel_operation(request: Request) -> Response:
    runtime, principal = await authorize(request, None)
    record = await _operation(runtime, request.path_params["uuid"], principal.account_id)
    record = await cancel(runtime, principal, record)
    return JSONResponse(operation_out(record), status_code=202)


async def _operation(runtime: Darkroom, uuid: str, account_id: int) -> OperationRecord:
    record = await operations_store.by_uuid(runtime.db, uuid, account_id)
    if record is None:
        raise OperationNotFound
    return record


def _time(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    try:
        return format_time(parse_time(text))
    except ValueError:
        raise ValidationFailed(f"{field} must be an ISO 8601 timestamp.", field=field) from None


routes = [
    # The poll first: it is the most frequent request, and routes are tried in order.
    Route("/v1/operations/{uuid}", get_operation, methods=["GET"]),
    Route("/v1/operations", list_operations, methods=["GET"]),
    Route("/v1/operations/{uuid}/cancel", cancel_operation, methods=["POST"]),
]
