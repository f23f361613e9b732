"""The OpenAPI 3.1 document of both dialects, generated from the app's routes, the endpoint
declarations (openapi_endpoints.py) and the msgspec schemas; nothing in it is written by hand
but prose."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from http import HTTPStatus
from importlib import metadata
from typing import Any

import msgspec
from starlette.routing import BaseRoute, Route

from app.errors import ApiError
from app.http.openapi_endpoints import Endpoint, Key, endpoints
from app.http.openapi_links import add_links
from app.operations.idempotency import HEADER as IDEMPOTENCY_KEY
from app.schemas.errors import ErrorEnvelope

REF = "#/components/schemas/{name}"
_PATH_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
_SEARCH_DIALECT = ("/imgs", "/ops")
_ORDER = (
    *("/v1/me", "/v1/images", "/v1/keywords", "/v1/uploads", "/v1/sets", "/v1/downloads"),
    *("/v1/archives", "/v1/operations", "/imgs", "/ops", "/media/"),
)
_METHODS = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}

_DESCRIPTION = """\
Darkroom speaks two dialects over one store and one operations engine: the library API
(`/v1/...`; every write answers `202` with an Operation and needs `Idempotency-Key`) and the
search API (`/imgs`, `/ops`; batch writes, sync or async, `422` listing every bad item).
Both accept `Authorization: Bearer <token>` and `API-Key: <token>`. Every error answers with
the envelope `{"error": {code, message, detail, field, request_id}}`, and every response
carries `X-Request-Id` (an incoming one of 1–128 characters from `A-Za-z0-9._-` is echoed)."""

_PATH_PARAMETERS: dict[str, tuple[dict[str, Any], str]] = {
    "uuid": ({"type": "string"}, "A `public_uuid` (an operation's is `op-…`)."),
    "op_id": ({"type": "integer", "minimum": 0}, "The operation's `op_id`."),
    "id": ({"type": "string", "minLength": 1, "maxLength": 256}, "The image's id, percent-encoded."),
    "name": ({"type": "string"}, "The file's name, as the URL that was handed out gives it."),
}

_HEADERS: dict[str, tuple[dict[str, Any], str]] = {
    "X-Request-Id": ({"type": "string"}, "The request's id, echoed when the client sent a valid one."),
    "ETag": ({"type": "string"}, "A strong validator of the representation."),
    "Idempotent-Replayed": (
        {"const": "true"},
        "Present when the Idempotency-Key was used before: this is that request's operation.",
    ),
    "X-Has-More": ({"enum": ["true", "false"]}, "Whether more items follow this page."),
    "X-Next-Offset": ({"type": "string"}, "The `offset` of the next page, when there is one."),
    "X-Total-Count": ({"type": "string"}, "How many items match, over every page."),
    "Retry-After": ({"type": "string"}, "Seconds to wait before asking again."),
    "Preference-Applied": ({"type": "string"}, "The `wait=N` that was honoured."),
    "Location": ({"type": "string"}, "Where to poll the operation."),
}

_HEADER_PARAMETERS: dict[str, dict[str, Any]] = {
    "IdempotencyKey": {
        "name": IDEMPOTENCY_KEY,
        "in": "header",
        "required": True,
        "description": "1–255 printable ASCII characters; the same key and request replay the "
        "operation, the same key with another request is `409`.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "IdempotencyKeyOptional": {
        "name": IDEMPOTENCY_KEY,
        "in": "header",
        "required": False,
        "description": "Optional on the search API; honoured when present.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "IfNoneMatch": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "An ETag from an earlier answer: `304` with no body while it still matches.",
        "schema": {"type": "string"},
    },
    "Prefer": {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "description": "`wait=N` (RFC 7240, N ≤ 60 seconds): hold the request until the operation "
        "changes or N seconds pass.",
        "schema": {"type": "string", "examples": ["wait=30"]},
    },
}

_SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <token>`."},
    "apiKey": {"type": "apiKey", "in": "header", "name": "API-Key", "description": "`API-Key: <token>`."},
}


class _Schemas:
    """Every type the endpoints name, described by msgspec in one pass, so that a struct
    appears once in `components/schemas` however many endpoints use it."""

    def __init__(self, types: Iterable[Any]) -> None:
        unique = list(dict.fromkeys(types))
        described, self.components = msgspec.json.schema_components(unique, ref_template=REF)
        self._of = dict(zip(unique, described, strict=True))
        self._queries: dict[Any, list[dict[str, Any]]] = {}

    def of(self, type: Any) -> dict[str, Any]:
        schema: dict[str, Any] = self._of[type]
        return schema

    def take_query(self, type: Any) -> list[dict[str, Any]]:
        """A query struct as one parameter per field; the struct leaves the components."""
        if type not in self._queries:
            self._queries[type] = self._parameters(type)
        return self._queries[type]

    def _parameters(self, type: Any) -> list[dict[str, Any]]:
        name = self.of(type)["$ref"].rsplit("/", 1)[-1]
        struct = self.components.pop(name)
        required = set(struct.get("required", ()))
        parameters = []
        for field, schema in struct.get("properties", {}).items():
            schema = _not_null(schema)
            parameter: dict[str, Any] = {"name": field, "in": "query", "required": field in required}
            if "description" in schema:
                parameter["description"] = schema.pop("description")
            parameters.append({**parameter, "schema": schema})
        return parameters


def document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The document for the routes the app serves; a route without a declaration is left out
    (tests/test_openapi.py makes sure there is none)."""
    declared = endpoints()
    found = sorted(
        ((key, declared[key]) for key in route_keys(routes) if key in declared),
        key=lambda item: (_rank(item[0][1]), openapi_path(item[0][1]), _METHODS.get(item[0][0], 5)),
    )
    schemas = _Schemas([ErrorEnvelope, *(t for _, endpoint in found for t in _types(endpoint))])
    paths: dict[str, dict[str, Any]] = {}
    statuses: set[int] = set()
    for (method, path), endpoint in found:
        operation = _operation(method, path, endpoint, schemas)
        statuses.update(int(status) for status in operation["responses"] if int(status) >= 400)
        paths.setdefault(openapi_path(path), {})[method.lower()] = operation
    add_links(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Darkroom", "version": _version(), "description": _DESCRIPTION},
        "tags": [{"name": tag} for tag in dict.fromkeys(_tag(path) for (_, path), _ in found)],
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "responses": _error_responses(statuses, schemas),
            "parameters": _HEADER_PARAMETERS,
            "headers": {
                name: {"description": description, "schema": schema}
                for name, (schema, description) in _HEADERS.items()
            },
            "securitySchemes": _SECURITY_SCHEMES,
        },
        "security": [{"bearer": []}, {"apiKey": []}],
    }


def route_keys(routes: Iterable[BaseRoute]) -> list[Key]:
    """(method, path) of every endpoint the routes serve; HEAD goes with GET."""
    return [
        (method, route.path)
        for route in routes
        if isinstance(route, Route)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]


def openapi_path(path: str) -> str:
    """`/imgs/{id:path}` as OpenAPI writes it: `/imgs/{id}`."""
    return _PATH_PARAMETER.sub(r"{\1}", path)


def _types(endpoint: Endpoint) -> list[Any]:
    named = [endpoint.response, endpoint.query, endpoint.body]
    return [t for t in named if t is not None and not isinstance(t, dict)]


def _operation(method: str, path: str, endpoint: Endpoint, schemas: _Schemas) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": [_tag(path)],
        "summary": endpoint.summary,
        "operationId": f"{method.lower()}_{re.sub(r'[^A-Za-z0-9]+', '_', openapi_path(path)).strip('_')}",
        "description": " ".join(filter(None, [_access(endpoint), endpoint.description])),
        "parameters": _parameters(path, endpoint, schemas),
        "responses": _responses(path, endpoint, schemas),
    }
    if endpoint.body is not None:
        schema = endpoint.body if isinstance(endpoint.body, dict) else schemas.of(endpoint.body)
        operation["requestBody"] = {
            "required": True,
            "content": {endpoint.body_media_type: {"schema": schema}},
        }
    if not endpoint.auth:
        operation["security"] = []
    elif endpoint.scope is not None:
        operation["security"] = [{"bearer": [endpoint.scope]}, {"apiKey": [endpoint.scope]}]
    return operation


def _access(endpoint: Endpoint) -> str:
    if not endpoint.auth:
        return "No token needed."
    return "Any valid token." if endpoint.scope is None else f"Scope: `{endpoint.scope}`."


def _parameters(path: str, endpoint: Endpoint, schemas: _Schemas) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for name in _PATH_PARAMETER.findall(path):
        schema, description = _PATH_PARAMETERS.get(name, ({"type": "string"}, ""))
        parameters.append(
            {"name": name, "in": "path", "required": True, "description": description, "schema": schema}
        )
    if endpoint.query is not None:
        parameters.extend(schemas.take_query(endpoint.query))
    headers = {
        "IdempotencyKey": endpoint.idempotency_key == "required",
        "IdempotencyKeyOptional": endpoint.idempotency_key == "optional",
        "IfNoneMatch": endpoint.conditional,
        "Prefer": endpoint.poll,
    }
    parameters.extend({"$ref": f"#/components/parameters/{name}"} for name, used in headers.items() if used)
    return parameters


def _responses(path: str, endpoint: Endpoint, schemas: _Schemas) -> dict[str, Any]:
    content = {
        endpoint.media_type: {} if endpoint.response is None else {"schema": schemas.of(endpoint.response)}
    }
    headers = _success_headers(endpoint)
    responses: dict[str, Any] = {}
    if endpoint.waited:
        responses["200"] = {
            "description": "`wait=true` and the operation succeeded in time.",
            "headers": headers,
            "content": content,
        }
    responses[str(endpoint.status)] = {
        "description": _success(endpoint),
        "headers": headers,
        "content": content,
    }
    if endpoint.conditional:
        names = ["X-Request-Id", "ETag", *(["Retry-After", "Preference-Applied"] if endpoint.poll else [])]
        responses["304"] = {"description": "Not Modified: no body.", "headers": _header_refs(names)}
    for status in sorted(_error_statuses(path, endpoint)):
        if endpoint.waited and status in (422, 500):
            responses[str(status)] = _waited_failure(status, endpoint, schemas)
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/{_error_name(status)}"}
    return responses


def _success(endpoint: Endpoint) -> str:
    if endpoint.waited:
        return "The operation, not finished: `wait=false`, or still running past the sync timeout."
    if endpoint.operation or endpoint.status == 202:
        return "Accepted: the operation as it stands after a short grace."
    return HTTPStatus(endpoint.status).phrase + "."


def _success_headers(endpoint: Endpoint) -> dict[str, Any]:
    names = ["X-Request-Id"]
    if endpoint.conditional:
        names.append("ETag")
    if endpoint.paging is not None:
        names += ["X-Has-More", "X-Next-Offset" if endpoint.paging == "offset" else "X-Total-Count"]
    if endpoint.poll:
        names += ["Retry-After", "Preference-Applied"]
    if endpoint.idempotency_key is not None or endpoint.operation:
        names.append("Idempotent-Replayed")
    if endpoint.operation and not endpoint.waited:
        names.append("Location")
    return _header_refs(names)


def _header_refs(names: list[str]) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _error_statuses(path: str, endpoint: Endpoint) -> set[int]:
    """What the endpoint may answer besides success, from its traits."""
    statuses = {500, *endpoint.errors}
    if not endpoint.auth:
        return statuses
    statuses |= {401, 403}
    search = path.startswith(_SEARCH_DIALECT)
    if endpoint.query is not None or endpoint.body is not None or endpoint.idempotency_key is not None:
        statuses.add(422 if search else 400)
    if _PATH_PARAMETER.search(path) or (endpoint.operation and not search):
        statuses.add(404)  # the path's object, or one a /v1 write's body names
    if endpoint.body is not None or endpoint.waited:
        statuses.add(413)
    if endpoint.idempotency_key is not None:
        statuses.add(409)
    if endpoint.operation:
        statuses.add(429)
    return statuses


def _waited_failure(status: int, endpoint: Endpoint, schemas: _Schemas) -> dict[str, Any]:
    cause = "because of its items" if status == 422 else "on a server fault"
    waited = f"Or, with `wait=true`, the operation that failed {cause}."
    return {
        "description": f"{_error_description(status)} {waited}",
        "headers": _header_refs(["X-Request-Id"]),
        "content": {
            "application/json": {
                "schema": {"oneOf": [schemas.of(ErrorEnvelope), schemas.of(endpoint.response)]}
            }
        },
    }


def _error_responses(statuses: set[int], schemas: _Schemas) -> dict[str, Any]:
    responses = {}
    for status in sorted(statuses):
        names = ["X-Request-Id", "Retry-After"] if status == 429 else ["X-Request-Id"]
        responses[_error_name(status)] = {
            "description": _error_description(status),
            "headers": _header_refs(names),
            "content": {"application/json": {"schema": schemas.of(ErrorEnvelope)}},
        }
    return responses


def _error_name(status: int) -> str:
    return HTTPStatus(status).phrase.replace(" ", "").replace("-", "")


def _error_description(status: int) -> str:
    codes = [f"`{code}`" for code in _codes().get(status, ())]
    return f"{HTTPStatus(status).phrase}: " + (", ".join(codes) or "see `error.code`") + "."


def _codes() -> dict[int, list[str]]:
    """Every stable error code by status, from the error hierarchy (app/errors.py)."""
    codes: dict[int, list[str]] = defaultdict(list)
    pending: list[type[ApiError]] = [ApiError]
    while pending:
        error = pending.pop(0)
        if error.code not in codes[error.status]:
            codes[error.status].append(error.code)
        pending.extend(error.__subclasses__())
    return codes


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: `X | None` becomes `X`."""
    options = schema.get("anyOf")
    if options is None or {"type": "null"} not in options:
        return dict(schema)
    rest = [option for option in options if option != {"type": "null"}]
    shown = dict(rest[0]) if len(rest) == 1 else {"anyOf": rest}
    extra = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**shown, **extra}


def _rank(path: str) -> int:
    """The library API in the contract's order, then the search API, the files, the server's own."""
    return next((rank for rank, prefix in enumerate(_ORDER) if path.startswith(prefix)), len(_ORDER))


def _tag(path: str) -> str:
    segments = path.strip("/").split("/")
    if segments[0] == "v1":
        return "/v1/" + segments[1]
    if segments[0] in ("imgs", "ops", "media"):
        return "/" + segments[0]
    return "server"


def _version() -> str:
    try:
        return metadata.version("darkroom")
    except metadata.PackageNotFoundError:
        return "0"
