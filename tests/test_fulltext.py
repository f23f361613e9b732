"""The library's full-text syntax, parsed and translated to FTS5 (unit level)."""

from __future__ import annotations

import sqlite3

import pytest

from app.search.fulltext import Term, parse


@pytest.mark.parametrize(
    ("text", "must", "should", "exclude"),
    [
        ("sunset", [], [Term("sunset")], []),
        ("+boat -night dawn", [Term("boat")], [Term("dawn")], [Term("night")]),
        ('"exact phrase" wild*', [], [Term("exact phrase"), Term("wild", True)], []),
        ('+"two words"', [Term("two words")], [], []),
        ('-"not this"', [], [], [Term("not this")]),
        ('unbalanced "quote here', [], [Term("unbalanced"), Term("quote here")], []),
        ("- + * ** \"\" ( ) ' ", [], [], []),
        ("NEAR(a b)", [], [Term("NEAR(a"), Term("b)")], []),
    ],
    ids=["plain", "signs", "phrase-and-prefix", "must-phrase", "exclude-phrase", "unbalanced",
         "only-operators", "near"],
)  # fmt: skip
def test_terms(text: str, must: list[Term], should: list[Term], exclude: list[Term]) -> None:
    query = parse(text)
    assert (query.must, query.should, query.exclude) == (must, should, exclude)


def test_quotes_inside_terms_are_doubled() -> None:
    assert parse('say"hi').match_expression() == '"say""hi"'


@pytest.fixture
def fts() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")
    rows = [(1, "red boat at dawn"), (2, "red car at night"), (3, "Café crème"), (4, "blue boat")]
    connection.executemany("INSERT INTO t (rowid, body) VALUES (?, ?)", rows)
    return connection


def search(connection: sqlite3.Connection, text: str) -> set[int]:
    query = parse(text)
    expression = query.match_expression()
    if expression is not None:
        rows = connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,))
        return {row[0] for row in rows}
    exclusion = query.exclusion_expression()
    every = {row[0] for row in connection.execute("SELECT rowid FROM t")}
    if exclusion is None:
        return set()
    excluded = connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (exclusion,))
    return every - {row[0] for row in excluded}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("boat", {1, 4}),
        ("boat car", {1, 2, 4}),
        ("+red +boat", {1}),
        ("+red boat", {1, 2}),
        ("+red -night", {1}),
        ("-boat", {2, 3}),
        ('"red boat"', {1}),
        ('"boat red"', set()),
        ("bo*", {1, 4}),
        ("cafe", {3}),
        ("CRÈME", {3}),
        ('"', set()),
        ("NEAR(red", set()),
        ("red)", {1, 2}),
        ("+(red) -(night", {1}),
        ("red AND", {1, 2}),
        ("(((", set()),
        ("*", set()),
        ('"unbalanced red', set()),
        ("-", set()),
        ("OR", set()),
    ],
)
def test_hostile_and_ordinary_queries_run_in_fts5(
    fts: sqlite3.Connection, text: str, expected: set[int]
) -> None:
    assert search(fts, text) == expected
