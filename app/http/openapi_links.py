"""OpenAPI links between the document's operations: where a write's answer leads (its operation,
polled or cancelled) and where a list's items lead (the object's own endpoints). Clients and
stateful testers (schemathesis, `make fuzz`) follow them from one answer to the next request."""

from __future__ import annotations

from typing import Any

_OPERATION = "/v1/operations/{uuid}"
_OP = "/ops/{op_id}"
# A list whose items carry `public_uuid`, and the path of one of them.
_LISTS = {
    "/v1/images": "/v1/images/{uuid}",
    "/v1/sets": "/v1/sets/{uuid}",
    "/v1/archives": "/v1/archives/{uuid}",
}


def add_links(paths: dict[str, dict[str, Any]]) -> None:
    """Add `links` to the success answers of `paths` (the document's, changed in place)."""
    for path, methods in paths.items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    links = _links(paths, path, method, response)
                    if links:
                        response["links"] = links


def _links(
    paths: dict[str, dict[str, Any]], path: str, method: str, response: dict[str, Any]
) -> dict[str, Any]:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    answer = schema.get("$ref", "").rsplit("/", 1)[-1]
    if answer == "OperationOut":
        return _to(paths, _OPERATION, {"uuid": "$response.body#/uuid"})
    if answer == "OpOut":
        return _to(paths, _OP, {"op_id": "$response.body#/op_id"})
    if method == "get" and path in _LISTS:
        item = _LISTS[path]
        return {
            name: link
            for target in paths
            if target == item or target.startswith(item + "/")
            for name, link in _to(paths, target, {"uuid": "$response.body#/0/public_uuid"}).items()
        }
    return {}


def _to(paths: dict[str, dict[str, Any]], target: str, parameters: dict[str, str]) -> dict[str, Any]:
    """A link to every method on `target`, named after the operation it leads to."""
    return {
        operation["operationId"]: {"operationId": operation["operationId"], "parameters": parameters}
        for operation in paths.get(target, {}).values()
    }
