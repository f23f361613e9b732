"""The database object: one writer, readers beside it, transactions that survive cancellation."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from app.storage.database import Database


async def test_a_write_cancelled_at_any_point_leaves_the_writer_usable(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3", readers=1)
    await db.open()
    try:
        async with db.write() as tx:
            await tx.execute("CREATE TABLE t (n INTEGER)")

        async def insert(n: int) -> None:
            async with db.write() as tx:
                await tx.execute("INSERT INTO t VALUES (?)", (n,))
                await asyncio.sleep(0)

        # Cancel writers at every early await, including the one on BEGIN.
        for n in range(50):
            task = asyncio.create_task(insert(n))
            for _ in range(n % 5):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        async with db.write() as tx:
            await tx.execute("INSERT INTO t VALUES (-1)")
        row = await db.fetch_one("SELECT count(*) AS n FROM t WHERE n = -1")
        assert row is not None and row["n"] == 1
    finally:
        await db.close()


async def test_readers_do_not_wait_for_an_open_write(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3", readers=2)
    await db.open()
    try:
        async with db.write() as tx:
            await tx.execute("CREATE TABLE t (n INTEGER)")
            await tx.execute("INSERT INTO t VALUES (1)")
        async with db.write() as tx:
            await tx.execute("INSERT INTO t VALUES (2)")
            # A reader sees the last committed state at once, while this write is open.
            row = await asyncio.wait_for(db.fetch_one("SELECT count(*) AS n FROM t"), 1)
            assert row is not None and row["n"] == 1
    finally:
        await db.close()


async def test_a_failed_commit_leaves_the_writer_usable(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3", readers=1)
    await db.open()
    try:
        async with db.write() as tx:
            await tx.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            await tx.execute(
                "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        # A deferred foreign key fails at COMMIT, not at the INSERT.
        with pytest.raises(sqlite3.IntegrityError):
            async with db.write() as tx:
                await tx.execute("INSERT INTO child VALUES (42)")
        async with db.write() as tx:
            await tx.execute("INSERT INTO parent VALUES (1)")
        row = await db.fetch_one("SELECT count(*) AS n FROM child")
        assert row is not None and row["n"] == 0
    finally:
        await db.close()


async def test_a_lookup_does_not_queue_behind_busy_readers(tmp_path: Path) -> None:
    import threading

    gate = threading.Event()

    async def with_gate(connection: aiosqlite.Connection) -> None:
        # A statement calling gate() holds its reader until the test opens the gate.
        await connection.create_function("gate", 0, lambda: gate.wait(10))

    db = Database(tmp_path / "db.sqlite3", readers=1, on_connect=with_gate)
    await db.open()
    try:
        async with db.write() as tx:
            await tx.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            await tx.execute("INSERT INTO t VALUES (7)")
        busy = asyncio.create_task(db.fetch_all("SELECT gate()"))
        await asyncio.sleep(0.05)
        # The only reader is held (a poll's lookup comes while searches fill the pool).
        row = await asyncio.wait_for(db.lookup("SELECT n FROM t WHERE n = ?", (7,)), 5)
        assert row is not None and row["n"] == 7
        assert await db.lookup("SELECT n FROM t WHERE n = ?", (8,)) is None
        assert not busy.done()
        gate.set()
        await busy
    finally:
        gate.set()
        await db.close()


async def test_readers_map_the_file_and_the_writer_does_not(tmp_path: Path) -> None:
    # Searches read pages in place from the mapping; the writer's batches were no faster mapped,
    # so it does not take the mapping's risk (app/storage/database.py).
    db = Database(tmp_path / "db.sqlite3", readers=1)
    await db.open()
    try:
        mapped = await db.fetch_one("PRAGMA mmap_size")
        looked_up = await db.lookup("PRAGMA mmap_size")
        async with db.write() as tx:
            written = await tx.fetch_one("PRAGMA mmap_size")
        assert mapped is not None and looked_up is not None and written is not None
        assert mapped[0] == looked_up[0] == 1 << 30 and written[0] == 0
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await db.fetch_one("CREATE TABLE t (n INTEGER)")
    finally:
        await db.close()
