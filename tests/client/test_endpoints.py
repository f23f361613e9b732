"""Every endpoint group of both dialects through the client, against a real server: the
methods send what the API expects and decode what it answers."""

from __future__ import annotations

import io

from PIL import Image as PillowImage

from app.client import AsyncDarkroom, BatchCall
from app.client.models import Image


def png(colour: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


async def uploaded(client: AsyncDarkroom, **fields: object) -> Image:
    operation = await client.uploads.upload_bytes(png(), "red.png", **fields)
    await operation.wait(30)
    operation.raise_for_failure()
    return await client.images.get(operation.result["image_public_uuid"])


async def test_images_keywords_and_fields(client: AsyncDarkroom) -> None:
    image = await uploaded(client, title="Red", keywords=["colour:red", "plain"])
    assert (image.title, image.width, image.height, image.format) == ("Red", 64, 48, "png")
    uuid = image.public_uuid
    writes = [
        await client.images.update(uuid, title="Crimson", description=None),
        await client.images.add_keywords(uuid, ["artist:Marina"]),
        await client.images.remove_keyword(uuid, "plain"),
        await client.images.set_metadata(uuid, creator="Ana", categories=["flat"]),
        await client.images.set_rating(uuid, 4),
        await client.images.set_alt_text(uuid, "A red rectangle"),
        await client.images.add_credit(uuid, "stylist", "Bea"),
        await client.images.set_crop(uuid, "1:1", x=0, y=0, width=48, height=48),
    ]
    for write in writes:
        (await write.wait(30)).raise_for_failure()
    image = await client.images.get(uuid)
    assert image.title == "Crimson" and image.rating == 4 and image.alt_text == "A red rectangle"
    assert {(k.namespace, k.value) for k in image.keywords} == {("colour", "red"), ("artist", "Marina")}
    assert image.metadata.creator == "Ana" and image.metadata.categories == ["flat"]
    assert [(c.role, c.name) for c in image.credits] == [("stylist", "Bea")]
    assert "crop_1x1" in {v.name for v in await client.images.versions(uuid)}
    assert [k.value for k in await client.keywords.list(namespace="artist")] == ["Marina"]
    assert {n.namespace for n in await client.keywords.namespaces()} >= {"artist", "colour"}
    for write in [
        await client.keywords.rename("artist:Marina", "artist:Marina B", image_public_uuids=[uuid]),
        await client.images.remove_credit(uuid, "stylist", "Bea"),
        await client.images.delete_crop(uuid, "1:1"),
        await client.images.extract_metadata(uuid),
        await client.images.regenerate(image_public_uuids=[uuid]),
    ]:
        (await write.wait(30)).raise_for_failure()
    page = await client.images.list(keyword="artist:Marina B", limit=1)
    assert [i.public_uuid for i in page] == [uuid] and page.has_more is False
    assert (await client.downloads.read(uuid)).startswith(b"\x89PNG")
    link = await client.downloads.link(uuid)
    assert link.access == "private" and link.filename == "red.png"
    (await (await client.images.delete(uuid)).wait(30)).raise_for_failure()


async def test_sets_archives_and_batch(client: AsyncDarkroom) -> None:
    first, second = await uploaded(client, title="One"), await uploaded(client, title="Two")
    uuids = [first.public_uuid, second.public_uuid]
    parent = (await (await client.sets.create("Parent", type="album")).wait(30)).result["set_public_uuid"]
    child = (await (await client.sets.create("Child", parent_public_uuid=parent)).wait(30)).result[
        "set_public_uuid"
    ]
    for write in [
        await client.sets.add_images(child, uuids),
        await client.sets.order(child, list(reversed(uuids))),
        await client.sets.set_visibility(child, [first.public_uuid], hidden=True),
        await client.sets.update(child, description="Two images", lead_image_public_uuid=second.public_uuid),
    ]:
        (await write.wait(30)).raise_for_failure()
    members = await client.sets.images(child)
    assert [(m.public_uuid, m.hidden) for m in members] == [
        (second.public_uuid, False),
        (first.public_uuid, True),
    ]
    assert (await client.sets.get(child)).image_count == 2
    tree = await client.sets.tree()
    assert [(node.name, [c.name for c in node.children]) for node in tree if node.public_uuid == parent] == [
        ("Parent", ["Child"])
    ]
    assert [s.public_uuid for s in await client.sets.list(parent_public_uuid=parent)] == [child]
    snapshot = (await client.sets.snapshots(child)).items[0]  # newest: before the new order
    (await (await client.sets.restore(child, snapshot.public_uuid)).wait(30)).raise_for_failure()
    assert [m.public_uuid for m in await client.sets.images(child)] == uuids
    (await (await client.sets.remove_images(child, [first.public_uuid])).wait(30)).raise_for_failure()
    (await (await client.sets.reorder([parent])).wait(30)).raise_for_failure()

    archive = await (await client.archives.create(set_public_uuid=child, filename="kids")).wait(30)
    archive_uuid = archive.raise_for_failure().result["archive_public_uuid"]
    assert (await client.archives.get(archive_uuid)).filename == "kids.zip"
    assert archive_uuid in {a.public_uuid for a in await client.archives.list()}

    batch = await client.operations.batch(
        [
            BatchCall("PUT", f"/v1/images/{first.public_uuid}/rating", {"rating": 5}),
            BatchCall("DELETE", f"/v1/sets/{parent}"),
        ]
    )
    (await batch.wait(30)).raise_for_failure()
    assert (await client.images.get(first.public_uuid)).rating == 5
    found = await client.operations.get(batch.uuid)
    assert found.info.type == "batch" and found.succeeded


async def test_search_dialect_writes_reads_and_ops(client: AsyncDarkroom) -> None:
    source = await uploaded(client, title="Source")
    # The test server allows sources on 127.0.0.1: the image's own signed link will do.
    src = (await client.downloads.link(source.public_uuid)).url
    created = await client.imgs.create([{"id": "img-1", "src": src, "title": "First"}], lang="fr")
    created.raise_for_failure()
    assert created.info.num_good == 1 and created.info.lang == "fr"
    (await client.imgs.modify_one("img-1", {"caption": "Changed", "nsfw": False})).raise_for_failure()
    img = await client.imgs.get("img-1", fields=["caption", "nsfw"])
    assert (img.image_id, img.caption, img.nsfw, img.title) == ("img-1", "Changed", False, None)
    replaced = await client.imgs.replace_one("img-1", {"src": src, "title": "Replaced"}, wait=False)
    await replaced.wait(30)
    replaced.raise_for_failure()
    assert (await client.imgs.get("img-1")).caption is None
    relaxed = await client.imgs.modify([{"id": "img-404", "title": "x"}], strict=False, urgent=True)
    assert relaxed.raise_for_failure().info.num_skipped == 1 and relaxed.info.do_urgent
    page = await client.ops.list(method="upd", limit=2)
    assert page.total is not None and page.total >= 2 and len(page) == 2
    assert (await client.ops.get(relaxed.op_id)).info.method == "upd"
    (await client.imgs.create_one("img-2", {"src": src})).raise_for_failure()
    deleted = await client.imgs.delete(["img-1", "img-2", "img-never"])
    assert deleted.info.num_good == 2 and deleted.info.num_skipped == 1
