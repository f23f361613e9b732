"""`/ops`: the account's operations as the search API shows them; one, with polling; cancel."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.accounts.scopes import Scope
from app.errors import OperationNotFound
from app.http.cancellation import cancel
from app.http.context import authorize
from app.http.operation_polls import poll
from app.http.responses import JSONResponse, get_response
from app.http.routing import Route
from app.operations.states import OperationStatus
from app.operations.types.imgs_write import METHOD_OF_TYPE
from app.runtime import Darkroom
from app.schemas.imgs_requests import OpsQuery, search_query
from app.schemas.ops import op_out
from app.storage import operations_store
from app.storage.operations_store import OperationFilter, OperationRecord

_TERMINAL = [status.value for status in OperationStatus if status.finished]
_UNFINISHED = [status.value for status in OperationStatus if not status.finished]


def _filter(query: OpsQuery) -> OperationFilter:
    statuses: list[str] | None = None
    if query.finished is not None:
        statuses = _TERMINAL if query.finished else _UNFINISHED
    if query.success is not None:
        wanted = ["succeeded"] if query.success else ["failed", "canceled"]
        statuses = [s for s in (statuses or wanted) if s in wanted]
    types = None
    types_not_like = None
    if query.method == "multiple":
        types_not_like = "imgs\\_%"
    elif query.method is not None:
        types = [type for type, method in METHOD_OF_TYPE.items() if method == query.method]
    return OperationFilter(statuses=statuses, types=types, types_not_like=types_not_like)


async def list_ops(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    query = search_query(request.query_params, OpsQuery)
    filter = _filter(query)
    offset = (query.page - 1) * query.limit
    records = await operations_store.list_for_account(
        runtime.db, principal.account_id, filter, limit=query.limit, offset=offset
    )
    total = await operations_store.count_for_account(runtime.db, principal.account_id, filter)
    headers = {
        "X-Total-Count": str(total),
        "X-Has-More": "true" if offset + len(records) < total else "false",
    }
    return get_response(request, [op_out(record) for record in records], headers)


async def get_op(request: Request) -> Response:
    runtime, principal = await authorize(request, Scope.IMAGES_READ)
    op_id = _op_id(request)

    async def load() -> OperationRecord:
        return await _record(runtime, op_id, principal.account_id)

    watched = runtime.watch.by_op_id(op_id)
    return await poll(request, runtime, principal.account_id, watched, load, op_out)


async def cancel_op(request: Request) -> Response:
    runtime, principal = await authorize(request, None)
    record = await _record(runtime, _op_id(request), principal.account_id)
    record = await cancel(runtime, principal, record)
    return JSONResponse(op_out(record), status_code=202)


def _op_id(request: Request) -> int:
    text = request.path_params["op_id"]
    if not text.isdigit() or len(text) > 18:
        raise OperationNotFound
    return int(text)


async def _record(runtime: Darkroom, op_id: int, account_id: int) -> OperationRecord:
    record = await operations_store.by_op_id(runtime.db, op_id, account_id)
    if record is None:
        raise OperationNotFound
    return record


routes = [
    Route("/ops", list_ops, methods=["GET"]),
    Route("/ops/{op_id}", get_op, methods=["GET"]),
    Route("/ops/{op_id}", cancel_op, methods=["DELETE"]),
]
