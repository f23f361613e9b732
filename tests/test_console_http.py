"""The console's files over HTTP: served without a token, revalidated by ETag, locked down by CSP."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from tests.conftest import Harness, ServerFactory

MODULES = sorted(
    entry.name for entry in (resources.files("app.http") / "console").iterdir() if entry.name.endswith(".js")
)


async def test_the_page_needs_no_token_and_allows_only_its_own_files(server: Harness) -> None:
    response = await server.client.get("/console", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/console/main.js">' in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    assert "connect-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", ["main.js", "api.js", "console.css"])
async def test_each_file_has_its_type_and_a_304_once_the_browser_has_it(server: Harness, name: str) -> None:
    first = await server.client.get(f"/console/{name}", headers={"Authorization": ""})
    assert first.status_code == 200
    assert first.headers["content-type"].startswith(
        "text/css" if name.endswith(".css") else "text/javascript"
    )
    assert first.headers["cache-control"] == "no-cache"
    again = await server.client.get(f"/console/{name}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


async def test_every_module_the_page_loads_is_served(server: Harness) -> None:
    """Modules import each other by relative name: a missing file would break the page."""
    assert {
        "main.js",
        "api.js",
        "grid.js",
        "image.js",
        "operations.js",
        "search.js",
        "sets.js",
        "upload.js",
    } <= set(MODULES)
    for name in MODULES:
        source = (await server.client.get(f"/console/{name}")).text
        for imported in re.findall(r'from "\./([^"]+)"', source):
            assert imported in MODULES, (name, imported)


async def test_an_unknown_file_is_a_404_in_the_envelope(server: Harness) -> None:
    response = await server.client.get("/console/nothing.js")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_a_public_url_is_allowed_for_uploads_and_media(server_factory: ServerFactory) -> None:
    server = await server_factory(public_url="https://photos.example.org/darkroom")
    policy = (await server.client.get("/console")).headers["content-security-policy"]
    assert "connect-src 'self' https://photos.example.org;" in policy
    assert "img-src 'self' https://photos.example.org blob: data:" in policy
