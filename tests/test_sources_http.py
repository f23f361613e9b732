"""What a stranger's file or URL can do through /v1: every valid corpus file with its size,
and the `src` rules (schemes, forbidden addresses, redirects, caps, slowness)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageOps

from tests.conftest import Harness, ServerFactory
from tests.processor.conftest import CORPUS
from tests.processor.source_server import SourceServer, serving
from tests.test_uploads_http import upload

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the image corpus is missing")

# The contract's formats in; Pillow reads these two as well, but they are not in its list.
NOT_IN_THE_CONTRACT = {".ico": "unsupported_format", ".psd": "unsupported_format"}


def upright_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        transposed = ImageOps.exif_transpose(image)
        return transposed.size


@pytest.fixture(scope="module")
def source_server() -> Any:
    with serving() as server:
        yield server


async def test_every_valid_corpus_file_is_accepted_with_its_upright_size(server: Harness) -> None:
    for path in sorted((CORPUS / "pillow" / "valid").iterdir()):
        if path.suffix in (".txt",) or not path.is_file():
            continue
        operation = await upload(server, path)
        if path.suffix in NOT_IN_THE_CONTRACT:
            assert operation["error"]["code"] == NOT_IN_THE_CONTRACT[path.suffix], path
            continue
        assert operation["status"] == "succeeded", (path, operation["error"])
        uuid = operation["result"]["image_public_uuid"]
        image = (await server.client.get(f"/v1/images/{uuid}")).json()
        assert (image["width"], image["height"]) == upright_size(path), path
        assert image["versions"], path


async def fetched(server: Harness, src: str) -> dict[str, Any]:
    response = await server.write("POST", "/v1/uploads/url", json={"src": src})
    assert response.status_code == 202, response.text
    return await server.wait_operation(response.json()["uuid"], seconds=30)


@pytest.mark.parametrize(
    "src",
    [
        "http://127.0.0.1/a.jpg",
        "http://localhost/a.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/a.jpg",
        "http://[::1]/a.jpg",
        "http://10.1.2.3/a.jpg",
        "http://[::ffff:127.0.0.1]/a.jpg",
    ],
)
async def test_private_addresses_are_refused_without_the_allow_list(server: Harness, src: str) -> None:
    operation = await fetched(server, src)
    assert operation["status"] == "failed"
    assert operation["error"]["code"] == "src_forbidden", operation["error"]
    assert operation["error"]["items"][0]["code"] == "src_forbidden"


async def test_a_redirect_to_a_private_address_is_refused(
    server_factory: ServerFactory, source_server: SourceServer
) -> None:
    # The first hop (127.0.0.1) is allowed; the address it redirects to (127.0.0.2) is not.
    server = await server_factory(allow_private_sources="127.0.0.1/32")
    target = f"http://127.0.0.2:{source_server.port}/image.png"
    operation = await fetched(server, source_server.url(f"/to?location={target}"))
    assert operation["error"]["code"] == "src_forbidden"
    assert not any(host.startswith("127.0.0.2") for _, host in source_server.requests)


async def test_too_many_redirects(server_factory: ServerFactory, source_server: SourceServer) -> None:
    server = await server_factory(allow_private_sources="127.0.0.0/8")
    operation = await fetched(server, source_server.url("/redirect/6"))
    assert operation["error"]["code"] == "src_redirects"


async def test_a_huge_source_stops_at_the_cap(
    server_factory: ServerFactory, source_server: SourceServer
) -> None:
    server = await server_factory(allow_private_sources="127.0.0.0/8", max_source_bytes=1_000_000)
    operation = await fetched(server, source_server.url("/endless"))
    assert operation["error"]["code"] == "src_too_large"
    assert source_server.endless_closed.wait(5)
    assert source_server.endless_sent < 20_000_000


async def test_a_slow_source_does_not_delay_other_requests(
    server_factory: ServerFactory, source_server: SourceServer
) -> None:
    server = await server_factory(allow_private_sources="127.0.0.0/8")
    response = await server.write("POST", "/v1/uploads/url", json={"src": source_server.url("/slow")})
    slowest = 0.0
    while True:
        started = time.perf_counter()
        assert (await server.client.get("/v1/images")).status_code == 200
        slowest = max(slowest, time.perf_counter() - started)
        operation = (await server.client.get(f"/v1/operations/{response.json()['uuid']}")).json()
        if operation["status"] != "running" and operation["status"] != "queued":
            break
        await asyncio.sleep(0.05)
    assert operation["status"] == "succeeded"
    assert slowest < 0.5
