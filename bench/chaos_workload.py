"""The crash harness's workload: seeded writes of every kind, and the ledger of what the server
answered to each, which the invariants (chaos_checks.py) are checked against.

A write is sent with its `Idempotency-Key` (an upload: its ticket's key, then the ticket's one
file); after a crash the same write is sent again as it was, so its answer must be the operation
it got the first time, or a new one when the first attempt was never accepted.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
# Small and mid-sized photos: the mid-sized take long enough to process for a kill to land
# while they run; several writes share each file, so originals are shared between images.
SOURCE_FILES = (  # the small ones first: the setup takes those
    "pillow/valid/hopper.jpg",
    "pillow/valid/flower.jpg",
    "pillow/valid/flower2.jpg",
    "pillow/valid/hopper.png",
    "exif-orientation/Landscape_3.jpg",
    "exif-orientation/Portrait_0.jpg",
)
TERMINAL = ("succeeded", "failed", "canceled")
STABLE_IMAGES = 8  # the images that moves, archives, batches and patches work on
SMALL_FILES = 4


class Sources(ThreadingHTTPServer):
    """The `src` host: `/img/<n>` is the n-th corpus file; anything else answers 404."""

    daemon_threads = True

    def __init__(self, *, small_only: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _SourceHandler)
        names = SOURCE_FILES[:SMALL_FILES] if small_only else SOURCE_FILES
        self.files = [(CORPUS / name).read_bytes() for name in names]

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/img/{n % len(self.files)}"

    @property
    def missing(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/gone.jpg"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a kill cuts the server's fetches off, by design."""


class _SourceHandler(BaseHTTPRequestHandler):
    server: Sources
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        _, _, n = self.path.partition("/img/")
        body = self.server.files[int(n)] if n.isdigit() and int(n) < len(self.server.files) else None
        self.send_response(404 if body is None else 200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")


@contextmanager
def serving_sources(*, small_only: bool = False) -> Iterator[Sources]:
    sources = Sources(small_only=small_only)
    thread = threading.Thread(target=sources.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield sources
    finally:
        sources.shutdown()
        sources.server_close()
        thread.join()


@dataclass
class Write:
    """One write of the workload, what it should do (`expect`), and what the server said."""

    number: int
    kind: str
    method: str
    path: str
    body: Any
    params: dict[str, str] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    upload_file: bytes | None = None  # an upload by ticket: `body` is the ticket request
    uuid: str | None = None  # the operation, once an answer carried it
    seen: list[str] = field(default_factory=list)  # every status the server showed for it
    result: dict[str, Any] | None = None
    refused: list[int] = field(default_factory=list)  # answers that carried no operation
    unanswered: int = 0  # attempts that got no answer (the server was killed)

    @property
    def key(self) -> str:
        return f"chaos-{self.number}"

    @property
    def status(self) -> str | None:
        return self.seen[-1] if self.seen else None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    async def send(self, client: httpx.AsyncClient) -> httpx.Response:
        """One attempt; a write of the search dialect never waits on a retry (same work, same key)."""
        headers = {"Idempotency-Key": self.key}
        if self.upload_file is None:
            return await client.request(
                self.method, self.path, json=self.body, params=self.params, headers=headers
            )
        ticket = await client.post(self.path, json=self.body, headers=headers)
        if ticket.status_code != 201:
            return ticket
        answer = ticket.json()
        files = {answer["file_field"]: (self.body["filename"], self.upload_file)}
        return await client.post(answer["upload_url"], data=answer["fields"], files=files)

    @property
    def result_image(self) -> str | None:
        """The image an upload made."""
        return (self.result or {}).get("image_public_uuid")

    def note(self, operation: dict[str, Any]) -> None:
        self.uuid = operation["uuid"]
        self.seen.append(status_of(operation))
        if operation.get("result") is not None:
            self.result = operation["result"]


def status_of(operation: dict[str, Any]) -> str:
    """The library dialect's status of an operation of either dialect."""
    if "status" in operation:
        return str(operation["status"])
    if not operation["finished"]:
        return "running" if operation["is_started"] else "queued"
    return "succeeded" if operation["success"] else "failed"  # the workload cancels nothing


def operation_of(response: httpx.Response) -> dict[str, Any] | None:
    """The operation an answer carries (a 422 of the search dialect may carry one or an error)."""
    if response.status_code not in (200, 202, 422):
        return None
    body = response.json()
    return body if isinstance(body, dict) and "uuid" in body else None


@dataclass
class Library:
    """What the setup made: two sets the stable images move between, and the stable images."""

    set_a: str
    set_b: str
    stable: list[str]  # public uuids
    stable_ids: list[str]  # their ids in the search dialect
    uploads: list[Write] = field(default_factory=list)  # targets for deletes and failing batches


class Workload:
    """Seeded writes; `next()` picks a kind by weight, then builds a write of it."""

    WEIGHTS: ClassVar[dict[str, int]] = {
        "upload": 4,
        "imgs_all_or_nothing": 3,
        "imgs_subset": 2,
        "imgs_patch": 2,
        "move": 3,
        "archive": 1,
        "batch": 2,
        "delete": 2,
    }

    def __init__(self, rng: random.Random, sources: Sources, library: Library) -> None:
        self.rng = rng
        self.sources = sources
        self.library = library
        self.writes: list[Write] = []
        self.deleting: set[str] = set()  # uploads a delete or a failing batch has claimed

    def next(self) -> Write:
        kinds, weights = zip(*self.WEIGHTS.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        write = getattr(self, f"_{kind}")(len(self.writes))
        self.writes.append(write)
        return write

    def _upload(self, n: int) -> Write:
        title = f"upload {n}"
        source = self.rng.randrange(len(self.sources.files))
        write = Write(n, "upload", "POST", "/v1/uploads", {"filename": f"u{n}.jpg", "title": title})
        if self.rng.random() < 0.5:
            write.upload_file = self.sources.files[source]
        else:
            write.path = "/v1/uploads/url"
            write.body = {"src": self.sources.url(source), "title": title}
        write.expect = {"title": title}
        self.library.uploads.append(write)
        return write

    def _imgs(self, n: int, subset: bool) -> Write:
        items = []
        bad = self.rng.random() < 0.4
        for i in range(self.rng.randint(2, 4)):
            items.append(
                {"id": f"c{n}-{i}", "src": self.sources.url(self.rng.randrange(99)), "title": f"c{n}"}
            )
        if bad:
            items[self.rng.randrange(len(items))]["src"] = self.sources.missing
        params = {"subset": str(subset).lower(), "wait": self.rng.choice(("true", "false"))}
        expect = {
            "ids": [item["id"] for item in items],
            "title": f"c{n}",
            "bad": [item["id"] for item in items if item["src"] == self.sources.missing],
        }
        return Write(
            n, "imgs_subset" if subset else "imgs_all_or_nothing", "POST", "/imgs", items, params, expect
        )

    def _imgs_all_or_nothing(self, n: int) -> Write:
        return self._imgs(n, subset=False)

    def _imgs_subset(self, n: int) -> Write:
        return self._imgs(n, subset=True)

    def _imgs_patch(self, n: int) -> Write:
        """New captions (a new `src` for some), all or nothing; a missing `src` fails it all."""
        ids = self.rng.sample(self.library.stable_ids, self.rng.randint(1, 3))
        items: list[dict[str, Any]] = [{"id": image_id, "caption": f"p{n}"} for image_id in ids]
        for item in items:
            if self.rng.random() < 0.3:
                item["src"] = self.sources.url(self.rng.randrange(99))
        if self.rng.random() < 0.3:
            items[0]["src"] = self.sources.missing
        params = {"strict": "false", "wait": self.rng.choice(("true", "false"))}
        expect = {"ids": ids, "caption": f"p{n}", "fails": items[0].get("src") == self.sources.missing}
        return Write(n, "imgs_patch", "PATCH", "/imgs", items, params, expect)

    def _move(self, n: int) -> Write:
        source, target = self.rng.sample((self.library.set_a, self.library.set_b), 2)
        images = self.rng.sample(self.library.stable, self.rng.randint(1, len(self.library.stable)))
        body = {"image_public_uuids": images, "move_from": source}
        return Write(n, "move", "POST", f"/v1/sets/{target}/images", body)

    def _archive(self, n: int) -> Write:
        images = self.rng.sample(self.library.stable, self.rng.randint(1, 3))
        return Write(n, "archive", "POST", "/v1/archives", {"image_public_uuids": images})

    def _batch(self, n: int) -> Write:
        """Keywords on stable images; some batches also delete an uploaded image, then tag it,
        which fails the whole batch when it runs (its checks at acceptance still pass)."""
        keyword = f"b{n}"
        images = self.rng.sample(self.library.stable, self.rng.randint(1, 3))
        operations = [
            {"method": "POST", "path": f"/v1/images/{image}/keywords", "body": {"keywords": [keyword]}}
            for image in images
        ]
        victim = self._claim_upload() if self.rng.random() < 0.4 else None
        if victim is not None:
            operations += [
                {"method": "DELETE", "path": f"/v1/images/{victim}"},
                {"method": "POST", "path": f"/v1/images/{victim}/keywords", "body": {"keywords": [keyword]}},
            ]
        expect = {"keyword": keyword, "images": images, "kept": victim}
        return Write(n, "batch", "POST", "/v1/operations/batch", {"operations": operations}, expect=expect)

    def _delete(self, n: int) -> Write:
        victim = self._claim_upload()
        if victim is None:
            return self._upload(n)
        return Write(n, "delete", "DELETE", f"/v1/images/{victim}", None, expect={"image": victim})

    def _claim_upload(self) -> str | None:
        """An uploaded image known to exist that no other delete or batch will touch."""
        done = [
            write.result_image
            for write in self.library.uploads
            if write.status == "succeeded" and write.result_image not in self.deleting
        ]
        candidates = [image for image in done if image is not None]
        if not candidates:
            return None
        victim = self.rng.choice(candidates)
        self.deleting.add(victim)
        return victim
