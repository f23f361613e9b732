"""`GET /console`: the browser console's page and its static files (no auth: the page itself asks
for a token and sends it with every API call)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from app.errors import NotFound
from app.http.context import darkroom
from app.http.responses import etag_matches, not_modified
from app.http.routing import Route

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# The files keep their names from one release to the next (ES modules import each other by name,
# with no build step to fingerprint them), so a browser revalidates each one: a 304 is cheap.
_CACHING = "no-cache"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def _load() -> dict[str, Asset]:
    folder = resources.files("app.http") / "console"
    assets = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if entry.is_file() and suffix in _MEDIA_TYPES:
            body = entry.read_bytes()
            etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
            assets[entry.name] = Asset(body, _MEDIA_TYPES[suffix], etag)
    return assets


_ASSETS = _load()


def content_security_policy(public_url: str) -> str:
    """Only the console's own files may run, and only this server be called or shown: the
    console works offline and cannot pull in anything from elsewhere. Upload and media URLs
    come from `DARKROOM_PUBLIC_URL` when it is set, so that origin is allowed too."""
    split = urlsplit(public_url)
    public = f" {split.scheme}://{split.netloc}" if split.scheme and split.netloc else ""
    return (
        f"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'{public}; "
        f"img-src 'self'{public} blob: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _answer(request: Request, asset: Asset) -> Response:
    headers = {
        "Cache-Control": _CACHING,
        "ETag": asset.etag,
        "Content-Security-Policy": content_security_policy(darkroom(request).settings.public_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if etag_matches(request.headers.get("if-none-match"), asset.etag):
        return not_modified(asset.etag, headers)
    return Response(asset.body, headers=headers, media_type=asset.media_type)


async def console_page(request: Request) -> Response:
    return _answer(request, _ASSETS["index.html"])


async def console_file(request: Request) -> Response:
    asset = _ASSETS.get(request.path_params["name"])
    if asset is None:
        raise NotFound("No such file in the console.")
    return _answer(request, asset)


routes = [
    Route("/console", console_page, methods=["GET"]),
    Route("/console/{name}", console_file, methods=["GET"]),
]
