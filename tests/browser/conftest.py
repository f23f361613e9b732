"""Real headless Chromium (Debian's `chromium`, driven by Playwright) against a real server.

Playwright's own browser downloads are never used. Without /usr/bin/chromium every browser test
is skipped, and the end of the run says so in a line that cannot be missed."""

from __future__ import annotations

import base64
import mimetypes
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from app.testing import DarkroomServer
from tests.processor.conftest import CORPUS

CHROMIUM = Path("/usr/bin/chromium")
MISSING = f"browser tests SKIPPED: {CHROMIUM} not found (apt-get install chromium)"
# No sandbox (CI runs as root in a container), and nothing that reaches past 127.0.0.1.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IMAGES = CORPUS / "pillow" / "valid"
# Long enough for an upload on a loaded 2-core machine, short enough to fail a test quickly.
expect.set_options(timeout=15_000)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CHROMIUM.exists():
        terminalreporter.write_sep("!", MISSING, yellow=True, bold=True)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    if not IMAGES.is_dir():
        pytest.skip("the image corpus is missing")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def server(playwright: Playwright) -> Iterator[DarkroomServer]:
    with DarkroomServer() as server:
        yield server


@pytest.fixture(scope="module")
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, server: DarkroomServer) -> Iterator[Page]:
    """A fresh tab (sessionStorage is per tab: signed out) on the console; a script error fails
    the test."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/console")
    yield page
    page.close()
    assert not errors, errors


def sign_in(page: Page, token: str) -> None:
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def drop_files(page: Page, selector: str, paths: list[Path]) -> None:
    """Drop files on an element as a user dragging them from a file manager would: a DataTransfer
    built in the page from the files' bytes, carried by dragenter, dragover and drop."""
    files = [
        {
            "name": path.name,
            "type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            "data": base64.b64encode(path.read_bytes()).decode(),
        }
        for path in paths
    ]
    page.evaluate(
        """([selector, files]) => {
            const transfer = new DataTransfer();
            for (const file of files) {
                const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], file.name, { type: file.type }));
            }
            const zone = document.querySelector(selector);
            for (const type of ["dragenter", "dragover", "drop"]) {
                const init = { bubbles: true, cancelable: true, dataTransfer: transfer };
                zone.dispatchEvent(new DragEvent(type, init));
            }
        }""",
        [selector, files],
    )


def upload(server: DarkroomServer, path: Path, **fields: Any) -> str:
    """An image uploaded through the ticket flow, outside the browser; its public_uuid."""
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        ticket = client.post(
            "/v1/uploads",
            json={"filename": path.name, **fields},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        ).json()
        files = {ticket["file_field"]: (path.name, path.read_bytes())}
        operation = client.post(ticket["upload_url"], data=ticket["fields"], files=files).json()
        while operation["status"] not in ("succeeded", "failed", "canceled"):
            operation = client.get(f"/v1/operations/{operation['uuid']}", headers={"Prefer": "wait=5"}).json()
    assert operation["status"] == "succeeded", operation
    image_uuid: str = operation["result"]["image_public_uuid"]
    return image_uuid
