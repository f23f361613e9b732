"""One running Darkroom: settings, database, engine and caches, started and stopped together."""

from __future__ import annotations

import asyncio
import fcntl
import functools
import logging
import os
import ssl
from typing import Any

import httpx

from app.accounts.authentication import Authenticator
from app.accounts.bootstrap import bootstrap_tokens, load_secret
from app.archives import retention as archive_retention
from app.archives.files import ArchiveFiles
from app.config import Settings
from app.faults import Faults
from app.metrics import Metrics
from app.operations import retention
from app.operations import types as _operation_types  # noqa: F401  (registers them)
from app.operations.engine import Engine
from app.operations.services import Services
from app.operations.submission import Intake
from app.operations.types import upload
from app.operations.watch import OperationWatch
from app.processor.fetch import Fetcher, FetchLimits
from app.processor.pool import ProcessorPool
from app.search.image_similarity import PhashIndex
from app.search.sql_functions import register_functions
from app.storage.database import Database
from app.storage.media_files import MediaFiles
from app.storage.migrations import migrate

logger = logging.getLogger("darkroom")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The CA bundle, loaded once per process: it takes a tenth of a second (most of a second on
    a busy machine), and a test suite may start many servers (app/testing.py)."""
    return httpx.create_ssl_context()


class DataDirectoryBusy(Exception):
    """Another server already runs on this data directory."""


class Darkroom:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_path, on_connect=register_functions)
        self.phashes = PhashIndex()
        self.metrics = Metrics()
        self.watch = OperationWatch()
        # Off unless a client's test suite turns them on (app/testing.py).
        self.faults = Faults()
        self.media = MediaFiles(self.db, settings.media_root)
        self.archives = ArchiveFiles(settings.archives_dir)
        self.pool = ProcessorPool(
            workers=settings.workers,
            timeout=settings.process_timeout,
            max_pixels=settings.max_pixels,
            metrics=self.metrics,
        )
        self.services = Services(
            settings=settings,
            pool=self.pool,
            fetcher=Fetcher(
                allow_private=settings.address_policy,
                limits=FetchLimits(total_timeout=settings.fetch_timeout, max_bytes=settings.max_source_bytes),
                verify=_tls_context(),
            ),
            media=self.media,
        )
        self.engine = Engine(
            self.db,
            self.watch,
            workers=settings.workers,
            operation_timeout=settings.operation_timeout,
            shutdown_grace=settings.shutdown_grace,
            services=self.services,
            faults=self.faults,
            metrics=self.metrics,
        )
        self.intake = Intake(
            self.db,
            self.watch,
            self.engine,
            max_queued=settings.max_queued,
            idempotency_ttl=settings.idempotency_ttl,
        )
        self.authenticator = Authenticator(self.db)
        self.secret = ""
        self.dev_token: str | None = None
        self._lock_file: int | None = None
        self._background: list[asyncio.Task[Any]] = []

    async def start(self) -> None:
        data_dir = self.settings.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_data_dir()
        self.secret = load_secret(data_dir, self.settings.secret)
        await self.db.open()
        applied = await migrate(self.db)
        if applied:
            logger.info("applied schema migrations %s", applied)
        await self.db.ensure_statistics()
        self.dev_token = await bootstrap_tokens(self.db, data_dir, self.settings.bootstrap_token)
        if self.dev_token is not None:
            logger.warning(
                "created account 'default' with an all-scopes token (saved in %s): %s",
                data_dir / "dev-token",
                self.dev_token,
            )
        # Before any operation runs: what interrupted writes and uploads left behind.
        await self.media.sweep()
        await upload.sweep_incoming(self.db, self.settings.incoming_dir)
        await archive_retention.sweep_at_start(self.db, self.archives)
        await self.engine.start()
        self._background = [
            asyncio.create_task(self.authenticator.refresh_forever(), name="token-refresh"),
            asyncio.create_task(
                retention.sweep_forever(
                    self.db,
                    self.watch,
                    operation_ttl=self.settings.operation_ttl,
                    idempotency_ttl=self.settings.idempotency_ttl,
                ),
                name="retention",
            ),
            asyncio.create_task(
                archive_retention.sweep_forever(self.db, self.archives), name="archive-expiry"
            ),
        ]

    async def stop(self) -> None:
        await self.engine.stop()
        await self.pool.close()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.db.close()
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    def _lock_data_dir(self) -> None:
        """One server per data directory: the queue and the in-memory ETags assume it."""
        descriptor = os.open(self.settings.data_dir / "server.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise DataDirectoryBusy(f"another Darkroom server runs on {self.settings.data_dir}") from None
        self._lock_file = descriptor
