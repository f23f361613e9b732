"""`GET /imgs` over HTTP: the query formula over a dataset whose answers are written by hand,
then sort, paging, projection, facets, count, errors with their position, and similarity."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from app.processor.phash import phash
from tests.conftest import Harness
from tests.processor.conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the image corpus is missing")

EVERYONE = {"1", "2", "3", "4", "5", "flower", "flower-small", "hopper"}

DATASET: list[dict[str, Any]] = [
    {
        "external_id": "1",
        "title": "Sunset over the river",
        "description": "Red sky at dusk",
        "keywords": ["sunset", "river", "artist:Marina"],
        "creation_date": "2020-05-13",
        "width": 1600,
        "height": 900,
        "ai_generated": False,
        "nsfw": False,
        "creator": "Jane Doe",
        "country": "United States",
        "city": "Porto",
        "status": "Active",
        "categories": ["travel"],
        "collections": ["Exclusive"],
    },
    {
        "external_id": "2",
        "title": "Beach dog",
        "keywords": ["beach", "dog"],
        "creation_date": "2021-01-02",
        "width": 800,
        "height": 800,
        "ai_generated": True,
        "nsfw": False,
        "creator": "John Roe",
        "country": "Portugal",
        "categories": ["pets", "travel"],
        "collections": ["Archive"],
    },
    {
        "external_id": "3",
        "title": "Mountain lake",
        "description": "Calm water",
        "keywords": ["lake", "Mountain"],
        "creation_date": "2019-12-31",
        "width": 600,
        "height": 900,
        "nsfw": True,
        "creator": "jane doe",
        "country": "united states ",
        "event": "Expo",
    },
    {
        "external_id": "4",
        "title": "Café au lait",
        "keywords": ["coffee"],
        "creation_date": "2020-05-01",
        "width": 1200,
        "height": 800,
        "model_release": True,
        "creator": "Jané Doe",
    },
    {"external_id": "5", "title": "Untitled", "width": 1000, "height": 500},
]

# (formula, the external ids it finds), each checked by hand against DATASET.
CASES: list[tuple[str, set[str]]] = [
    ("", EVERYONE),
    # text, over every text field, words as prefixes, accents ignored
    ("t~sunset", {"1"}),
    ("t~sun", {"1"}),
    ("txt~dusk calm", {"1", "3"}),
    ("t~~red sky", {"1"}),
    ("t~~red water", set()),
    ("text~~~red sky", {"1"}),
    ("t~~~sky red", set()),
    ("t~cafe", {"4"}),
    ("t~beach || t~lake", {"2", "3"}),
    # dates, partial ones as ranges
    ("d=2020", {"1", "4"}),
    ("d=2020-5", {"1", "4"}),
    ("date=2020-5-13", {"1"}),
    ("d<2020", {"3"}),
    ("d>2020-5", {"2"}),
    ("d<=2020", {"1", "3", "4"}),
    ("d>=2021", {"2"}),
    ("d≥2021", {"2"}),
    ("d=>2021", {"2"}),
    # ids, numerically when both sides are integers
    ("id=2", {"2"}),
    ("id<3", {"1", "2"}),
    ("id∩1,3,5", {"1", "3", "5"}),
    ("id^=1,3", {"1", "3"}),
    # sizes and shapes
    ("r>1.5", {"1", "5"}),
    ("w>=1200", {"1", "4"}),
    ("h=800", {"2", "4"}),
    ("width ≤ 600", {"3", "flower-small", "hopper"}),
    ("o=portrait", {"3"}),
    ("o=Square", {"2", "hopper"}),
    ("orientation:landscape", {"1", "4", "5", "flower", "flower-small"}),
    # booleans: a missing value is false
    ("ai=true", {"2"}),
    ("ai=no", {"1"}),
    ("nsfw=1", {"3"}),
    ("!nsfw=true", EVERYONE - {"3"}),
    ("mr=yes", {"4"}),
    ("model_release=false", set()),
    # lists
    ("k=beach,dog", {"2"}),
    ("k=dog,lake", set()),
    ("k∩dog,lake", {"2", "3"}),
    ("k==Mountain", {"3"}),
    ("k==mountain", set()),
    ("keywords=MOUNTAIN", {"3"}),
    ("k===dog,beach", {"2"}),
    ("k===dog", set()),
    ("k~mount", {"3"}),
    ("k=artist:marina", {"1"}),
    ("cat=travel", {"1", "2"}),
    ("col∩Exclusive,Archive", {"1", "2"}),
    # strings: = ignores case, accents and outer spaces; == case only; === nothing
    ("a=jane doe", {"1", "3", "4"}),
    ("a==jane doe", {"1", "3"}),
    ("a===Jane Doe", {"1"}),
    ('country:"United States"', {"1", "3"}),
    ("city=porto", {"1"}),
    ("e=expo", {"3"}),
    ("s=active", {"1"}),
    ("title~mount", {"3"}),
    ("a<k", {"1", "2", "3", "4"}),
    # precedence and parentheses
    ("k=dog || k=lake && nsfw=true", {"2", "3"}),
    ("(k=dog || k=lake) && nsfw=false", {"2"}),
    ("!k=dog && t~beach", set()),
    ("!(d=2020)", EVERYONE - {"1", "4"}),
    ("!!d=2020", {"1", "4"}),
    # the examples of imgs.md
    ("t~sunset river && d>=2020-01-01", {"1"}),
    ("(k=beach,dog || col∩Exclusive,Archive) && o=landscape && !nsfw=true", {"1"}),
    ('a=jane doe && country:"United States"', {"1", "3"}),
    # similarity
    ("i=flower", {"flower"}),
    ("i~~~flower", {"flower", "flower-small"}),
]


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer)


@pytest.fixture
async def dataset(server: Harness) -> Harness:
    server.client.headers["API-Key"] = server.client.headers.pop("Authorization").removeprefix("Bearer ")
    for row in DATASET:
        fields = dict(row)
        keywords = fields.pop("keywords", [])
        await server.create_image(keywords=keywords, **fields)
    with Image.open(CORPUS / "pillow" / "valid" / "flower.jpg") as flower:
        flower.load()
        small = jpeg(flower.resize((flower.width // 2, flower.height // 2)), 40)
        with Image.open(CORPUS / "pillow" / "valid" / "hopper.jpg") as hopper:
            hopper.load()
            await server.create_image(
                external_id="flower", title="Flower", width=1000, height=750, phash=phash(flower)
            )
            await server.create_image(
                external_id="flower-small", title="Flower, small", width=500, height=375, phash=phash(small)
            )
            await server.create_image(
                external_id="hopper", title="Hopper", width=128, height=128, phash=phash(hopper)
            )
    return server


async def found(server: Harness, q: str, **params: Any) -> list[str]:
    response = await server.client.get("/imgs", params={"q": q, "limit": 100, **params})
    assert response.status_code == 200, (q, response.text)
    return [result["image_id"] for result in response.json()["results"]]


async def test_every_formula_finds_what_was_written_by_hand(dataset: Harness) -> None:
    wrong = []
    for formula, expected in CASES:
        got = set(await found(dataset, formula))
        if got != expected:
            wrong.append((formula, sorted(expected), sorted(got)))
    assert wrong == []
    assert len(CASES) >= 40


async def test_similarity_finds_the_resized_copy_first(dataset: Harness) -> None:
    # The copy is at distance 0 from the original (equal distances go newest first).
    assert set(await found(dataset, "i~~~flower", sort_by="similarity")) == {"flower", "flower-small"}
    assert set((await found(dataset, "i~flower", sort_by="sim"))[:2]) == {"flower", "flower-small"}
    assert "hopper" not in await found(dataset, "i~flower")
    assert "flower-small" in await found(dataset, "i~~~flower && !i=flower")
    ranked = await found(dataset, "t~sunset || t~beach", sort_by="similarity")
    assert set(ranked) == {"1", "2"}


@pytest.mark.parametrize(
    ("q", "code", "position"),
    [
        ("t~", "query_invalid", 2),
        ("x=1", "query_invalid", 0),
        ("d=2020-13", "query_invalid", 2),
        ("(k=a", "query_invalid", 0),
        ("k=a &&", "query_invalid", 6),
        ("o<landscape", "query_invalid", 1),
        ("p~someone", "unsupported_filter", 0),
        ('t~"open', "query_invalid", 2),
    ],
)
async def test_malformed_formulas_are_422_with_a_position(
    dataset: Harness, q: str, code: str, position: int
) -> None:
    response = await dataset.client.get("/imgs", params={"q": q})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["position"] == position, error


async def test_sort_paging_projection_and_count(dataset: Harness) -> None:
    by_width = await found(dataset, "", sort_by="width", order="desc")
    assert by_width[:4] == ["1", "4", "flower", "5"]  # 1000 wide both: the newer first
    by_date = await found(dataset, "", sort_by="date")
    assert by_date[:4] == ["3", "4", "1", "2"]  # missing dates last
    assert (await found(dataset, "", sort_by="aspect_ratio", order="desc"))[:2] == ["5", "1"]
    newest = await found(dataset, "")
    assert newest[0] == "hopper"
    first = await dataset.client.get("/imgs", params={"limit": 3, "page": 1, "sort_by": "title"})
    second = await dataset.client.get("/imgs", params={"limit": 3, "page": 2, "sort_by": "title"})
    titles = [r["title"] for r in first.json()["results"] + second.json()["results"]]
    assert titles == sorted(titles, key=str.casefold) or titles == sorted(titles)
    assert first.json()["count"] == 8
    projected = await dataset.client.get(
        "/imgs", params=[("q", "id=1"), ("fields", "title"), ("fields", "date")]
    )
    assert projected.json()["results"] == [
        {"image_id": "1", "title": "Sunset over the river", "date": "2020-05-13"}
    ]
    uncounted = await dataset.client.get("/imgs", params={"count": "false"})
    assert uncounted.json()["count"] is None


async def test_facets_over_the_whole_match(dataset: Harness) -> None:
    response = await dataset.client.get(
        "/imgs",
        params=[
            ("q", "d>=2019"),
            ("limit", "1"),
            ("facets", "orientation"),
            ("facets", "ai_generated"),
            ("facets", "country,keywords"),
            ("facet_limit", "3"),
        ],
    )
    assert response.status_code == 200, response.text
    facets = response.json()["facets"]
    assert facets["orientation"] == {"landscape": 2, "portrait": 1, "square": 1}
    assert facets["ai_generated"] == {"false": 1, "true": 1}
    assert facets["country"] == {"Portugal": 1, "United States": 1, "united states ": 1}
    assert len(facets["keywords"]) == 3
    assert list(facets) == ["orientation", "ai_generated", "country", "keywords"]


async def test_bad_parameters_are_422(dataset: Harness) -> None:
    for params in (
        {"sort_by": "similarity"},
        {"sort_by": "keywords"},
        {"order": "desc"},
        {"limit": "10001"},
        {"page": "0"},
        {"facets": "colour"},
        {"fields": "nope"},
        {"colour": "red"},
    ):
        response = await dataset.client.get("/imgs", params=params)
        assert response.status_code == 422, params


async def test_search_is_account_scoped_and_cached(dataset: Harness) -> None:
    theirs = await dataset.new_token(account="other")
    response = await dataset.client.get("/imgs", headers={"API-Key": theirs})
    assert response.json()["results"] == [] and response.json()["count"] == 0
    first = await dataset.client.get("/imgs", params={"q": "t~sunset"})
    cached = await dataset.client.get(
        "/imgs", params={"q": "t~sunset"}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert cached.status_code == 304
