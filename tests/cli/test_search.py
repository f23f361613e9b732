"""`darkroom search QUERY`: a table, the raw results with `--json`, and a formula error shown
with a caret under where it goes wrong."""

from __future__ import annotations

from pathlib import Path

from app.cli.search import table
from app.client import Darkroom
from tests.cli.conftest import Cli, copy_files


def test_search_prints_a_table_and_json(cli: Cli, corpus: Path, tmp_path: Path) -> None:
    folder = copy_files(
        corpus, tmp_path, {"hopper.jpg": "pillow/valid/hopper.jpg", "t.png": "pillow/valid/tiny.png"}
    )
    imported = cli("import", str(folder), "--json").json()
    uuid = imported["files"][0]["image_public_uuid"]
    with Darkroom(cli.server.url, cli.token) as client:
        client.images.update(uuid, title="Hopper, a portrait").wait()
        width = client.images.get(uuid).width

    ran = cli("search", "title~hopper")
    assert ran.code == 0, ran.err
    header, rule, row, footer = ran.out.splitlines()
    # No image_id (uploaded through /v1), no date: those columns are left out.
    assert header.split() == ["public_uuid", "title", "width", "height"]
    assert set(rule) == {"-", " "}
    assert row.split()[:3] == [uuid, "Hopper,", "a"] and str(width) in row.split()
    assert footer == "1-1 of 1 matches"

    everything = cli("search", "", "--fields", "title,width", "--sort-by", "title", "--json")
    assert everything.code == 0
    answer = everything.json()
    assert answer["count"] == 2
    assert [set(result) for result in answer["results"]] == [{"image_id", "title", "width"}] * 2

    nothing = cli("search", "title=nobody")
    assert (nothing.code, nothing.out) == (0, "none of 0 matches\n")


def test_a_formula_error_shows_where_it_is_and_exits_2(cli: Cli) -> None:
    ran = cli("search", "t~sunset && zz=3")
    assert ran.code == 2
    first, query, caret = ran.err.splitlines()
    assert first.startswith("darkroom: query_invalid: ")
    assert query == "  t~sunset && zz=3"
    assert caret == "  " + " " * len("t~sunset && ") + "^"
    as_json = cli("search", "t~sunset && zz=3", "--json").json()
    assert (as_json["code"], as_json["position"]) == ("query_invalid", 12)


def test_table_aligns_columns_and_numbers_right() -> None:
    assert table(["name", "width"], [["a", "5"], ["long name", "1024"]]).splitlines() == [
        "name       width",
        "---------  -----",
        "a              5",
        "long name   1024",
    ]
