"""A real Darkroom for other projects' test suites: uvicorn on a free port of 127.0.0.1, in a
thread with its own event loop, on a temporary data directory, with a known all-scopes token.

    with DarkroomServer() as server:
        client = Darkroom(server.url, server.token)
        server.faults(drop_rate=0.5, seed=1)

`async with` works the same. Keyword arguments are settings (the fields of `app.config.Settings`);
the process environment is not read, so a `DARKROOM_*` variable cannot change a test's server.
"""

from __future__ import annotations

import asyncio
import http.client
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio.to_thread
import uvicorn
import uvloop
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.tokens import generate_token
from app.config import load_settings
from app.faults import FaultSettings
from app.http.app import create_app
from app.runtime import Darkroom

START_TIMEOUT = 30.0  # seconds; a start takes well under one
# Defaults that suit tests; any of them can be given to `DarkroomServer`.
TEST_DEFAULTS: dict[str, Any] = {
    "workers": 2,
    # Operations still running at exit get this long; their data directory goes anyway.
    "shutdown_grace": 1.0,
    # So that `src` uploads can come from a server the test suite runs on this machine.
    "allow_private_sources": "127.0.0.0/8,::1/128",
}


class ServerFailed(RuntimeError):
    """The embedded server did not start, or stopped with an error."""


class DarkroomServer:
    def __init__(self, **settings: Any) -> None:
        if {"host", "port"} & set(settings):
            raise ValueError("a DarkroomServer always listens on a free port of 127.0.0.1")
        self.token: str = settings.pop("bootstrap_token", None) or generate_token()
        self.url = ""
        self._settings = {**TEST_DEFAULTS, **settings}
        self._own_data_dir: Path | None = None
        self._app: Any = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._startup_error: str | None = None

    @property
    def runtime(self) -> Darkroom:
        """The running server's internals (its database, engine, settings), for tests that look inside."""
        if self._app is None:
            raise RuntimeError("the server is not running")
        runtime: Darkroom = self._app.state.darkroom
        return runtime

    # Starting and stopping

    def start(self) -> DarkroomServer:
        if self._thread is not None:
            raise RuntimeError("this DarkroomServer was started already")
        if "data_dir" not in self._settings:
            self._own_data_dir = Path(tempfile.mkdtemp(prefix="darkroom-test-"))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        settings = load_settings(
            {},
            **{"data_dir": self._own_data_dir, **self._settings},
            host="127.0.0.1",
            port=port,
            bootstrap_token=self.token,
        )
        self._app = create_app(settings)
        config = uvicorn.Config(
            self._note_startup_failure(self._app),
            http="httptools",
            lifespan="on",
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=int(settings.shutdown_grace) + 1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, args=(sock,), name="darkroom-test-server")
        self._thread.daemon = True  # a test run that forgets to stop it still exits
        self._thread.start()
        try:
            self._wait_until_ready(port)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
        if self._own_data_dir is not None:
            shutil.rmtree(self._own_data_dir, ignore_errors=True)
            self._own_data_dir = None
        self._app = None
        if self._failure is not None and not isinstance(self._failure, SystemExit):
            raise ServerFailed("the Darkroom test server stopped with an error") from self._failure

    def _serve(self, sock: socket.socket) -> None:
        if self._server is None:  # pragma: no cover - set before the thread starts
            return
        try:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(self._server.serve(sockets=[sock]))
        except BaseException as failure:  # uvicorn ends a failed start with SystemExit
            self._failure = failure
        finally:
            sock.close()

    def _wait_until_ready(self, port: int) -> None:
        """Until `GET /healthz` is answered: the lifespan has run and the database answers."""
        deadline = time.monotonic() + START_TIMEOUT
        while self._server is None or not self._server.started:
            if self._thread is None or not self._thread.is_alive() or time.monotonic() > deadline:
                detail = f": {self._startup_error}" if self._startup_error else ""
                raise ServerFailed(f"the Darkroom test server did not start{detail}") from self._failure
            time.sleep(0.002)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=START_TIMEOUT)
        try:
            connection.request("GET", "/healthz")
            with connection.getresponse() as response:  # closed, or its socket outlives the connection
                response.read()
                status = response.status
        finally:
            connection.close()
        if status != 200:
            raise ServerFailed(f"the Darkroom test server answered /healthz with {status}")

    def _note_startup_failure(self, app: ASGIApp) -> ASGIApp:
        """The app, keeping the reason of a failed start (uvicorn only logs it)."""

        async def noting(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "lifespan":
                await app(scope, receive, send)
                return

            async def send_noting(message: Message) -> None:
                if message["type"] == "lifespan.startup.failed":
                    self._startup_error = message.get("message", "")
                await send(message)

            await app(scope, receive, send_noting)

        return noting

    # Faults

    def faults(
        self, delay_ms: int = 0, fail_rate: float = 0.0, drop_rate: float = 0.0, seed: int | None = None
    ) -> FaultsOn:
        """Set the faults now (no argument: none). Used as a context manager, they are turned
        off again at its end."""
        self.runtime.faults.configure(delay_ms=delay_ms, fail_rate=fail_rate, drop_rate=drop_rate, seed=seed)
        return FaultsOn(self, self.runtime.faults.settings)

    # Context managers

    def __enter__(self) -> DarkroomServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> DarkroomServer:
        return await anyio.to_thread.run_sync(self.start)

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await anyio.to_thread.run_sync(self.stop)


class FaultsOn:
    """The faults just set; leaving the `with` block turns every fault off."""

    def __init__(self, server: DarkroomServer, settings: FaultSettings) -> None:
        self.server = server
        self.settings = settings

    def __enter__(self) -> FaultSettings:
        return self.settings

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.server.faults()
