"""`darkroom import DIR`: corpus files in parallel, hostile ones failed with their codes, and a
second run that skips everything without sending a byte."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.cli import import_files
from app.client import Darkroom
from tests.cli.conftest import Cli, copy_files

# Two pictures, one of them twice, and three files the server must refuse, each for its reason.
FOLDER = {
    "hopper.jpg": "pillow/valid/hopper.jpg",
    "tiny.png": "pillow/valid/tiny.png",
    "again/tiny copy.png": "pillow/valid/tiny.png",
    "hostile/broken.png": "pillow/hostile/broken.png",
    "hostile/decompression_bomb.gif": "pillow/hostile/decompression_bomb.gif",
    "hostile/crash.sgi": "pillow/hostile/crash-465703f71a0f0094873a3e0e82c9f798161171b8.sgi",
    ".hidden/hopper.jpg": "pillow/valid/hopper.jpg",
    ".DS_Store": "pillow/valid/hopper.png",
}
REFUSED = {
    "hostile/broken.png": "decode_failed",
    "hostile/crash.sgi": "unsupported_format",
    "hostile/decompression_bomb.gif": "image_too_large",
}


@pytest.fixture
def folder(corpus: Path, tmp_path: Path) -> Path:
    return copy_files(corpus, tmp_path / "photos", FOLDER)


def uploads(cli: Cli) -> int:
    with Darkroom(cli.server.url, cli.token) as client:
        return len(client.operations.list(type="upload", limit=200).items)


def test_import_uploads_lists_refused_files_and_skips_everything_the_second_time(
    cli: Cli, folder: Path
) -> None:
    first = cli("import", str(folder), "--json")
    assert first.code == 1, first.err
    summary = first.json()
    assert (summary["total"], summary["done"], summary["failed"], summary["skipped"]) == (6, 2, 3, 1)
    files = {entry["path"]: entry for entry in summary["files"]}
    # Hidden files are left out; a folder's files come before its sub-folders'.
    assert list(files) == [
        "hopper.jpg",
        "tiny.png",
        "again/tiny copy.png",
        "hostile/broken.png",
        "hostile/crash.sgi",
        "hostile/decompression_bomb.gif",
    ]
    assert {path: entry["code"] for path, entry in files.items() if entry["status"] == "failed"} == REFUSED
    assert files["again/tiny copy.png"] == {
        "path": "again/tiny copy.png",
        "status": "skipped",
        "code": "duplicate",
        "message": "same bytes as tiny.png",
    }
    done = [entry["image_public_uuid"] for entry in files.values() if entry["status"] == "done"]
    assert len(done) == 2 and all(done)
    sent = uploads(cli)
    assert sent == 5

    second = cli("import", str(folder), "--json")
    assert second.code == 0, second.err
    again = {entry["path"]: entry for entry in second.json()["files"]}
    assert {entry["status"] for entry in again.values()} == {"skipped"}
    assert {path: entry["code"] for path, entry in again.items()} == {
        "hopper.jpg": "in_library",
        "tiny.png": "in_library",
        "again/tiny copy.png": "duplicate",
        **dict.fromkeys(REFUSED, "refused_before"),
    }
    assert again["hostile/broken.png"]["message"].startswith("decode_failed: ")
    assert uploads(cli) == sent  # not a byte sent again

    retried = cli("import", str(folder), "--json", "--retry-failed")
    assert retried.code == 1
    assert retried.json()["failed"] == 3
    assert uploads(cli) == sent + 3


def test_the_summary_for_people_lists_each_failure_with_its_code(cli: Cli, folder: Path) -> None:
    ran = cli("import", str(folder))
    assert ran.code == 1
    lines = ran.out.splitlines()
    assert lines[0].startswith(f"6 files under {folder} in ")
    assert lines[0].endswith(": 2 imported, 3 failed, 1 skipped (1 same bytes as another file)")
    assert lines[1] == "failed:"
    codes = {line.split()[0]: line.split()[1] for line in lines[2:]}
    assert codes == REFUSED
    assert ran.err == ""  # no terminal: no progress line in a run this short


def test_import_into_a_set_creates_it_and_adds_what_was_there_already(
    cli: Cli, corpus: Path, tmp_path: Path
) -> None:
    folder = copy_files(corpus, tmp_path / "set", {"a.jpg": "pillow/valid/hopper.jpg"})
    assert cli("import", str(folder)).code == 0
    copy_files(corpus, folder, {"b.png": "pillow/valid/tiny.png"})
    ran = cli("import", str(folder), "--set", "Holiday", "--json")
    assert ran.code == 0, ran.err
    summary = ran.json()
    assert (summary["done"], summary["skipped"], summary["added_to_set"]) == (1, 1, 1)
    with Darkroom(cli.server.url, cli.token) as client:
        (holiday,) = [s for s in client.sets.list() if s.name == "Holiday"]
        assert holiday.public_uuid == summary["set_public_uuid"]
        assert len(client.sets.images(holiday.public_uuid).items) == 2
    # The set is found by its name the next time, not made again.
    assert cli("import", str(folder), "--set", "Holiday", "--json").json()["set_public_uuid"] == (
        holiday.public_uuid
    )


def test_exclude_leaves_files_out(cli: Cli, folder: Path) -> None:
    ran = cli("import", str(folder), "--json", "--exclude", "hostile/*", "--exclude", "*.png")
    assert ran.code == 0
    assert [entry["path"] for entry in ran.json()["files"]] == ["hopper.jpg"]


def test_usage_and_connection_errors_are_one_line_and_exit_2(cli: Cli, tmp_path: Path) -> None:
    missing = cli("import", str(tmp_path / "nowhere"))
    assert missing.code == 2
    assert missing.err == f"darkroom: {tmp_path / 'nowhere'} is not a directory\n"
    refused = cli("import", str(tmp_path), token="drk_not-a-token")
    assert refused.code == 2
    assert len(refused.err.splitlines()) == 1 and "refused the token" in refused.err
    closed = cli("import", str(tmp_path), "--json", url="http://127.0.0.1:9")
    assert closed.code == 2
    assert closed.err == "darkroom: cannot reach a Darkroom server at http://127.0.0.1:9\n"
    assert closed.json() == {
        "status": "error",
        "code": "unreachable",
        "error": "cannot reach a Darkroom server at http://127.0.0.1:9",
    }


def test_a_token_that_may_not_upload_stops_the_import_with_exit_2(cli: Cli, folder: Path) -> None:
    reader = cli.new_token("--scopes", "api.images.read")
    ran = cli("import", str(folder), token=reader)
    assert ran.code == 2
    assert ran.err.startswith("darkroom: the token may not do this: ")
    assert len(ran.err.splitlines()) == 1


def test_of_files_with_the_same_bytes_the_first_in_the_walk_is_sent_however_hashing_goes(
    cli: Cli, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found flaky: with parallel workers, whichever copy finished hashing first was sent.
    hash_file = import_files._sha256

    def slow_for_the_first(path: Path) -> str:
        if path.name == "tiny.png":
            time.sleep(0.3)
        return hash_file(path)

    monkeypatch.setattr(import_files, "_sha256", slow_for_the_first)
    summary = cli("import", str(folder), "--json").json()
    statuses = {entry["path"]: entry["status"] for entry in summary["files"]}
    assert (statuses["tiny.png"], statuses["again/tiny copy.png"]) == ("done", "skipped")
