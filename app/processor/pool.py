"""Worker processes for the CPU work, each file with a timeout; a hung or dead worker is replaced.

Each worker is its own single-process executor (a "slot"), so a file that hangs or kills its
worker is known exactly: that worker alone is killed and replaced, and only that file fails
(`process_timeout`, or `decode_failed` when the worker died, a segfault or the OOM killer),
never the innocent files running beside it. Workers start from a forkserver with Pillow already
imported (fork is unsafe in a process with threads; spawn is slower), handing in work never
blocks the event loop, and a worker is recycled after `recycle_after` files to give its memory
back to the system.

Threads are not measurably faster, even for small files: `bench/processor.py` pushes the 22
small valid images of the corpus (≤ 500 px) through two workers of each kind; over nine runs on
a shared 2-core machine, processes took 4.2–10.2 ms a file and threads 4.1–14.1 ms, the same
within the noise. Pickling the arguments and result costs a process little, and Pillow's GIL
releases do not help threads much on small files, where the Python around Pillow (metadata,
pHash, colours) is a good part of the time. Since a thread cannot be killed when a file hangs,
processes it is.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import signal
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

from app.metrics import Metrics
from app.processor.decode import DEFAULT_MAX_PIXELS, configure_decoder
from app.processor.errors import ItemFailure
from app.processor.pipeline import ProcessedImage, process_file
from app.processor.profiles import DEFAULT_PROFILES, CropBox, Profile

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0


def _initialize_worker(max_pixels: int, memory_limit: int | None) -> None:
    # Ctrl-C in the server's terminal is the parent's to handle; workers are told to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Plugins warn about damaged files, which we report as item failures; stderr needs no copy.
    warnings.simplefilter("ignore")
    configure_decoder(max_pixels)
    if memory_limit is not None:
        # Past this, allocations fail with MemoryError in the worker instead of waking the OOM killer.
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))


def _ready() -> int:
    return os.getpid()


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Imported once in the forkserver, so each worker starts with it already loaded.
        context.set_forkserver_preload(["app.processor.pipeline"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass(slots=True)
class _Slot:
    executor: ProcessPoolExecutor
    done: int = 0


class ProcessorPool:
    """`workers` processes, each file at most `timeout` seconds; share one per server."""

    def __init__(
        self,
        *,
        workers: int = os.cpu_count() or 1,
        timeout: float = DEFAULT_TIMEOUT,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        memory_limit: int | None = None,
        recycle_after: int = 200,
        metrics: Metrics | None = None,
    ) -> None:
        if workers < 1 or timeout <= 0 or recycle_after < 1:
            raise ValueError("a pool needs at least one worker, a positive timeout and recycle_after")
        self.timeout = timeout
        self.max_pixels = max_pixels
        self.memory_limit = memory_limit
        self.recycle_after = recycle_after
        self._metrics = metrics or Metrics()
        self._context = _context()
        self._slots = [self._new_slot() for _ in range(workers)]
        self._idle: asyncio.Queue[_Slot] = asyncio.Queue()
        for slot in self._slots:
            self._idle.put_nowait(slot)

    async def start(self) -> None:
        """Start every worker now rather than on its first file (optional: it only saves latency)."""
        slots = [await self._idle.get() for _ in self._slots]
        try:
            futures = await asyncio.to_thread(lambda: [slot.executor.submit(_ready) for slot in slots])
            await asyncio.gather(*(asyncio.wrap_future(future) for future in futures))
        finally:
            for slot in slots:
                self._idle.put_nowait(slot)

    async def process(
        self,
        path: Path,
        *,
        rotation: int = 0,
        profiles: Sequence[Profile] = DEFAULT_PROFILES,
        media_root: Path,
        crops: Sequence[CropBox] = (),
    ) -> ProcessedImage:
        """`process_file` in a worker: the processed image, or ItemFailure."""
        return await self.run(
            process_file, path, rotation, profiles, media_root, crops=crops, max_pixels=self.max_pixels
        )

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`function(*args, **kwargs)` in a worker (it must be importable by name), timed."""
        slot = await self._idle.get()
        # Timed from here: the file's time in the pool, not its wait for a free worker.
        started = time.perf_counter()
        outcome = "abandoned"  # cancelled: the operation's timeout, or a shutdown
        try:
            result = await self._run_on(slot, function, *args, **kwargs)
        except ItemFailure as failure:
            outcome = failure.code
            raise
        except Exception:
            outcome = "error"
            raise
        else:
            outcome = "ok"
            return result
        finally:
            self._metrics.file_processed(outcome, time.perf_counter() - started)

    async def _run_on(self, slot: _Slot, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        healthy = False
        waiting: asyncio.Future[T] | None = None
        try:
            # submit() may start the worker process: a thread keeps that off the event loop.
            try:
                future = await asyncio.to_thread(slot.executor.submit, function, *args, **kwargs)
            except BrokenProcessPool:
                # The worker died while idle (killed from outside): not this file's fault.
                slot = self._replaced(slot)
                future = await asyncio.to_thread(slot.executor.submit, function, *args, **kwargs)
            waiting = asyncio.wrap_future(future)
            done, _pending = await asyncio.wait({waiting}, timeout=self.timeout)
            if not done:
                raise ItemFailure("process_timeout", f"processing took longer than {self.timeout:g} s")
            try:
                result = waiting.result()
            except BrokenProcessPool:
                raise ItemFailure("decode_failed", "the worker died while processing the image") from None
            except MemoryError:
                healthy = True
                raise ItemFailure(
                    "image_too_large", "the image needs more memory than a worker may use"
                ) from None
            except BaseException:
                healthy = True  # the function raised; its worker is fine
                raise
            healthy = True
            return result
        finally:
            if waiting is not None and not waiting.done():
                waiting.cancel()  # nobody will read what the killed worker leaves behind
            # A hung, dead or abandoned (cancelled) worker is killed; a new one takes its place.
            self._idle.put_nowait(self._recycled(slot) if healthy else self._replaced(slot))

    async def close(self) -> None:
        """Stop every worker; files still running are abandoned."""
        for slot in self._slots:
            _kill(slot.executor)

        def wait_for_exits() -> None:
            for slot in self._slots:
                slot.executor.shutdown(wait=True)

        await asyncio.to_thread(wait_for_exits)

    def _new_slot(self) -> _Slot:
        executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=self._context,
            initializer=_initialize_worker,
            initargs=(self.max_pixels, self.memory_limit),
        )
        return _Slot(executor)

    def _swap(self, old: _Slot) -> _Slot:
        new = self._new_slot()
        self._slots[self._slots.index(old)] = new
        return new

    def _replaced(self, slot: _Slot) -> _Slot:
        _kill(slot.executor)
        return self._swap(slot)

    def _recycled(self, slot: _Slot) -> _Slot:
        slot.done += 1
        if slot.done < self.recycle_after:
            return slot
        slot.executor.shutdown(wait=False)  # idle: it exits on its own
        return self._swap(slot)


def _kill(executor: ProcessPoolExecutor) -> None:
    # The executor has no public handle on its processes; this one is typed in typeshed.
    for process in list(executor._processes.values()):
        process.kill()
    executor.shutdown(wait=False, cancel_futures=True)
