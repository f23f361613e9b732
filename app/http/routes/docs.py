"""`GET /openapi.json` and `GET /docs`: the API described, and a page that reads it (no auth)."""

from __future__ import annotations

import base64
import hashlib
import re
import weakref
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from app.http.openapi import document
from app.http.responses import get_response
from app.http.routing import Route

_PAGE = (resources.files("app.http") / "static" / "docs.html").read_bytes()


def _policy(page: bytes) -> str:
    """Only the page's own inline script and style may run, and only /openapi.json be
    fetched: the page works offline and cannot pull in anything from elsewhere."""

    def hashes(tag: str) -> str:
        blocks = re.findall(rb"<%s>(.*?)</%s>" % (tag.encode(), tag.encode()), page, re.DOTALL)
        return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b).digest()).decode()}'" for b in blocks)

    return (
        f"default-src 'none'; connect-src 'self'; script-src {hashes('script')}; "
        f"style-src {hashes('style')}; img-src 'self' data:; base-uri 'none'; form-action 'none'"
    )


_PAGE_HEADERS = {"Content-Security-Policy": _policy(_PAGE), "Cache-Control": "no-cache"}


# Built once per app: the routes of a running app do not change.
_documents: weakref.WeakKeyDictionary[ASGIApp, dict[str, Any]] = weakref.WeakKeyDictionary()


async def openapi_json(request: Request) -> Response:
    app = request.app
    if app not in _documents:
        _documents[app] = document(app.routes)
    return get_response(request, _documents[app])


async def docs_page(request: Request) -> Response:
    return Response(_PAGE, media_type="text/html", headers=_PAGE_HEADERS)


routes = [
    Route("/openapi.json", openapi_json, methods=["GET"]),
    Route("/docs", docs_page, methods=["GET"]),
]
