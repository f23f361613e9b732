"""`POST /v1/operations/batch`: up to 50 writes of /v1, each checked as if sent alone, before
any of them runs; then all of them, or none."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from starlette.routing import Match

from app.errors import ApiError, ValidationFailed
from app.http.routes import v1_images, v1_keywords, v1_sets
from app.http.routing import Route
from app.http.write_endpoints import WriteCheck, WriteEndpoint
from app.operations.submission import Submission
from app.operations.types import batch
from app.schemas.base import Schema, decode_json

MAX_ITEMS = 50

# Every write of /v1 a batch may name; the types they make decide whether it may (batch.py).
_ENDPOINTS: list[tuple[WriteEndpoint, Route]] = [
    (endpoint, endpoint.route()) for endpoint in (*v1_images.WRITES, *v1_keywords.WRITES, *v1_sets.WRITES)
]


class BatchItem(Schema):
    method: Literal["POST", "PUT", "PATCH", "DELETE"]
    path: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    body: Any = None


class BatchBody(Schema):
    operations: Annotated[list[BatchItem], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]


async def _check_batch(context: WriteCheck, body: BatchBody) -> Submission:
    children: list[Submission] = []
    problems: list[tuple[int, ApiError]] = []
    for index, item in enumerate(body.operations):
        try:
            children.append(await _check_item(context, item))
        except ApiError as error:
            problems.append((index, error))
    if problems:
        raise _rejected(problems)
    return Submission(
        type=batch.TYPE,
        params={},
        image_public_uuids=list(dict.fromkeys(u for child in children for u in child.image_public_uuids)),
        progress_total=len(children),
        children=children,
    )


async def _check_item(context: WriteCheck, item: BatchItem) -> Submission:
    """The item exactly as its own endpoint would check it: scope, body, existence."""
    endpoint, path_params = _endpoint(item.method, item.path)
    if endpoint.scope is not None:
        context.principal.require(endpoint.scope)
    value = None
    if endpoint.body is not None:
        value = decode_json(msgspec.json.encode(item.body), endpoint.body)
    elif item.body is not None:
        raise ValidationFailed(f"{item.method} {item.path} takes no body.", field="body")
    submission = await endpoint.check(WriteCheck(context.runtime, context.principal, path_params), value)
    if submission.type not in batch.BATCHABLE:
        raise ValidationFailed(f"{item.method} {item.path} cannot be part of a batch.", field="path")
    return submission


def _endpoint(method: str, path: str) -> tuple[WriteEndpoint, dict[str, Any]]:
    if not path.startswith("/v1/"):
        raise ValidationFailed("A path starts with /v1/.", field="path")
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    for endpoint, route in _ENDPOINTS:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return endpoint, dict(child.get("path_params", {}))
    raise ValidationFailed(f"No write of this API is {method} {path}.", field="path")


def _rejected(problems: list[tuple[int, ApiError]]) -> ApiError:
    """The first problem, as the answer; every problem in `detail`."""
    items = [
        {
            "index": index,
            "status": error.status,
            "code": error.code,
            "message": error.message,
            "field": _field(index, error.field),
        }
        for index, error in problems
    ]
    index, first = problems[0]
    rejected = type(first)(
        f"Operation {index} of the batch: {first.message}",
        field=_field(index, first.field),
        detail={"items": items},
        headers=first.headers,
    )
    return rejected


def _field(index: int, field: str | None) -> str:
    if field in ("method", "path", "body"):
        return f"operations[{index}].{field}"
    return f"operations[{index}].body.{field}" if field else f"operations[{index}]"


WRITES = [WriteEndpoint("POST", "/v1/operations/batch", None, BatchBody, _check_batch)]

routes = [endpoint.route() for endpoint in WRITES]
