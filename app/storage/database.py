"""All SQLite access: one writer connection fed in turn, and a pool of readers that never wait for it.

WAL mode lets readers see the last committed state while the writer works. Writes are
serialised by an asyncio lock in front of the single writer connection (FIFO, like a queue),
and every write transaction is `BEGIN IMMEDIATE`, so writers never fight for SQLite's lock
inside this process. Other processes (the command line) wait on `busy_timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

Params = Sequence[Any] | dict[str, Any]

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA temp_store = MEMORY",
)
# And on the readers:
READER_PRAGMAS = (
    "PRAGMA query_only = ON",
    # Pages read in place from the file's mapping, not copied into each connection's 2 MB cache:
    # a search that reads 14 000 scattered image rows went from 34 to 17 ms, the faceted
    # request of bench/search.py from 69-85 to 58 ms. The cost: a read error of the disk itself
    # ends the process (SIGBUS) rather than failing one request; nothing accepted is lost by
    # that (the queue is durable). Not for the writer: mapped, its batches were no faster
    # (docs/benchmarks.md, Search), so it would take the risk for nothing.
    "PRAGMA mmap_size = 1073741824",
)


OnConnect = Callable[[aiosqlite.Connection], Awaitable[None]]


async def _connect(path: Path, *, readonly: bool, on_connect: OnConnect | None) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        await connection.execute(pragma)
    for pragma in READER_PRAGMAS if readonly else ():
        await connection.execute(pragma)
    if on_connect is not None:
        await on_connect(connection)
    return connection


async def _rollback(connection: aiosqlite.Connection) -> None:
    # When BEGIN itself failed there is nothing to roll back, and SQLite says so.
    with contextlib.suppress(sqlite3.OperationalError):
        await connection.execute("ROLLBACK")


class Transaction:
    """The open write transaction; statements run on the writer connection."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        cursor = await self._connection.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._connection.executemany(sql, rows)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT; return the new rowid."""
        cursor = await self._connection.execute(sql, params)
        rowid = cursor.lastrowid
        if rowid is None:
            raise RuntimeError("INSERT produced no rowid")
        return rowid

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self._connection.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._connection.execute_fetchall(sql, params))

    async def lookup(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """As `Database.lookup`, on the writer: it sees this transaction's own writes."""
        return await self.fetch_one(sql, params)


class Database:
    """The data directory's SQLite file: `write()` for transactions, `fetch_*` for reads."""

    def __init__(self, path: Path, *, readers: int = 4, on_connect: OnConnect | None = None) -> None:
        """`on_connect` prepares every connection (the SQL functions queries call)."""
        self.path = path
        self._on_connect = on_connect
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        # Lookups by key have a reader of their own: a poll never queues behind searches.
        self._lookup_reader: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path, readonly=False, on_connect=self._on_connect)
        for _ in range(self._reader_count):
            reader = await _connect(self.path, readonly=True, on_connect=self._on_connect)
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)
        self._lookup_reader = await _connect(self.path, readonly=True, on_connect=self._on_connect)
        self._all_readers.append(self._lookup_reader)

    async def close(self) -> None:
        async with self._write_lock:
            for reader in self._all_readers:
                await reader.close()
            self._all_readers.clear()
            self._lookup_reader = None
            if self._writer is not None:
                await self._writer.execute("PRAGMA optimize")
                await self._writer.close()
                self._writer = None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        """One `BEGIN IMMEDIATE` transaction: committed on exit, rolled back on any exception."""
        async with self._write_lock:
            writer = self._connection()
            try:
                await writer.execute("BEGIN IMMEDIATE")
                yield Transaction(writer)
            except BaseException:
                # Shielded: a cancelled caller must still leave the connection usable. The
                # connection runs statements in order, so this follows a BEGIN that was still
                # queued when the caller was cancelled.
                await asyncio.shield(_rollback(writer))
                raise
            try:
                await asyncio.shield(writer.execute("COMMIT"))
            except sqlite3.Error:
                # A COMMIT that failed (a full disk, say) leaves the transaction open.
                await asyncio.shield(_rollback(writer))
                raise

    async def ensure_statistics(self) -> None:
        """Give the query planner table statistics once: without them it may scan an index
        range where a lookup by id would do (see app/search/image_similarity.py)."""
        row = await self.fetch_one("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if row is None:
            await self.execute_script("ANALYZE")

    async def execute_script(self, script: str) -> None:
        """Run a multi-statement script outside the transaction helpers (migrations)."""
        async with self._write_lock:
            await self._connection().executescript(script)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        reader = await self._readers.get()
        try:
            async with reader.execute(sql, params) as cursor:
                row: sqlite3.Row | None = await cursor.fetchone()
                return row
        finally:
            self._readers.put_nowait(reader)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        reader = await self._readers.get()
        try:
            # One trip to the reader's thread, not three (execute, fetch, close): each trip is a
            # wake-up of the loop, which under load waits its turn for the CPU and the GIL.
            return list(await reader.execute_fetchall(sql, params))
        finally:
            self._readers.put_nowait(reader)

    async def lookup(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The row a key names (at most one, by a unique index), on the lookup reader, which
        only such statements use: it answers in microseconds, whatever the searches are doing."""
        if self._lookup_reader is None:
            raise RuntimeError("the database is not open")
        rows = list(await self._lookup_reader.execute_fetchall(sql, params))
        return rows[0] if rows else None

    def _connection(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("the database is not open")
        return self._writer
