"""Screenshots of the console's main pages into docs/console/, for docs/console.md. Run by hand
(not part of `make test`): `.venv/bin/python -m tests.browser.screenshots`.

A server with a few corpus images, two sets and some finished operations, then one PNG per page:
sign-in, the grid, one image, a set, and the operations beside an upload."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from app.testing import DarkroomServer
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, CORPUS, IMAGES, drop_files, sign_in, upload

OUT = Path(__file__).parents[2] / "docs" / "console"
LIBRARY = [
    (CORPUS / "exif-orientation" / "Landscape_1.jpg", "Landscape", ["landscape"]),
    (IMAGES / "flower.jpg", "Flower", ["flower", "garden"]),
    (IMAGES / "flower2.jpg", "Flower in the grass", ["flower"]),
    (IMAGES / "hopper.jpg", "Grace Hopper", ["portrait", "person:Grace Hopper"]),
    (IMAGES / "exif-72dpi-int.jpg", "Mountain", []),
    (IMAGES / "iss634.gif", "Knitted toy", ["animation"]),
    (IMAGES / "transparent.png", "Transparent PNG", []),
    (IMAGES / "pil123rgba.png", "PIL logo", ["logo"]),
]


def build_library(server: DarkroomServer) -> dict[str, str]:
    """The images, by title, and sets with a few of them (one nested in another)."""
    uuids = {title: upload(server, path, title=title, keywords=words) for path, title, words in LIBRARY}
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=headers) as client:

        def write(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
            key = {"Idempotency-Key": str(uuid.uuid4())}
            operation: dict[str, Any] = client.request(method, path, json=body, headers=key).json()
            return operation

        def new_set(name: str, **fields: Any) -> str:
            set_uuid: str = write("POST", "/v1/sets", {"name": name, **fields})["result"]["set_public_uuid"]
            return set_uuid

        garden = new_set("Garden", colour="green")
        portraits = new_set("Portraits", parent_public_uuid=new_set("People"))
        flowers = [uuids["Flower"], uuids["Flower in the grass"]]
        write("POST", f"/v1/sets/{garden}/images", {"image_public_uuids": flowers})
        write("POST", f"/v1/sets/{portraits}/images", {"image_public_uuids": [uuids["Grace Hopper"]]})
    return uuids


def shoot(page: Page, name: str, *, whole: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    # The console's CSP forbids string evaluation, so wait_for_function cannot be used.
    shown = "[...document.images].filter((img) => img.getBoundingClientRect().top < innerHeight)"
    while not page.evaluate(f"{shown}.every((img) => img.complete)"):
        page.wait_for_timeout(50)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    path = OUT / f"{name}.png"
    page.screenshot(path=path, full_page=whole)
    # 256 colours keep text sharp and thumbnails recognisable at a quarter of the bytes.
    Image.open(path).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(OUT / f"{name}.png")


def main() -> None:
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} not found (apt-get install chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    with DarkroomServer() as server, sync_playwright() as driver:
        uuids = build_library(server)
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{server.url}/console")
        shoot(page, "sign-in")

        sign_in(page, server.token)
        expect(page.locator("#grid .tile")).to_have_count(len(LIBRARY))
        page.locator("#grid .tile").nth(1).get_by_role("checkbox").check()
        shoot(page, "grid")

        page.locator("#set-tree button.set", has_text="Garden").click()
        expect(page.locator("#grid .tile")).to_have_count(2)
        shoot(page, "sets")

        page.goto(f"{server.url}/console#/image/{uuids['Flower']}")
        expect(page.get_by_role("heading", name="Flower")).to_be_visible()
        page.get_by_label("Rating").select_option("4")
        page.get_by_role("button", name="Set rating").click()
        expect(page.locator(".edit-status")).to_have_text("Rating: succeeded.")
        shoot(page, "image", whole=True)

        page.goto(f"{server.url}/console#/")
        page.locator("#set-tree button.set", has_text="All images").click()
        drop_files(page, "#dropzone", [IMAGES / "hopper.png", IMAGES / "hopper.webp"])
        expect(page.locator('#uploads li[data-status="succeeded"]')).to_have_count(2)
        expect(page.locator("#grid .tile")).to_have_count(len(LIBRARY) + 2)
        shoot(page, "operations")
        browser.close()


if __name__ == "__main__":
    main()
