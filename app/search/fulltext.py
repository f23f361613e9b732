"""The library's `query` syntax (`+must -exclude "exact phrase" wild*`) translated to FTS5.

User text never reaches FTS5 syntax: every term becomes a double-quoted FTS5 string (quotes
doubled), so `"`, `*`, `NEAR(`, `-`, `AND` or parentheses are searched for as text. Plain
terms are optional: with `+` terms present they only raise the rank; without, any of them
matches. A term with no letters or digits in it cannot match anything and is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORD = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    prefix: bool = False

    def fts5(self) -> str:
        quoted = '"' + self.text.replace('"', '""') + '"'
        return quoted + "*" if self.prefix else quoted


@dataclass(frozen=True, slots=True)
class FullTextQuery:
    must: list[Term] = field(default_factory=list)
    should: list[Term] = field(default_factory=list)
    exclude: list[Term] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.must or self.should or self.exclude)

    def match_expression(self) -> str | None:
        """The FTS5 expression rows must match, or None when only exclusions were given."""
        if self.must:
            expression = " AND ".join(term.fts5() for term in self.must)
            if self.should:
                # Matches exactly what the must-terms match; BM25 also scores the optional
                # terms, so images having them rank higher.
                every = " OR ".join(term.fts5() for term in (*self.must, *self.should))
                expression = f"{expression} AND ({every})"
        elif self.should:
            expression = " OR ".join(term.fts5() for term in self.should)
        else:
            return None
        for term in self.exclude:
            expression = f"({expression}) NOT {term.fts5()}"
        return expression

    def exclusion_expression(self) -> str | None:
        """For a query of exclusions only: the FTS5 expression of what to leave out."""
        if self.match_expression() is not None or not self.exclude:
            return None
        return " OR ".join(term.fts5() for term in self.exclude)


def parse(text: str) -> FullTextQuery:
    """Split the query into its terms; never fails, whatever the text."""
    query = FullTextQuery()
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        sign = ""
        if text[position] in "+-":
            sign = text[position]
            position += 1
        if position < len(text) and text[position] == '"':
            end = text.find('"', position + 1)
            end = len(text) if end == -1 else end
            term = Term(text[position + 1 : end])
            position = end + 1
        else:
            end = position
            while end < len(text) and not text[end].isspace():
                end += 1
            word = text[position:end]
            position = end
            prefix = word.endswith("*")
            term = Term(word.rstrip("*"), prefix=prefix)
        if not _WORD.search(term.text):
            continue
        {"+": query.must, "-": query.exclude, "": query.should}[sign].append(term)
    return query
