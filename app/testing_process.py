"""A Darkroom in a process of its own, for harnesses that kill it (SIGKILL) and start it again on
the same data directory: the crash test (tests/test_crash_recovery.py) and the crash harness
(bench/chaos.py). `app.testing.DarkroomServer` runs in a thread instead, which cannot be killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

START_TIMEOUT = 30.0  # seconds; a start takes one or two on a busy machine
PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """`python -m app serve` on a free port of 127.0.0.1 (a new one at each start), its output
    appended to `log`; `env` adds to the process environment."""

    def __init__(self, data_dir: Path, log: Path, *, workers: int = 1, env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.log = log
        self.workers = workers
        self.env = env or {}
        self.port = 0
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        """Start it and return once `GET /healthz` answers 200: the start-up sweeps are done."""
        self.port = free_port()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(self.port)),
                *("--data-dir", str(self.data_dir), "--workers", str(self.workers)),
                cwd=PROJECT,
                env={**os.environ, "DARKROOM_SHUTDOWN_GRACE": "2", **self.env},
                stdout=log,
                stderr=log,
                # Its own process group, so that a kill takes its processor workers with it.
                start_new_session=True,
            )
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url) as client:
            while asyncio.get_running_loop().time() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"the server exited: {self.log.read_text()}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        await self.kill()
        raise TimeoutError(f"the server did not start in {START_TIMEOUT} s: {self.log.read_text()}")

    async def kill(self) -> None:
        """SIGKILL to the server and its processor workers: no shutdown code runs anywhere."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.running and self.process is not None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 10)
