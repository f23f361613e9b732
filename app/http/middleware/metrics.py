"""The labels every request is counted and timed by for `GET /metrics`: method, route, status.

The route is the template the router matched (`/v1/images/{uuid}`), never the raw path, so a
label cannot take one value per image; a path no route matches is `<unmatched>`.
"""

from __future__ import annotations

from starlette.types import Scope

from app.metrics import RequestLabels

UNMATCHED = "<unmatched>"
# Any other method a client makes up is `other`: no label value may be the client's choice.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_labels(scope: Scope, status: int) -> RequestLabels:
    """Method, route template and status of a request the router has seen."""
    method = scope["method"]
    # The router leaves the route it matched (fully, or by path only for a 405) in the scope.
    route = scope.get("route")
    return (method if method in METHODS else "other", route.path if route is not None else UNMATCHED, status)
