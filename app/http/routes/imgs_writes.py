"""`/imgs` writes: create, replace, modify, delete one image or many; sync or async."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from app.accounts.authentication import Principal
from app.accounts.scopes import Scope
from app.errors import Unprocessable, ValidationFailed
from app.http.context import authorize
from app.http.request_body import body_limit, read_body
from app.http.responses import JSONResponse
from app.http.routing import Route
from app.operations.idempotency import HEADER, IdempotencyClaim, check_key, fingerprint
from app.operations.states import OperationStatus
from app.operations.submission import Submission
from app.operations.types.imgs_write import TYPE_OF_KIND
from app.runtime import Darkroom
from app.schemas.imgs import CheckedItem, ItemProblem, WriteKind, check_items
from app.schemas.imgs_requests import WriteOptions, search_query
from app.schemas.ops import op_out
from app.storage import images_store, operations_store
from app.storage.operations_store import OperationRecord

_SCOPES: dict[WriteKind, str] = {
    "create": Scope.UPLOAD,
    "replace": Scope.IMAGES_WRITE,
    "modify": Scope.IMAGES_WRITE,
    "delete": Scope.IMAGES_DELETE,
}
_KINDS: dict[str, WriteKind] = {"POST": "create", "PUT": "replace", "PATCH": "modify", "DELETE": "delete"}
# Errors of the operation's own items (else: a server fault, answered 500 when waited for).
_ITEM_FAILURE = "items_failed"


async def write_many(request: Request) -> Response:
    return await _write(request, single=False)


async def write_one(request: Request) -> Response:
    return await _write(request, single=True)


async def _write(request: Request, *, single: bool) -> Response:
    kind = _KINDS[request.method]
    runtime, principal = await authorize(request, _SCOPES[kind])
    options = search_query(request.query_params, WriteOptions)
    path_id: str | None = request.path_params.get("id") if single else None
    limit = body_limit(runtime.settings.max_body_bytes, principal.max_request_bytes)
    body = await read_body(request, limit)
    raws = _items(body, kind, path_id, runtime.settings.max_batch_items)
    good, bad = check_items(raws, kind, path_id)
    claim = _claim(request, options, raws)
    if not bad and claim is not None:
        # Before the strict checks: a retried create must replay, not find its own images.
        known = await runtime.intake.find(principal.account_id, claim)
        if known is not None:
            return await _answer(runtime, known, options.wait, replayed=True)
    bad += await _strict_conflicts(runtime, principal, good, kind, options.strict)
    if bad:
        bad.sort(key=lambda problem: problem.index)
        raise Unprocessable(
            f"{len(bad)} of {len(raws)} images are not valid; nothing was accepted.",
            items=[problem.as_dict() for problem in bad],
        )
    submission = Submission(
        type=TYPE_OF_KIND[kind],
        params={
            "items": [_item_params(item) for item in good],
            "strict": options.strict,
            "subset": options.subset,
            "lang": options.lang,
            "wait": options.wait,
        },
        progress_total=len(good),
        dialect="imgs",
        urgent=options.urgent,
    )
    accepted = await runtime.intake.submit(principal.account_id, submission, claim)
    return await _answer(runtime, accepted.record, options.wait, replayed=accepted.replayed)


async def _answer(runtime: Darkroom, record: OperationRecord, wait: bool, *, replayed: bool) -> Response:
    if wait:
        record = await _waited(runtime, record)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(op_out(record), status_code=_status(record, wait), headers=headers)


def _items(body: bytes, kind: WriteKind, path_id: str | None, max_items: int) -> list[Any]:
    """The request's images as raw JSON values, before they are checked one by one."""
    if path_id is not None and kind == "delete":
        if body.strip():
            raise _invalid("DELETE /imgs/{id} takes no body.")
        return [path_id]
    try:
        value = msgspec.json.decode(body) if body.strip() else None
    except msgspec.DecodeError as error:
        raise _invalid(f"The body is not valid JSON: {error}.") from None
    if path_id is not None:
        if not isinstance(value, dict):
            raise _invalid("The body is one image object.")
        return [value]
    if not isinstance(value, list):
        raise _invalid("The body is a JSON array of images.")
    if not value:
        raise _invalid("The array holds no image.")
    if len(value) > max_items:
        raise _invalid(f"One request holds at most {max_items} images, not {len(value)}.")
    return value


def _invalid(message: str) -> Unprocessable:
    return Unprocessable(message, items=[])


async def _strict_conflicts(
    runtime: Darkroom, principal: Principal, items: list[CheckedItem], kind: WriteKind, strict: bool
) -> list[ItemProblem]:
    """The strict conflicts visible now (they are checked again when the operation runs)."""
    if not strict or kind == "delete" or not items:
        return []
    existing = await images_store.by_external_ids(
        runtime.db, principal.account_id, [item.id for item in items]
    )
    problems = []
    for item in items:
        if kind == "create" and item.id in existing:
            problems.append(
                ItemProblem(item.index, item.id, "id", "id_exists", "An image with this id exists.")
            )
        elif kind != "create" and item.id not in existing:
            problems.append(ItemProblem(item.index, item.id, "id", "not_found", "No image has this id."))
    return problems


def _claim(request: Request, options: WriteOptions, raws: list[Any]) -> IdempotencyClaim | None:
    """Optional here; honoured when present. `wait` does not change the work, so it is left
    out of the fingerprint."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    try:
        check_key(key)
    except ValidationFailed as error:
        # The search API answers every invalid request with 422 and its items, a header too.
        problem = {"index": None, "id": None, "field": HEADER, "code": "invalid", "message": error.message}
        raise Unprocessable(error.message, field=HEADER, items=[problem]) from None
    work = msgspec.structs.asdict(options)
    work.pop("wait")
    return IdempotencyClaim(key, fingerprint(request.method, request.url.path, work, raws))


def _item_params(item: CheckedItem) -> dict[str, Any]:
    return {
        "index": item.index,
        "id": item.id,
        "src": item.src,
        "columns": item.columns,
        "keywords": item.keywords,
    }


async def _waited(runtime: Darkroom, record: OperationRecord) -> OperationRecord:
    watched = runtime.watch.by_op_id(record.op_id)
    if watched is not None and not watched.finished:
        await runtime.watch.wait_finished(watched, runtime.settings.sync_timeout)
    return await operations_store.by_id(runtime.db, record.op_id) or record


def _status(record: OperationRecord, waited: bool) -> int:
    if not waited or not record.status.finished:
        return 202
    if record.status is OperationStatus.SUCCEEDED:
        return 200
    if record.status is OperationStatus.FAILED:
        return 422 if (record.error or {}).get("code") == _ITEM_FAILURE else 500
    return 202


routes = [
    Route("/imgs", write_many, methods=["POST", "PUT", "PATCH", "DELETE"]),
    Route("/imgs/{id:path}", write_one, methods=["POST", "PUT", "PATCH", "DELETE"]),
]
