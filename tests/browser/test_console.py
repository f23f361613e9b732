"""The console in a real browser: sign in, upload by drag and drop, search, sort into sets,
edit an image, and follow each operation to its end in the operations panel."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
from playwright.sync_api import Page, expect

from app.testing import DarkroomServer
from tests.browser.conftest import IMAGES, drop_files, sign_in, upload


def set_images(server: DarkroomServer, name: str) -> list[str]:
    """The filenames in the set called `name`, read through the API."""
    headers = {"Authorization": f"Bearer {server.token}"}
    tree = httpx.get(f"{server.url}/v1/sets/tree", headers=headers).json()
    (uuid,) = [node["public_uuid"] for node in tree if node["name"] == name]
    images = httpx.get(f"{server.url}/v1/sets/{uuid}/images", headers=headers).json()
    return [image["filename"] for image in images]


def test_a_wrong_token_is_refused_with_a_clear_message(page: Page) -> None:
    sign_in(page, "drk_not-a-token")
    expect(page.get_by_role("alert")).to_contain_text("This token was not accepted")
    expect(page.locator("#console")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0


def test_upload_by_drop_search_and_move_into_a_set(page: Page, server: DarkroomServer) -> None:
    sign_in(page, server.token)
    expect(page.locator("#who")).to_contain_text("default")

    drop_files(page, "#dropzone", [IMAGES / "flower.jpg", IMAGES / "hopper.png"])
    expect(page.locator("#uploads li")).to_have_count(2)
    expect(page.locator('#uploads li[data-status="succeeded"]')).to_have_count(2)
    tiles = page.locator("#grid .tile")
    expect(tiles.filter(has_text="flower.jpg")).to_have_count(1)
    expect(tiles.filter(has_text="hopper.png")).to_have_count(1)
    hopper = tiles.filter(has_text="hopper.png").get_attribute("data-uuid")
    # The thumbnails are real images, loaded from the versions' media URLs.
    thumbnail = tiles.filter(has_text="flower.jpg").locator("img")
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") > 0

    page.get_by_label("Search", exact=True).fill("flower")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#grid-title")).to_have_text("Search: flower")
    expect(tiles).to_have_count(1)
    expect(tiles).to_contain_text("flower.jpg")

    page.get_by_label("Search with").select_option("formula")
    page.get_by_label("Search", exact=True).fill("w<200 && o=square")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#grid-title")).to_have_text("Formula: w<200 && o=square")
    expect(tiles).to_have_count(1)
    # The search API knows no filenames: an untitled image is known by its uuid here.
    expect(tiles).to_have_attribute("data-uuid", hopper or "")

    page.get_by_label("New set").fill("Favourites")
    page.get_by_role("button", name="Create").click()
    target = page.locator("#set-tree button.set", has_text="Favourites")
    expect(target).to_be_visible()

    tiles.first.drag_to(target)
    operation = page.locator('#operations-list li[data-type="set_images_add"]')
    expect(operation).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#operations-announcer")).to_contain_text("succeeded")
    expect(target.locator(".count")).to_have_text("1")
    assert set_images(server, "Favourites") == ["hopper.png"]

    # Shown alone, the set moves its images out when they are dropped on another set.
    page.get_by_label("New set").fill("Archive")
    page.get_by_role("button", name="Create").click()
    target.click()
    expect(page.locator("#grid-title")).to_have_text("Set: Favourites")
    expect(tiles).to_have_count(1)
    archive = page.locator("#set-tree button.set", has_text="Archive")
    tiles.first.drag_to(archive)
    moved = page.locator('#operations-list li[data-type="set_images_move"]')
    expect(moved).to_have_attribute("data-status", "succeeded")
    expect(tiles).to_have_count(0)
    assert set_images(server, "Archive") == ["hopper.png"]
    assert set_images(server, "Favourites") == []


def test_keyboard_only_edits_and_set_placement(page: Page, server: DarkroomServer) -> None:
    image = upload(server, IMAGES / "flower2.jpg", title="Meadow")
    sign_in(page, server.token)
    page.get_by_label("New set").fill("Keyboard picks")
    page.get_by_label("New set").press("Enter")
    expect(page.locator("#set-tree button.set", has_text="Keyboard picks")).to_be_visible()

    # Select with the keyboard and add to the set through the list, no dragging.
    box = page.get_by_role("checkbox", name="Select Meadow")
    box.focus()
    page.keyboard.press("Space")
    expect(page.locator("#selection")).to_have_text("1 selected")
    page.get_by_label("Add selected to").select_option(label="Keyboard picks")
    page.get_by_role("button", name="Add to set").focus()
    page.keyboard.press("Enter")
    expect(page.locator('#operations-list li[data-type="set_images_add"]').first).to_have_attribute(
        "data-status", "succeeded"
    )
    assert set_images(server, "Keyboard picks") == ["flower2.jpg"]

    page.get_by_role("link", name="Meadow").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"#/image/{image}$"))
    expect(page.get_by_role("heading", name="Meadow")).to_be_focused()
    expect(page.get_by_role("row", name=re.compile("^thumb"))).to_be_visible()
    expect(page.locator(".image-page .plain")).to_contain_text("Keyboard picks")

    page.get_by_label("Title").fill("Meadow in June")
    page.get_by_role("button", name="Save fields").click()
    expect(page.get_by_role("status").filter(has_text="Save fields")).to_have_text("Save fields: succeeded.")
    expect(page.get_by_role("heading", name="Meadow in June")).to_be_visible()

    page.get_by_label("Add keywords (comma-separated)").fill("spring, place:meadow")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("button", name="Remove keyword place:meadow")).to_be_visible()
    page.get_by_role("button", name="Remove keyword spring").click()
    expect(page.get_by_role("button", name="Remove keyword spring")).to_have_count(0)

    page.get_by_label("Rating").select_option("4")
    page.get_by_role("button", name="Set rating").click()
    expect(page.locator(".edit-status")).to_have_text("Rating: succeeded.")
    headers = {"Authorization": f"Bearer {server.token}"}
    saved = httpx.get(f"{server.url}/v1/images/{image}", headers=headers).json()
    assert saved["title"] == "Meadow in June" and saved["rating"] == 4
    assert [k["value"] for k in saved["keywords"]] == ["meadow"]


def test_a_malformed_formula_is_reported_where_it_goes_wrong(page: Page, server: DarkroomServer) -> None:
    sign_in(page, server.token)
    page.get_by_label("Search with").select_option("formula")
    page.get_by_label("Search", exact=True).fill("w<200 && zz=1")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#search-error")).to_contain_text("That formula is not valid")
    expect(page.locator("#search-error")).to_contain_text("character 10")


def test_sets_nest_by_drag_and_drop_and_by_the_keyboard(page: Page, server: DarkroomServer) -> None:
    sign_in(page, server.token)
    for name in ("Trips", "Alps"):
        page.get_by_label("New set").fill(name)
        page.get_by_role("button", name="Create").click()
        expect(page.locator("#set-tree button.set", has_text=name)).to_be_visible()
    tree = page.locator("#set-tree")
    tree.locator("button.set", has_text="Alps").drag_to(tree.locator("button.set", has_text="Trips"))
    expect(tree.locator("li:has(> button.set:has-text('Trips')) ul button.set")).to_contain_text("Alps")

    # The set on show can be moved with the keyboard; it is not offered a place inside itself.
    tree.locator("button.set", has_text="Trips").focus()
    page.keyboard.press("Enter")
    parent = page.get_by_label(re.compile("^Move “Trips” under"))
    expect(parent.locator("option")).not_to_contain_text(["Alps"])
    tree.locator("button.set", has_text="Alps").click()
    page.get_by_label(re.compile("^Move “Alps” under")).select_option(label="(top level)")
    page.get_by_role("button", name="Move set").press("Enter")
    expect(tree.locator("> li > button.set", has_text="Alps")).to_be_visible()
    expect(page.locator('#operations-list li[data-type="set_update"]').first).to_have_attribute(
        "data-status", "succeeded"
    )


def test_the_grid_loads_the_next_page_when_its_end_scrolls_into_view(page: Page) -> None:
    with DarkroomServer() as own:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: upload(own, IMAGES / "hopper.jpg"), range(12)))
        page.set_viewport_size({"width": 1400, "height": 400})
        page.goto(f"{own.url}/console")
        # One image a page: three rows of four fill the short window, the rest waits for a scroll.
        page.locator("#grid").evaluate("grid => { grid.dataset.pageSize = 1; }")
        sign_in(page, own.token)
        tiles = page.locator("#grid .tile")
        expect(page.locator("#grid-status")).to_contain_text("scroll for more")
        shown = tiles.count()
        assert 1 < shown < 12
        for _ in range(100):
            if tiles.count() == 12:
                break
            page.locator("#grid-end").scroll_into_view_if_needed()
            page.wait_for_timeout(50)
        expect(page.locator("#grid-status")).to_have_text("12 images.")
