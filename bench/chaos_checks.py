"""The crash harness's invariants, read from the database (a read-only connection) and the data
directory while the server is idle: restarted, every operation finished, no client sending.

Each check returns the violations it found, one line each; none is the only good answer.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from chaos_workload import Library, Write

from app.archives.files import SUFFIX as ARCHIVE_SUFFIX
from app.processor.store import TEMPORARY_DIR, MediaStore
from app.storage.media_files import stored_files
from app.storage.queries import QUERIES


def connect(database: Path) -> sqlite3.Connection:
    """Read-only: the harness looks, it never writes (SQLite's own recovery aside)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    return connection


def check_all(data_dir: Path, writes: list[Write], library: Library) -> list[str]:
    with closing(connect(data_dir / "darkroom.sqlite3")) as db:
        return [
            *database_sound(db),
            *keyword_codes_match_rows(db),
            *operations_ended_once(db, writes),
            *all_or_nothing_creates(db, _of(writes, "imgs_all_or_nothing")),
            *subset_creates(db, _of(writes, "imgs_subset")),
            *patches(db, _of(writes, "imgs_patch"), library),
            *moves_keep_each_image_in_one_set(db, library),
            *batches(db, _of(writes, "batch")),
            *uploads_and_deletes(db, writes),
            *archives(db, data_dir, _of(writes, "archive")),
            *media_matches_rows(db, data_dir / "media"),
            *nothing_left_over(data_dir),
        ]


def _of(writes: list[Write], kind: str) -> list[Write]:
    """The writes of one kind the server accepted, each finished by now."""
    return [write for write in writes if write.kind == kind and write.uuid is not None]


def database_sound(db: sqlite3.Connection) -> list[str]:
    found = [row[0] for row in db.execute("PRAGMA integrity_check")]
    violations = [] if found == ["ok"] else [f"integrity_check: {'; '.join(found[:5])}"]
    violations += [f"foreign_key_check: {tuple(row)}" for row in db.execute("PRAGMA foreign_key_check")]
    return violations


def keyword_codes_match_rows(db: sqlite3.Connection) -> list[str]:
    """Each image's string of keyword codes (kept by triggers, migration 0010) holds exactly the
    codes of its keyword rows, whatever write a kill interrupted."""
    rebuilt = {
        row[0]: sorted(row[1])
        for row in db.execute(
            "SELECT k.image_id, group_concat(char(c.code), '') FROM image_keywords AS k"
            " JOIN keyword_codes AS c ON c.namespace = k.namespace AND c.value = k.value GROUP BY k.image_id"
        )
    }
    kept = {row[0]: sorted(row[1]) for row in db.execute("SELECT image_id, codes FROM image_keyword_codes")}
    return [
        f"image {image_id}: keyword codes {kept.get(image_id, [])} for rows {rebuilt.get(image_id, [])}"
        for image_id in sorted(rebuilt.keys() | kept.keys())
        if kept.get(image_id, []) != rebuilt.get(image_id, [])
    ]


def operations_ended_once(db: sqlite3.Connection, writes: list[Write]) -> list[str]:
    """Every accepted write has one operation that ended, and kept the end it was first seen in;
    no operation exists that no write asked for (a retry that made a second one)."""
    violations = []
    stored = {row["uuid"]: row for row in db.execute("SELECT uuid, status, parent_op_id FROM operations")}
    for uuid, row in stored.items():
        if row["status"] in ("queued", "running"):
            violations.append(f"operation {uuid} is still {row['status']} with nothing left to run")
    asked = {write.uuid for write in writes if write.uuid is not None}
    for uuid, row in stored.items():
        if row["parent_op_id"] is None and uuid not in asked:
            violations.append(f"operation {uuid} was made, but no client write got it")
    for write in writes:
        if write.uuid is None:
            continue
        if write.uuid not in stored:
            violations.append(f"write {write.number} ({write.kind}) was accepted as {write.uuid}, now gone")
            continue
        ends = [status for status in write.seen if status in ("succeeded", "failed", "canceled")]
        final = stored[write.uuid]["status"]
        if ends and {*ends, final} != {ends[0]}:
            violations.append(f"write {write.number} ({write.kind}) ended as {ends} then {final}")
    return violations


def _images(db: sqlite3.Connection, external_ids: Iterable[str]) -> dict[str, sqlite3.Row]:
    ids = list(external_ids)
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        f"SELECT external_id, public_uuid, title, description FROM images WHERE external_id IN ({marks})", ids
    )
    return {row["external_id"]: row for row in rows}


def _final(db: sqlite3.Connection, write: Write) -> str:
    row = db.execute("SELECT status FROM operations WHERE uuid = ?", (write.uuid,)).fetchone()
    return str(row["status"]) if row is not None else "missing"


def all_or_nothing_creates(db: sqlite3.Connection, writes: list[Write]) -> list[str]:
    """`POST /imgs` without `subset`: every image with its title, or none of them."""
    violations = []
    for write in writes:
        status, expect = _final(db, write), write.expect
        present = _images(db, expect["ids"])
        if status == "succeeded":
            if expect["bad"]:
                violations.append(f"write {write.number}: an all-or-nothing create with a 404 src succeeded")
            wrong = [i for i in expect["ids"] if i not in present or present[i]["title"] != expect["title"]]
            if wrong:
                violations.append(f"write {write.number}: succeeded, but images {wrong} are missing or wrong")
        elif present:
            violations.append(f"write {write.number}: {status}, but it left images {sorted(present)}")
        elif not expect["bad"]:
            violations.append(f"write {write.number}: an all-or-nothing create of good images {status}")
    return violations


def subset_creates(db: sqlite3.Connection, writes: list[Write]) -> list[str]:
    """`POST /imgs?subset=true`: the good images committed, the bad ones not."""
    violations = []
    for write in writes:
        status, expect = _final(db, write), write.expect
        present = _images(db, expect["ids"])
        good = [i for i in expect["ids"] if i not in expect["bad"]]
        if status != "succeeded":
            violations.append(f"write {write.number}: a subset create {status}")
        elif [i for i in good if i not in present] or [i for i in expect["bad"] if i in present]:
            violations.append(f"write {write.number}: subset create left {sorted(present)}, good were {good}")
    return violations


def patches(db: sqlite3.Connection, writes: list[Write], library: Library) -> list[str]:
    """`PATCH /imgs`, all or nothing: a caption on a stable image is its first (none) or that of
    a patch that succeeded and named it; a patch whose `src` answers 404 fails."""
    violations = []
    allowed: dict[str, set[str | None]] = {image_id: {None} for image_id in library.stable_ids}
    for write in writes:
        status, expect = _final(db, write), write.expect
        if (status == "failed") != expect["fails"]:
            expected = "fail" if expect["fails"] else "succeed"
            violations.append(f"write {write.number}: a patch expected to {expected} {status}")
        if status == "succeeded":
            for image_id in expect["ids"]:
                allowed[image_id].add(expect["caption"])
    for image_id, row in _images(db, library.stable_ids).items():
        if row["description"] not in allowed[image_id]:
            violations.append(f"image {image_id} has caption {row['description']!r}, no succeeded patch's")
    return violations


def moves_keep_each_image_in_one_set(db: sqlite3.Connection, library: Library) -> list[str]:
    rows = db.execute(
        "SELECT i.public_uuid AS image, s.public_uuid AS set_uuid FROM set_images m"
        " JOIN images i ON i.image_id = m.image_id JOIN sets s ON s.set_id = m.set_id"
        " WHERE s.public_uuid IN (?, ?)",
        (library.set_a, library.set_b),
    )
    sets_of: dict[str, list[str]] = {image: [] for image in library.stable}
    for row in rows:
        sets_of.setdefault(row["image"], []).append(row["set_uuid"])
    return [
        f"image {image} is in {len(sets)} of the two sets"
        for image, sets in sets_of.items()
        if len(sets) != 1
    ]


def batches(db: sqlite3.Connection, writes: list[Write]) -> list[str]:
    """A batch tags every one of its images or none; one that deletes an image, then tags it,
    fails and leaves that image in place."""
    violations = []
    for write in writes:
        status, expect = _final(db, write), write.expect
        tagged = {
            row[0]
            for row in db.execute(
                "SELECT i.public_uuid FROM image_keywords k JOIN images i ON i.image_id = k.image_id"
                " WHERE k.value_folded = ?",
                (expect["keyword"],),
            )
        }
        wanted = set(expect["images"]) if status == "succeeded" else set()
        if tagged != wanted:
            violations.append(
                f"write {write.number}: batch {status}, tagged {len(tagged)} of {len(expect['images'])}"
            )
        if expect["kept"] is not None:
            if status != "failed":
                violations.append(f"write {write.number}: a batch tagging an image it deleted {status}")
            elif (
                db.execute("SELECT 1 FROM images WHERE public_uuid = ?", (expect["kept"],)).fetchone() is None
            ):
                violations.append(f"write {write.number}: a failed batch deleted image {expect['kept']}")
    return violations


def uploads_and_deletes(db: sqlite3.Connection, writes: list[Write]) -> list[str]:
    """An upload that succeeded made its image with its title; a delete that succeeded removed it."""
    violations = []
    deleted = {write.expect["image"] for write in _of(writes, "delete") if _final(db, write) == "succeeded"}
    for write in _of(writes, "upload"):
        status = _final(db, write)
        if status != "succeeded":
            violations.append(f"write {write.number}: an upload {status}")
            continue
        image = write.result_image
        row = db.execute("SELECT title FROM images WHERE public_uuid = ?", (image,)).fetchone()
        if image in deleted and row is not None:
            violations.append(f"write {write.number}: image {image} was deleted, yet it is there")
        elif image not in deleted and (row is None or row["title"] != write.expect["title"]):
            violations.append(f"write {write.number}: the uploaded image {image} is missing or wrong")
    for write in _of(writes, "delete"):
        if _final(db, write) != "succeeded":
            violations.append(f"write {write.number}: a delete {_final(db, write)}")
    return violations


def archives(db: sqlite3.Connection, data_dir: Path, writes: list[Write]) -> list[str]:
    """Every archive that succeeded has its row and its whole file; every file has its row."""
    violations = []
    rows = {row["public_uuid"]: row["bytes"] for row in db.execute("SELECT public_uuid, bytes FROM archives")}
    for write in writes:
        if _final(db, write) != "succeeded":
            violations.append(f"write {write.number}: an archive {_final(db, write)}")
        elif (write.result or {}).get("archive_public_uuid") not in rows:
            violations.append(f"write {write.number}: archive {write.result} has no row")
    folder = data_dir / "archives"
    files = (
        {entry.name: entry.stat().st_size for entry in os.scandir(folder) if entry.is_file()}
        if folder.is_dir()
        else {}
    )
    for uuid, size in rows.items():
        if files.get(uuid + ARCHIVE_SUFFIX) != size:
            violations.append(
                f"archive {uuid}: its file is {files.get(uuid + ARCHIVE_SUFFIX)} bytes, its row says {size}"
            )
    for name in files:
        if name.removesuffix(ARCHIVE_SUFFIX) not in rows:
            violations.append(f"archive file {name} has no row")
    return violations


def media_matches_rows(db: sqlite3.Connection, root: Path) -> list[str]:
    """Every original and version a row names is in the media store, and every file there is
    named by a row (the same queries the server asks before it deletes a file)."""
    store = MediaStore(root)
    violations = []
    for row in db.execute("SELECT public_uuid, sha256 FROM images WHERE sha256 IS NOT NULL"):
        if not store.exists(row["sha256"]):
            violations.append(f"image {row['public_uuid']}: its original {row['sha256']} is not in the store")
    versions = (
        "SELECT public_uuid, name, v.sha256, v.format FROM image_versions v JOIN images USING (image_id)"
    )
    for row in db.execute(versions):
        if not store.exists(row["sha256"], row["format"]):
            violations.append(f"image {row['public_uuid']}: its version {row['name']} is not in the store")
    for file in stored_files(root):
        if file.ext is None:
            referenced = db.execute(QUERIES["original_referenced"], (file.sha256,)).fetchone()
        else:
            referenced = db.execute(QUERIES["version_referenced"], (file.sha256, file.ext)).fetchone()
        if referenced is None:
            violations.append(f"media file {file.sha256}.{file.ext or ''} is named by no row")
    return violations


def nothing_left_over(data_dir: Path) -> list[str]:
    """At rest, no temporary media or archive file and no uploaded file waiting for an operation."""
    places = [
        data_dir / "media" / TEMPORARY_DIR,
        data_dir / "archives" / TEMPORARY_DIR,
        data_dir / "incoming",
    ]
    return [
        f"{path.relative_to(data_dir)} is left over"
        for place in places
        if place.is_dir()
        for path in place.iterdir()
    ]
