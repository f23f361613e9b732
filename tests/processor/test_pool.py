"""The worker pool: hostile files give item failures, hung and dead workers are replaced."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import time
from pathlib import Path

import pytest

from app.processor.errors import ItemFailure
from app.processor.pipeline import ProcessedImage
from app.processor.pool import ProcessorPool
from app.processor.profiles import parse_profiles

THUMB_ONLY = parse_profiles("thumb:256:jpeg")


async def still_works(pool: ProcessorPool) -> None:
    assert await asyncio.gather(*(pool.run(pow, 2, n) for n in range(4))) == [1, 2, 4, 8]


async def test_every_hostile_file_is_a_clean_failure_or_an_image(
    pool: ProcessorPool, corpus: Path, tmp_path: Path
) -> None:
    files = sorted((corpus / "pillow" / "hostile").iterdir()) + sorted((corpus / "pngsuite").glob("x*.png"))
    assert len(files) > 50

    async def outcome(path: Path) -> str:
        try:
            result = await pool.process(path, media_root=tmp_path, profiles=THUMB_ONLY)
        except ItemFailure as failure:
            return failure.code
        assert isinstance(result, ProcessedImage)
        assert result.width > 0 and result.height > 0
        return "image"

    outcomes = dict(zip(files, await asyncio.gather(*(outcome(path) for path in files)), strict=True))

    print({code: list(outcomes.values()).count(code) for code in sorted(set(outcomes.values()))})
    assert set(outcomes.values()) <= {"image", "unsupported_format", "decode_failed", "image_too_large"}
    assert outcomes[corpus / "pillow" / "hostile" / "decompression_bomb.gif"] == "image_too_large"
    assert outcomes[corpus / "pillow" / "hostile" / "truncated_jpeg.jpg"] == "decode_failed"
    assert outcomes[corpus / "pillow" / "hostile" / "broken_data_stream.png"] == "decode_failed"
    assert outcomes[corpus / "pngsuite" / "xs1n0g01.png"] == "unsupported_format"  # a broken signature
    await still_works(pool)


async def test_a_hung_worker_is_killed_and_replaced(pool: ProcessorPool) -> None:
    started = time.monotonic()
    with pytest.raises(ItemFailure) as caught:
        await pool.run(time.sleep, 60)

    assert caught.value.code == "process_timeout"
    assert time.monotonic() - started < pool.timeout + 1.5
    await still_works(pool)


@pytest.mark.parametrize("crash", [(os._exit, 3), (ctypes.string_at, 0)], ids=["exit", "segfault"])
async def test_a_dead_worker_is_reported_and_replaced(pool: ProcessorPool, crash: tuple[object, int]) -> None:
    function, argument = crash
    with pytest.raises(ItemFailure) as caught:
        await pool.run(function, argument)  # type: ignore[arg-type]

    assert caught.value.code == "decode_failed"
    await still_works(pool)


async def test_the_event_loop_keeps_running_while_workers_work(pool: ProcessorPool) -> None:
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    await asyncio.gather(pool.run(time.sleep, 0.5), pool.run(sum, range(3_000_000)))
    ticking.cancel()
    assert max(gaps) < 0.1


async def test_errors_raised_by_the_function_come_back_as_they_are(pool: ProcessorPool) -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        await pool.run(int, "not a number")
    await still_works(pool)


async def test_a_cancelled_file_does_not_hold_its_worker(pool: ProcessorPool) -> None:
    running = asyncio.create_task(pool.run(time.sleep, 60))
    await asyncio.sleep(0.3)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await still_works(pool)


async def test_memory_limit_turns_exhaustion_into_an_item_failure() -> None:
    limited = ProcessorPool(workers=1, timeout=10, memory_limit=1024**3)
    try:
        with pytest.raises(ItemFailure) as caught:
            await limited.run(bytearray, 2 * 1024**3)
        assert caught.value.code == "image_too_large"
        assert await limited.run(pow, 3, 2) == 9
    finally:
        await limited.close()


async def test_a_worker_killed_while_idle_does_not_fail_the_next_file() -> None:
    single = ProcessorPool(workers=1)
    try:
        pid = await single.run(os.getpid)
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)  # the executor notices its worker is gone
        assert await single.run(pow, 2, 5) == 32
        assert await single.run(os.getpid) != pid
    finally:
        await single.close()


async def test_workers_are_recycled(tmp_path: Path) -> None:
    recycling = ProcessorPool(workers=1, recycle_after=2)
    try:
        pids = [await recycling.run(os.getpid) for _ in range(5)]
    finally:
        await recycling.close()
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
