"""Fixtures of the command-line tests: one real server on a port for the package, an account of
its own for each test (so that each starts with an empty library), a folder of corpus files,
and the commands run in this process as `darkroom` would run them."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.cli.main import main
from app.testing import DarkroomServer

CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"


@pytest.fixture(scope="package")
def server() -> Iterator[DarkroomServer]:
    with DarkroomServer() as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_and_a_cache_of_its_own(
    server: DarkroomServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DARKROOM_TOKEN", raising=False)
    yield
    server.faults()


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Cli:
    """`darkroom` against the test server, signed in as a fresh account."""

    server: DarkroomServer
    token: str
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str, token: str | None = None, url: str | None = None) -> Ran:
        self.capsys.readouterr()
        code = main([*args, "--url", url or self.server.url, "--token", token or self.token])
        out, err = self.capsys.readouterr()
        return Ran(code, out, err)

    def new_token(self, *options: str) -> str:
        """Another token of a new account, made as `darkroom token create` makes it."""
        return new_token(self.server, self.capsys, *options)


def new_token(server: DarkroomServer, capsys: pytest.CaptureFixture[str], *options: str) -> str:
    data_dir = str(server.runtime.settings.data_dir)
    capsys.readouterr()
    account = f"cli-{uuid.uuid4().hex[:8]}"
    assert main(["token", "create", "--account", account, "--json", "--data-dir", data_dir, *options]) == 0
    token: str = json.loads(capsys.readouterr().out)["token"]
    return token


@pytest.fixture
def cli(server: DarkroomServer, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(server, new_token(server, capsys), capsys)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the image corpus is not at {CORPUS}")
    return CORPUS


def copy_files(corpus: Path, into: Path, files: dict[str, str]) -> Path:
    """`files`: where each goes under `into` -> which corpus file it is."""
    for name, source in files.items():
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / source, target)
    return into
