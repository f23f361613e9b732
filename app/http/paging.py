"""Limit/offset paging: the page, and the headers saying whether there is more."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def page(rows: Sequence[T], limit: int, offset: int) -> tuple[list[T], dict[str, str]]:
    """`rows` was fetched with `limit + 1`: the extra row only says that more exist."""
    more = len(rows) > limit
    headers = {"X-Has-More": "true" if more else "false"}
    if more:
        headers["X-Next-Offset"] = str(offset + limit)
    return list(rows[:limit]), headers
