"""Shared fixtures: a real Darkroom (app, lifespan, SQLite file in tmp_path) behind an httpx client."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings

from app.accounts.tokens import create_token
from app.config import Settings, load_settings
from app.http.app import create_app
from app.runtime import Darkroom
from app.storage import images_store
from app.storage.images_store import ImageRow, Keyword


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Property tests run beside the rest of the suite on 2 cores: slow input generation is the
# machine's load, not a fault of the strategies, and timings vary too much for deadlines.
settings.register_profile("darkroom", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("darkroom")


class Harness:
    """A started server and a client signed in with the dev token of account `default`."""

    def __init__(self, runtime: Darkroom, client: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.client = client
        # The dev token is shown once, on the first start; later starts find it on disk.
        self.token = (runtime.settings.data_dir / "dev-token").read_text().strip()

    async def account_id(self, name: str = "default") -> int:
        row = await self.runtime.db.fetch_one("SELECT account_id FROM accounts WHERE name = ?", (name,))
        if row is None:
            raise LookupError(name)
        return int(row["account_id"])

    async def new_token(self, account: str = "default", **options: Any) -> str:
        options.setdefault("name", "test")
        created = await create_token(self.runtime.db, account=account, **options)
        return created.token

    async def create_image(
        self, account: str = "default", keywords: list[str] | None = None, **fields: Any
    ) -> ImageRow:
        """An image row as the processor would leave it (until uploads exist in tests)."""
        fields.setdefault("title", "An image")
        fields.setdefault("width", 400)
        fields.setdefault("height", 300)
        account_id = await self.account_id(account)
        parsed = [Keyword(*k.split(":", 1)) if ":" in k else Keyword(None, k) for k in keywords or []]
        async with self.runtime.db.write() as tx:
            return await images_store.insert(tx, account_id, fields, parsed)

    async def write(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        key: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A /v1 write with a fresh Idempotency-Key unless one is given."""
        sent = {"Idempotency-Key": key or str(uuid.uuid4()), **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return await self.client.request(method, url, json=json, headers=sent)

    async def wait_operation(self, uuid: str, seconds: float = 10) -> dict[str, Any]:
        """Follow an operation with Prefer: wait until it finishes."""
        for _ in range(int(seconds * 10)):
            response = await self.client.get(f"/v1/operations/{uuid}", headers={"Prefer": "wait=1"})
            body: dict[str, Any] = response.json()
            if body["status"] in ("succeeded", "failed", "canceled"):
                return body
        raise TimeoutError(uuid)


ServerFactory = Callable[..., Awaitable[Harness]]


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Harness]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            harness = Harness(app.state.darkroom, client)
            client.headers["Authorization"] = f"Bearer {harness.token}"
            yield harness


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    overrides.setdefault("workers", 2)
    return load_settings({}, data_dir=data_dir, **overrides)


@pytest.fixture
async def server_factory(tmp_path: Path) -> AsyncIterator[ServerFactory]:
    """Start servers with settings of the test's choosing; all stopped at the end."""
    stack: list[Any] = []

    async def start(**overrides: Any) -> Harness:
        data_dir = tmp_path / f"data{len(stack)}"
        context = running(settings_for(data_dir, **overrides))
        harness = await context.__aenter__()
        stack.append(context)
        return harness

    yield start
    for context in reversed(stack):
        await context.__aexit__(None, None, None)


@pytest.fixture
async def server(server_factory: ServerFactory) -> Harness:
    return await server_factory()
