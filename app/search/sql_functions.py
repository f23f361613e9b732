"""The SQL functions the query formula's SQL calls, to be registered on every connection that runs it.

SQLite's own `lower()` and `LIKE` fold ASCII only, and it has no popcount, so these are Python.
Register them with `register_functions(connection)` (aiosqlite) or, on a plain sqlite3
connection, `connection.create_function(f.name, f.arity, f.implementation, deterministic=True)`
for each `f` in `SQL_FUNCTIONS`. Each returns NULL for a NULL (or non-text) argument, as
SQLite's own functions do, and never raises: an exception would fail the whole query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite

_WORD = re.compile(r"[^\W_]+")
_UNSIGNED_64 = (1 << 64) - 1


def fold(text: object) -> str | None:
    """For `=` on strings: ignoring case, accents and outer spaces."""
    if not isinstance(text, str):
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(character for character in decomposed if not unicodedata.combining(character))
    return unicodedata.normalize("NFC", bare.casefold()).strip()


def casefold(text: object) -> str | None:
    """For `==` on strings and `=` on lists: ignoring case only."""
    if not isinstance(text, str):
        return None
    return unicodedata.normalize("NFC", text).casefold()


def words(text: str) -> list[str]:
    """The words of a text as FTS5's unicode61 tokenizer sees them: runs of letters and digits."""
    return _WORD.findall(unicodedata.normalize("NFC", text))


def folded_words(text: str) -> list[str]:
    return _WORD.findall(fold(text) or "")


def match_words(text: object, mode: object, needle: object) -> int | None:
    """Whether `text` has the words of `needle` (folded words joined by spaces): `any` or `all`
    of them as word prefixes, or the `phrase`: the same words in a row."""
    if not isinstance(text, str) or not isinstance(needle, str):
        return None
    tokens = folded_words(text)
    query = needle.split()
    if not query:
        return 0
    if mode == "phrase":
        size = len(query)
        return int(any(tokens[start : start + size] == query for start in range(len(tokens) - size + 1)))
    found = (any(token.startswith(word) for token in tokens) for word in query)
    return int(all(found) if mode == "all" else any(found))


def hamming(first: object, second: object) -> int | None:
    """Bits that differ between two signed 64-bit perceptual hashes."""
    if not isinstance(first, int) or not isinstance(second, int):
        return None
    return ((first ^ second) & _UNSIGNED_64).bit_count()


@dataclass(frozen=True, slots=True)
class SqlFunction:
    name: str
    arity: int
    implementation: Callable[..., Any]


SQL_FUNCTIONS = (
    SqlFunction("fold", 1, fold),
    SqlFunction("casefold", 1, casefold),
    SqlFunction("match_words", 3, match_words),
    SqlFunction("hamming", 2, hamming),
)


async def register_functions(connection: aiosqlite.Connection) -> None:
    for function in SQL_FUNCTIONS:
        await connection.create_function(
            function.name, function.arity, function.implementation, deterministic=True
        )
