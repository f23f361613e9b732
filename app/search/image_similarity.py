"""Image similarity for the formula's `i~`, `i~~`, `i~~~`: thresholds, and the hashes kept in memory.

Scanning pHashes in SQL is too slow: measured on 100 000 images of one account (2 shared
cores), the row scan alone takes 27–33 ms, a Python `hamming()` SQL function adds about 80 ms
(~1 µs per call) and a pure-SQL popcount expression about 200 ms. So each account's hashes
are held here, in a dict, and scanned as numpy arrays built from it (0.2 ms for 100 000, where
a Python loop over the dict took 12; the arrays are built again, ~8 ms, after the dict
changes); the SQL then only gets the ids found, as one bound JSON array. The dict is
refreshed before every use from the rows whose `updated_at` moved (an index range on
`images_updated`); rows deleted since stay in it, harmlessly, since the SQL joins the ids
against `images`, until the next full reload. Every write of `phash` must therefore bump
`updated_at`, as `images_store.insert` and `update` do.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta

import numpy
from numpy.typing import NDArray

from app.search.formula_ast import And, Formula, ImageFilter, Not, Operator, Or
from app.storage.database import Database
from app.timestamps import format_time, now

# Hamming distances of 64-bit pHashes, from the measurements in docs/processor.md: resized or
# recompressed copies 0–2 bits, brightness changes up to 6, 5 % crops up to 14, different
# pictures 22 or more. So `~~~` (the same picture) stops at 6; `~~` (lightly edited) at 14,
# the largest crop distance seen; `~` (visually similar) at 20, which keeps two bits of
# margin below the closest pair of different pictures measured.
MAX_DISTANCE = {
    Operator.SUPER_SIMILAR: 6,
    Operator.VERY_SIMILAR: 14,
    Operator.SIMILAR: 20,
}
_LOOSEST = max(MAX_DISTANCE.values())
_UNSIGNED_64 = (1 << 64) - 1

# A write computes `updated_at` before it commits, so a row may become visible with a time a
# little older than the last refresh: every refresh reads this far back before the previous.
_REREAD = timedelta(seconds=10)

_ALL_HASHES = "SELECT image_id, phash, updated_at FROM images WHERE account_id = ? AND phash IS NOT NULL"
_CHANGED_HASHES = "SELECT image_id, phash, updated_at FROM images WHERE account_id = ? AND updated_at >= ?"
_HASH_OF = "SELECT phash FROM images WHERE account_id = ? AND external_id = ?"


@dataclass(frozen=True, slots=True)
class Neighbours:
    """An image's pHash and the images within the loosest threshold of it (itself included)."""

    phash: int
    distances: dict[int, int]  # image_id (row id) → Hamming distance

    def within(self, max_distance: int) -> list[int]:
        return sorted(image_id for image_id, distance in self.distances.items() if distance <= max_distance)


def similarity_references(formula: Formula | None) -> set[str]:
    """The external ids that `i~`-family filters refer to, negated ones included."""
    match formula:
        case ImageFilter(operator, image_id) if operator in MAX_DISTANCE:
            return {image_id}
        case Not(operand):
            return similarity_references(operand)
        case And(left, right) | Or(left, right):
            return similarity_references(left) | similarity_references(right)
        case _:
            return set()


@dataclass(slots=True)
class _AccountHashes:
    hashes: dict[int, int] = field(default_factory=dict)  # image_id → unsigned pHash
    read_since: str = ""  # the next refresh reads the rows updated since then
    loaded_at: float = 0.0  # time.monotonic() of the full load
    # `hashes` as two arrays in one order, image ids and hashes, for the scan; None once it changed.
    arrays: tuple[NDArray[numpy.int64], NDArray[numpy.uint64]] | None = None

    def set(self, image_id: int, phash: int | None) -> None:
        hashed = None if phash is None else phash & _UNSIGNED_64
        if self.hashes.get(image_id) == hashed:
            return  # rows read again (_REREAD) mostly hold what is here already
        if hashed is None:
            del self.hashes[image_id]
        else:
            self.hashes[image_id] = hashed
        self.arrays = None

    def near(self, phash: int) -> dict[int, int]:
        """image_id → Hamming distance, for the images within the loosest threshold of `phash`."""
        if self.arrays is None:
            count = len(self.hashes)
            self.arrays = (
                numpy.fromiter(self.hashes.keys(), dtype=numpy.int64, count=count),
                numpy.fromiter(self.hashes.values(), dtype=numpy.uint64, count=count),
            )
        image_ids, hashed = self.arrays
        distances = numpy.bitwise_count(hashed ^ numpy.uint64(phash & _UNSIGNED_64))
        near = numpy.flatnonzero(distances <= _LOOSEST)
        return dict(zip(image_ids[near].tolist(), distances[near].tolist(), strict=True))


class PhashIndex:
    """Every account's perceptual hashes in memory; one per process, shared by requests."""

    def __init__(self, *, reload_after: float = 600.0) -> None:
        self.reload_after = reload_after
        self._accounts: dict[int, _AccountHashes] = {}
        self._lock = asyncio.Lock()

    async def resolve(
        self, db: Database, account_id: int, formula: Formula | None
    ) -> dict[str, Neighbours | None]:
        """What `compile_formula` needs for the formula's similarity filters (None: no such
        image, or one without a hash yet)."""
        references = similarity_references(formula)
        if not references:
            return {}
        hashes = await self._hashes(db, account_id)
        found: dict[str, Neighbours | None] = {}
        for external_id in sorted(references):
            row = await db.fetch_one(_HASH_OF, (account_id, external_id))
            phash = None if row is None else row["phash"]
            found[external_id] = None if phash is None else Neighbours(phash, hashes.near(phash))
        return found

    async def _hashes(self, db: Database, account_id: int) -> _AccountHashes:
        async with self._lock:
            started = format_time(now() - _REREAD)
            entry = self._accounts.get(account_id)
            if entry is None or time.monotonic() - entry.loaded_at > self.reload_after:
                entry = _AccountHashes(loaded_at=time.monotonic())
                rows = await db.fetch_all(_ALL_HASHES, (account_id,))
                self._accounts[account_id] = entry
            else:
                rows = await db.fetch_all(_CHANGED_HASHES, (account_id, entry.read_since))
            for row in rows:
                entry.set(row["image_id"], row["phash"])
            entry.read_since = started
            return entry
