"""The query formula compiled to a SQL condition on `images AS i`, with every value a bound parameter.

Use: `formula = parse_formula(q)`; `neighbours = await phash_index.resolve(db, account_id,
formula)`; `compiled = compile_formula(formula, account_id=..., neighbours=neighbours)`; then
`{compiled.fulltext().text} SELECT … FROM images AS i WHERE {compiled.where} ORDER BY …` with
the parameters of the WITH clause, then `compiled.params` (and, for `sort_by=similarity`,
`compiled.fulltext(scored=True)` and `compiled.order_by()` after them). The connection must have
the functions of `sql_functions.SQL_FUNCTIONS` registered.

The SQL text is built from the fixed fragments below only; user text reaches SQLite as
parameters, and FTS5 strings are made of words (letters and digits), quoted all the same.
A filter on a field an image lacks is NULL, false in WHERE; `!` is `IS NOT TRUE`, so that
`!f` holds for such images.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import msgspec

from app.errors import ValidationFailed
from app.processor.dominant_colours import PALETTE
from app.schemas.keywords import parse_keyword
from app.search.formula_ast import (
    And,
    DateFilter,
    Filter,
    Flag,
    FlagFilter,
    Formula,
    IdFilter,
    ImageFilter,
    ListField,
    ListFilter,
    Not,
    NumberField,
    NumberFilter,
    Operator,
    Or,
    OrientationFilter,
    PartialDate,
    StringField,
    StringFilter,
    TextFilter,
)
from app.search.image_similarity import MAX_DISTANCE, Neighbours
from app.search.sql_functions import casefold, fold, folded_words, words

# Weights of the images_fts columns title, description, keywords, filename, metadata (as /v1).
_BM25 = "bm25(images_fts, 10.0, 5.0, 8.0, 2.0, 3.0)"
# The spec's text fields; filename is not one of them. `metadata` holds the other strings,
# categories and collections; colour tags are not in images_fts and are searched beside it.
_FTS_COLUMNS = "{title description keywords metadata}"
# `r=1.78` should find 16:9 (1.7778) and `r=1.33` find 4:3: equality within a hundredth.
RATIO_TOLERANCE = 0.01
_RATIO = "(CAST(i.width AS REAL) / i.height)"
_INTEGER_ID = re.compile(r"0|-?[1-9][0-9]{0,17}")  # canonical and within SQLite's integers
_COMPARISON = {
    Operator.EQUAL: "=",
    Operator.LESS: "<",
    Operator.GREATER: ">",
    Operator.AT_MOST: "<=",
    Operator.AT_LEAST: ">=",
    Operator.ANY_OF: "=",  # each element of the list
}
_WORD_MODES = {Operator.SIMILAR: "any", Operator.VERY_SIMILAR: "all", Operator.SUPER_SIMILAR: "phrase"}
_STRING_COLUMNS = {
    StringField.TITLE: "title",
    StringField.HEADLINE: "headline",
    StringField.CAPTION: "description",
    StringField.ALT_TEXT: "alt_text",
    StringField.STATUS: "status",
    StringField.LOCATION: "location",
    StringField.CITY: "city",
    StringField.COUNTRY: "country",
    StringField.EVENT: "event",
    StringField.AUTHOR: "creator",
    StringField.PROVIDER: "provider",
    StringField.SHOT: "shot",
    StringField.SCENE: "scene",
    StringField.TECHNIQUE: "technique",
    StringField.MEDIUM: "medium",
    StringField.SRC: "src",
}
_NUMBER_COLUMNS = {
    NumberField.WIDTH: "i.width",
    NumberField.HEIGHT: "i.height",
    NumberField.N_PEOPLE: "i.n_faces",
}
_FLAG_COLUMNS = {
    Flag.AI_GENERATED: "i.ai_generated",
    Flag.NSFW: "i.nsfw",
    Flag.MODEL_RELEASE: "i.model_release",
    Flag.PROPERTY_RELEASE: "i.property_release",
}
# Python's whitespace among ASCII characters, which fold() strips.
_ASCII_WHITESPACE = "char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31)"
# As the index images_orientation has it (migration 0009), so that the index answers `o=`.
_ORIENTATION_OF = (
    "(CASE WHEN {0}.width > {0}.height THEN 'landscape' WHEN {0}.width < {0}.height THEN 'portrait'"
    " WHEN {0}.width = {0}.height THEN 'square' END)"
)
ORIENTATION = _ORIENTATION_OF.format("i")
# The string columns with an index of their folded values (migration 0009), and that key.
_FOLDED_INDEXED = frozenset(
    {
        "status",
        "location",
        "city",
        "country",
        "event",
        "creator",
        "provider",
        "shot",
        "scene",
        "technique",
        "medium",
    }
)
_FOLDED_KEY = (
    "(CASE WHEN typeof({0}) = 'text' AND length({0}) = length(CAST({0} AS BLOB))"
    f" THEN trim(lower({{0}}), {_ASCII_WHITESPACE})"
    " WHEN {0} IS NOT NULL THEN char(1) END)"
)
# The key of text that is not ASCII, in those indexes and in image_list_elements.
_NOT_ASCII = "char(1)"
# A full-text set of the WITH clause (CompiledFormula.fulltext), by its number.
_FULLTEXT = "fulltext_{}"
_KEYWORD_TEXT = "CASE WHEN k.namespace = '' THEN k.value ELSE k.namespace || ':' || k.value END"


@dataclass(frozen=True, slots=True)
class IdSet:
    """A SELECT of the ids of the images a condition holds for, whatever their account (its
    column `image_id`; `distinct`: no id twice). It reads only the side tables and the
    full-text sets (in a statement with the formula's WITH clause), not `images`."""

    select: Sql
    distinct: bool
    compound: bool = False  # INTERSECT or UNION of SELECTs


@dataclass(frozen=True, slots=True)
class Sql:
    """A piece of SQL and the parameters of its `?`, in order; for a condition that is a set of
    image ids (`i.image_id IN (…)`, and their AND and OR), that set as an IdSet; `probe`, when
    it has one, is the same condition (the same parameters, in order) tested image by image,
    `EXISTS (…)` on the side tables' index instead of building each set (see CompiledFormula)."""

    text: str
    params: tuple[Any, ...] = ()
    ids: IdSet | None = None
    probe: str | None = None


_FALSE = Sql("0")
_COMPOUND = {" AND ": " INTERSECT ", " OR ": " UNION "}


def _join(separator: str, parts: list[Sql]) -> Sql:
    probe = None
    if any(part.probe is not None for part in parts):
        probe = "(" + separator.join(part.probe or part.text for part in parts) + ")"
    return Sql(
        "(" + separator.join(part.text for part in parts) + ")",
        tuple(param for part in parts for param in part.params),
        _compound(_COMPOUND[separator], parts) if separator in _COMPOUND else None,
        probe,
    )


def _compound(operator: str, parts: list[Sql]) -> IdSet | None:
    """The parts' sets intersected or united, if each part is one. A compound SELECT takes no
    parentheses: a member that is a compound itself is read as a subquery."""
    members = []
    for part in parts:
        if part.ids is None:
            return None
        select = part.ids.select
        if part.ids.compound:
            select = Sql(f"SELECT image_id FROM ({select.text})", select.params)
        members.append(select)
    joined = Sql(operator.join(m.text for m in members), tuple(p for m in members for p in m.params))
    return IdSet(joined, distinct=True, compound=True)


@dataclass(frozen=True, slots=True)
class IndexedTerm:
    """A term of the formula's top-level `&&` that an index of `images` answers: `term`, as the
    WHERE clause writes it; `probe`, its index's range; `seek`, the same term as a look into
    that index for one image (with parameters of its own), which SQLite cannot drive by."""

    term: Sql
    probe: Sql
    seek: Sql

    def unindexed(self, where: Sql) -> Sql:
        """`where` with this term tested image by image in its index, so that another drives:
        computing the folded value from the row took twice as long as the look into the index.
        Each `?` of the text is a parameter (values are never pasted), so the parameters of each
        place the text is written are found by counting them; a place with other parameters
        (`!o=portrait` beside `o=landscape`) is another term, left as it is."""
        pieces = where.text.split(self.term.text)
        text, taken = pieces[0], pieces[0].count("?")
        params = list(where.params[:taken])
        for piece in pieces[1:]:
            written = where.params[taken : taken + len(self.term.params)]
            replaced = self.seek if written == self.term.params else Sql(self.term.text, written)
            taken += len(written)
            text += replaced.text + piece
            params += [*replaced.params, *where.params[taken : taken + piece.count("?")]]
            taken += piece.count("?")
        return Sql(text, tuple(params))


def _seek(index: str, term: str) -> str:
    """`term`, written on `images AS j`, looked up in `index` for the image `i`."""
    return (
        f"EXISTS (SELECT 1 FROM images AS j INDEXED BY {index}"
        f" WHERE j.account_id = i.account_id AND j.image_id = i.image_id AND {term})"
    )


def _folded_seek(column: str, value: str, account_id: int) -> Sql:
    """`=` on a folded string column (_folded_equal) as looks into its index for the image `i`:
    its folded value, or else, when the account has any text there that is not ASCII (one look,
    the same for every image), its char(1) key with the Python fold. Each image is one look
    where `IN (?, char(1))` took two: `a=jane doe && country` counted in 18 ms instead of 28."""
    index = f"images_{column}_folded"
    key = _FOLDED_KEY.format(f"j.{column}")
    any_not_ascii = (
        f"EXISTS (SELECT 1 FROM images AS k INDEXED BY {index}"
        f" WHERE k.account_id = ? AND {_FOLDED_KEY.format(f'k.{column}')} = {_NOT_ASCII})"
    )
    folded = fold(value)
    return Sql(
        f"({_seek(index, f'{key} = ?')} OR ({any_not_ascii}"
        f" AND {_seek(index, f'{key} = {_NOT_ASCII} AND fold(j.{column}) = ?')}))",
        (folded, account_id, folded),
    )


def _in(ids: IdSet, probe: str | None = None) -> Sql:
    """`i.image_id IN (…)`: the condition that is this set."""
    return Sql(f"i.image_id IN ({ids.select.text})", ids.select.params, ids, probe)


@dataclass(frozen=True, slots=True)
class _SideRows:
    """The rows of a side table (`table`, read as `alias`, with a column image_id) under
    `condition`: read as the set of their images, or probed for one image by its index."""

    table: str
    alias: str
    condition: Sql

    @property
    def select(self) -> Sql:
        return Sql(
            f"SELECT {self.alias}.image_id FROM {self.table} AS {self.alias} WHERE {self.condition.text}",
            self.condition.params,
        )

    @property
    def exists(self) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {self.table} AS {self.alias}"
            f" WHERE {self.alias}.image_id = i.image_id AND {self.condition.text})"
        )


def _either(parts: list[Sql]) -> Sql:
    """`part OR part …` without the parts that are false: `x IN (…) OR 0` is a condition SQLite
    no longer reads `x` from an index for."""
    kept = [part for part in parts if part != _FALSE]
    if not kept:
        return _FALSE
    return kept[0] if len(kept) == 1 else _join(" OR ", kept)


@dataclass(frozen=True, slots=True)
class CompiledFormula:
    where: str
    params: tuple[Any, ...]
    # For sort_by=similarity, best first: BM25 of each text filter, pHash distance of each
    # image similarity filter, in the formula's order (negated filters rank nothing).
    ranking: tuple[Sql, ...]
    account_id: int
    # The formula's images as a set of ids when it is one (text, keyword, list and colour
    # filters joined by && and ||), any account's: the answer where the account has every image.
    ids: IdSet | None
    # `where` with the sets of side-table rows probed image by image, and the indexed terms
    # looked up in their indexes, and its parameters: for a walk of images_newest that tests a
    # few hundred images, where building the sets would read every row of each (full-text
    # matches stay sets: FTS5 cannot probe one row cheaply), and the folded keys come from the
    # indexes.
    walk_where: str
    walk_params: tuple[Any, ...]
    # The top-level `&&` terms with an index, when more than one (one per index): the planner
    # knows only the average rows per value, so the caller may choose which drives.
    indexed: tuple[IndexedTerm, ...] = ()
    # The full-text queries the conditions read, in the order of their numbers (_FULLTEXT), and
    # whether sort_by=similarity ranks by each.
    fulltext_queries: tuple[tuple[str, bool], ...] = ()

    @property
    def has_similarity(self) -> bool:
        return bool(self.ranking)

    def fulltext(self, *, scored: bool = False) -> Sql:
        """The WITH clause of every statement on `where` (empty without full-text filters): each
        full-text query's matches, once. `scored`: with the BM25 score of those sort_by=similarity
        ranks by, for the page in that order: the where clause and the ranking then read one
        materialized set, where each ran the query (`t~~red boat`: 45 → 38 ms with sqlite3).
        Score every match once, then look each image up: `MATCH ? AND rowid = i.image_id` would
        run the whole query again for each image (minutes for a few thousand)."""
        if not self.fulltext_queries:
            return Sql("")
        tables = []
        for number, (_, ranked) in enumerate(self.fulltext_queries):
            name = _FULLTEXT.format(number)
            if scored and ranked:
                tables.append(
                    f"{name} AS MATERIALIZED (SELECT rowid AS image_id, {_BM25} AS score"
                    " FROM images_fts WHERE images_fts MATCH ?)"
                )
            else:
                # Read where it is used, as a subquery in its place: materialized, a set read
                # twice (a count's two branches) is copied first (t~harbour 33 → 45 ms over HTTP).
                tables.append(
                    f"{name} AS NOT MATERIALIZED"
                    " (SELECT rowid AS image_id FROM images_fts WHERE images_fts MATCH ?)"
                )
        return Sql("WITH " + ", ".join(tables), tuple(query for query, _ in self.fulltext_queries))

    def order_by(self, *, descending: bool = False) -> Sql:
        """The ORDER BY terms (without the keywords) for sort_by=similarity, in a statement
        whose WITH clause is `fulltext(scored=True)`; images a filter does not rank come last
        either way."""
        direction = "DESC" if descending else "ASC"
        terms = [Sql(f"{term.text} {direction} NULLS LAST", term.params) for term in self.ranking]
        joined = _join(", ", terms)
        return Sql(joined.text[1:-1], joined.params)


def compile_formula(
    formula: Formula | None, *, account_id: int, neighbours: Mapping[str, Neighbours | None] | None = None
) -> CompiledFormula:
    """`neighbours` must hold every id of `image_similarity.similarity_references(formula)`."""
    compiler = _Compiler(neighbours or {})
    where = Sql("i.account_id = ?", (account_id,))
    ids = None
    if formula is not None:
        condition = compiler.formula(formula, ranked=True)
        where, ids = _join(" AND ", [where, condition]), condition.ids
    indexed = _indexed_terms(formula, account_id)
    walk = Sql(where.probe or where.text, where.params)
    for term in indexed:
        walk = term.unindexed(walk)
    return CompiledFormula(
        where.text,
        where.params,
        tuple(compiler.ranking),
        account_id,
        ids,
        walk.text,
        walk.params,
        indexed if len(indexed) > 1 else (),
        tuple(compiler.fulltext.items()),
    )


def _conjuncts(formula: Formula) -> list[Formula]:
    if isinstance(formula, And):
        return [*_conjuncts(formula.left), *_conjuncts(formula.right)]
    return [formula]


def _indexed_terms(formula: Formula | None, account_id: int) -> tuple[IndexedTerm, ...]:
    """The terms of the top-level `&&` that an index answers: `=` on a string with an index of
    its folded values, and the orientation. An index named twice is left out (both terms'
    keys are the same text)."""
    terms: list[IndexedTerm] = []
    for term in _conjuncts(formula) if formula is not None else []:
        match term:
            case StringFilter(field, Operator.EQUAL, value) if _STRING_COLUMNS[field] in _FOLDED_INDEXED:
                column = _STRING_COLUMNS[field]
                key = _FOLDED_KEY.format(f"i.{column}")
                probe = Sql(f"{key} IN (?, {_NOT_ASCII})", (fold(value),))
                seek = _folded_seek(column, value, account_id)
                terms.append(IndexedTerm(_folded_equal(column, value), probe, seek))
            case OrientationFilter(orientation):
                probe = Sql(f"{ORIENTATION} = ?", (orientation.value,))
                seek = Sql(_seek("images_orientation", f"{_ORIENTATION_OF.format('j')} = ?"), probe.params)
                terms.append(IndexedTerm(probe, probe, seek))
    texts = [term.term.text for term in terms]
    return tuple(term for term in terms if texts.count(term.term.text) == 1)


class _Compiler:
    def __init__(self, neighbours: Mapping[str, Neighbours | None]) -> None:
        self.neighbours = neighbours
        self.ranking: list[Sql] = []
        # Each full-text query once, by its number in the WITH clause: whether it ranks.
        self.fulltext: dict[str, bool] = {}

    def formula(self, formula: Formula, *, ranked: bool) -> Sql:
        match formula:
            case Not(operand):
                inner = self.formula(operand, ranked=False)
                probe = None if inner.probe is None else f"({inner.probe} IS NOT TRUE)"
                return Sql(f"({inner.text} IS NOT TRUE)", inner.params, probe=probe)
            case And(left, right):
                return _join(" AND ", [self.formula(left, ranked=ranked), self.formula(right, ranked=ranked)])
            case Or(left, right):
                return _join(" OR ", [self.formula(left, ranked=ranked), self.formula(right, ranked=ranked)])
            case TextFilter(operator, text):
                return self._text(operator, text, ranked=ranked)
            case ImageFilter(operator, image_id):
                return self._image(operator, image_id, ranked=ranked)
            case _:
                return _filter(formula)

    def _text(self, operator: Operator, text: str, *, ranked: bool) -> Sql:
        found = words(text)
        if not found:
            return _FALSE
        prefixes = [_fts_string(word) + "*" for word in found]
        if operator is Operator.SUPER_SIMILAR:
            whole = f"{_FTS_COLUMNS} : {_fts_string(' '.join(found))}"
            colours = _colour_names(found[0], prefix=False) if len(found) == 1 else []
            sql = _either([self._fulltext(whole), _colours(colours)])
        elif operator is Operator.VERY_SIMILAR:
            whole = f"{_FTS_COLUMNS} : ({' AND '.join(prefixes)})"
            sql = self._fulltext(whole)
            colours = sorted({name for word in found for name in _colour_names(word, prefix=True)})
            if colours:
                # Word by word, a colour tag may stand for any one of the words. An image found
                # so and not by the words alone has one of those colours, so the word by word
                # test runs on those images only: SQLite starts from the two sets of ids.
                word_by_word = _join(
                    " AND ",
                    [
                        _either(
                            [
                                self._fulltext(f"{_FTS_COLUMNS} : {prefix}"),
                                _colours(_colour_names(word, prefix=True)),
                            ]
                        )
                        for prefix, word in zip(prefixes, found, strict=True)
                    ],
                )
                # Not a set of ids: an INTERSECT would read every match of each word, where
                # SQLite reads those of the few images with a colour.
                coloured = replace(_join(" AND ", [_colours(colours), word_by_word]), ids=None)
                sql = _either([sql, coloured])
        else:
            whole = f"{_FTS_COLUMNS} : ({' OR '.join(prefixes)})"
            colours = sorted({name for word in found for name in _colour_names(word, prefix=True)})
            sql = _either([self._fulltext(whole), _colours(colours)])
        if ranked:
            self.fulltext[whole] = True
            table = _FULLTEXT.format(list(self.fulltext).index(whole))
            self.ranking.append(Sql(f"(SELECT f.score FROM {table} AS f WHERE f.image_id = i.image_id)"))
        return sql

    def _fulltext(self, expression: str) -> Sql:
        """The images matching a full-text query: a table of the WITH clause."""
        self.fulltext.setdefault(expression, False)
        table = _FULLTEXT.format(list(self.fulltext).index(expression))
        return _in(IdSet(Sql(f"SELECT image_id FROM {table}"), distinct=True))

    def _image(self, operator: Operator, image_id: str, *, ranked: bool) -> Sql:
        if operator is Operator.EQUAL:
            return Sql("i.external_id = ?", (image_id,))
        if image_id not in self.neighbours:
            raise LookupError(f"image {image_id!r} was not resolved: see PhashIndex.resolve")
        neighbours = self.neighbours[image_id]
        if neighbours is None:
            return _FALSE
        if ranked:
            self.ranking.append(Sql("hamming(i.phash, ?)", (neighbours.phash,)))
        ids = neighbours.within(MAX_DISTANCE[operator])
        return Sql("i.image_id IN (SELECT value FROM json_each(?))", (msgspec.json.encode(ids).decode(),))


def _ascii_or(column: str, function: str, ascii: str) -> str:
    """`function(column)`, computed by SQLite's own `ascii` expression when the text is ASCII
    (its length in characters is its length in bytes): for ASCII text fold() and casefold()
    are lower() (and fold() a trim). A Python call per row costs 10–20 µs, seconds for a
    scan of 100 000 images; the Python function is left for the other strings only."""
    test = f"typeof({column}) = 'text' AND length({column}) = length(CAST({column} AS BLOB))"
    return f"(CASE WHEN {test} THEN {ascii.format(column)} ELSE {function}({column}) END)"


def _fold(column: str) -> str:
    return _ascii_or(column, "fold", f"trim(lower({{}}), {_ASCII_WHITESPACE})")


def _casefold(column: str) -> str:
    return _ascii_or(column, "casefold", "lower({})")


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _colours(names: list[str]) -> Sql:
    """The image has one of these colour tags (stored by their English names). A set read from
    image_colours, not a look into each image's colours: with that, `t~~red boat` read every
    image instead of starting from the full-text matches."""
    if not names:
        return _FALSE
    marks = ", ".join("?" for _ in names)
    having = _SideRows("image_colours", "c", Sql(f"c.name IN ({marks})", tuple(names)))
    return _in(IdSet(having.select, distinct=len(names) == 1), having.exists)


def _colour_names(word: str, *, prefix: bool) -> list[str]:
    folded = folded_words(word)
    if len(folded) != 1:  # a colour name is one word
        return []
    return [name for name in PALETTE if (name.startswith(folded[0]) if prefix else name == folded[0])]


def _filter(node: Filter) -> Sql:
    match node:
        case DateFilter(operator, date):
            return _date(operator, date)
        case IdFilter(operator, ids):
            return _join(" OR ", [_id(operator, value) for value in ids])
        case NumberFilter(field, operator, values):
            return _join(" OR ", [_number(field, operator, float(value)) for value in values])
        case OrientationFilter(orientation):
            return Sql(f"{ORIENTATION} = ?", (orientation.value,))
        case FlagFilter(field, value):
            return Sql(f"{_FLAG_COLUMNS[field]} = ?", (int(value),))
        case ListFilter(ListField.KEYWORDS, operator, values):
            return _keywords(operator, values)
        case ListFilter(field, Operator.EQUAL | Operator.ANY_OF as operator, values):
            return _list_elements(field.value, operator, values)
        case ListFilter(field, operator, values):
            return _json_list(f"i.{field.value}", operator, values)
        case StringFilter(field, Operator.EQUAL, value) if _STRING_COLUMNS[field] in _FOLDED_INDEXED:
            return _folded_equal(_STRING_COLUMNS[field], value)
        case StringFilter(field, operator, value):
            return _string(f"i.{_STRING_COLUMNS[field]}", operator, value)
        case _:  # text and image filters need the compiler's state
            raise TypeError(f"not a plain filter: {node!r}")


def _date(operator: Operator, date: PartialDate) -> Sql:
    first = f"{date.year:04d}-{date.month or 1:02d}-{date.day or 1:02d}"
    month = date.month or 12
    day = date.day or calendar.monthrange(date.year, month)[1]
    last = f"{date.year:04d}-{month:02d}-{day:02d}"
    # Stored dates are `YYYY-MM-DD` or RFC 3339 timestamps, whose first ten characters are the
    # day: the lower bounds compare whole strings, the upper ones the day.
    day_of = "substr(i.creation_date, 1, 10)"
    match operator:
        case Operator.LESS:
            return Sql("i.creation_date < ?", (first,))
        case Operator.AT_LEAST:
            return Sql("i.creation_date >= ?", (first,))
        case Operator.GREATER:
            return Sql(f"{day_of} > ?", (last,))
        case Operator.AT_MOST:
            return Sql(f"{day_of} <= ?", (last,))
        case _:
            return Sql(f"(i.creation_date >= ? AND {day_of} <= ?)", (first, last))


def _id(operator: Operator, value: str) -> Sql:
    comparison = _COMPARISON[operator]
    if _INTEGER_ID.fullmatch(value) is None:
        return Sql(f"i.external_id {comparison} ?", (value,))
    # Both sides integers: compare numbers, so that id<100 holds for 99 but not for 1000.
    return Sql(
        "(CASE WHEN CAST(CAST(i.external_id AS INTEGER) AS TEXT) = i.external_id"
        f" THEN CAST(i.external_id AS INTEGER) {comparison} ? ELSE i.external_id {comparison} ? END)",
        (int(value), value),
    )


def _number(field: NumberField, operator: Operator, value: float) -> Sql:
    if field is NumberField.RATIO:
        if operator in (Operator.EQUAL, Operator.ANY_OF):
            return Sql(f"abs({_RATIO} - ?) < ?", (value, RATIO_TOLERANCE))
        return Sql(f"{_RATIO} {_COMPARISON[operator]} ?", (value,))
    return Sql(f"{_NUMBER_COLUMNS[field]} {_COMPARISON[operator]} ?", (int(value),))


def _string(column: str, operator: Operator, value: str) -> Sql:
    match operator:
        case Operator.SIMILAR | Operator.VERY_SIMILAR | Operator.SUPER_SIMILAR:
            needle = " ".join(folded_words(value))
            if not needle:
                return _FALSE
            return Sql(f"match_words({column}, ?, ?)", (_WORD_MODES[operator], needle))
        case Operator.EQUAL_CASE:
            return Sql(f"{_casefold(column)} = ?", (casefold(value),))
        case Operator.IDENTICAL:
            return Sql(f"{column} = ?", (value,))
        case _:  # = and the ranges: alphabetical, ignoring case and accents
            return Sql(f"{_fold(column)} {_COMPARISON[operator]} ?", (fold(value),))


def _folded_equal(column: str, value: str, table: str = "i") -> Sql:
    """`=` on a string column with a folded index: its key is the folded value, or char(1) for
    text that is not ASCII, folded then in Python. For ASCII text the index alone answers:
    `fold()` is not reached, so the row is not read."""
    key = _FOLDED_KEY.format(f"{table}.{column}")
    folded = fold(value)
    return Sql(
        f"({key} IN (?, {_NOT_ASCII}) AND ({key} = ? OR fold({table}.{column}) = ?))",
        (folded, folded, folded),
    )


def _list_elements(field: str, operator: Operator, values: tuple[str, ...]) -> Sql:
    """`=` (all of them) and `∩` (any) ignoring case, from image_list_elements: the elements
    keyed by their casefolded text, or by char(1) when not ASCII, casefolded here in Python."""
    folded = [casefold(value) for value in values]

    def having(wanted: list[str | None]) -> _SideRows:
        marks = ", ".join("?" for _ in wanted)
        condition = Sql(
            f"e.field = ? AND e.folded IN ({marks}, {_NOT_ASCII})"
            f" AND (e.folded IN ({marks}) OR casefold(e.value) IN ({marks}))",
            (field, *wanted, *wanted, *wanted),
        )
        return _SideRows("image_list_elements", "e", condition)

    if operator is Operator.ANY_OF:
        return _all_of([having(folded)])
    return _all_of([having([value]) for value in folded])


def _all_of(sides: list[_SideRows]) -> Sql:
    """The images having rows in every one of these."""
    selects = [side.select for side in sides]
    joined = Sql(
        " INTERSECT ".join(select.text for select in selects),
        tuple(param for select in selects for param in select.params),
    )
    probe = " AND ".join(side.exists for side in sides)
    return _in(IdSet(joined, distinct=len(selects) > 1, compound=len(selects) > 1), f"({probe})")


def _json_list(column: str, operator: Operator, values: tuple[str, ...]) -> Sql:
    each = f"FROM json_each({column}) AS e WHERE"
    match operator:
        case Operator.SIMILAR:
            return _similar_elements(f"SELECT 1 {each}", "e.value", values)
        case _:
            every = _join(" AND ", [Sql(f"EXISTS (SELECT 1 {each} e.value = ?)", (v,)) for v in values])
            if operator is Operator.EQUAL_CASE:
                return every
            distinct = Sql(
                f"(SELECT count(DISTINCT e.value) FROM json_each({column}) AS e) = ?", (len(set(values)),)
            )
            return _join(" AND ", [every, distinct])


def _keywords(operator: Operator, values: tuple[str, ...]) -> Sql:
    each = "FROM image_keywords AS k WHERE k.image_id = i.image_id AND"
    if operator is Operator.SIMILAR:
        return _similar_elements(f"SELECT 1 {each}", _KEYWORD_TEXT, values)
    exact = operator in (Operator.EQUAL_CASE, Operator.IDENTICAL)
    # Ignoring case: `i.image_id IN (the images having it)`, which SQLite reads once from the
    # (namespace, value_folded) index, instead of probing the keywords of every image of the
    # account; the exact value has no index, so there the probe per image stays.
    having = (
        f"EXISTS (SELECT 1 {each}"
        if exact
        else "i.image_id IN (SELECT k.image_id FROM image_keywords AS k WHERE"
    )
    keywords = [_keyword(value, exact=exact) for value in values]
    if None in keywords:
        # A listed keyword no image can have: `=`, `==`, `===` need them all, `∩` the others.
        if operator is not Operator.ANY_OF:
            return _FALSE
        keywords = [keyword for keyword in keywords if keyword is not None]
        if not keywords:
            return _FALSE
    column = "k.value" if exact else "k.value_folded"
    tests = [
        Sql(f"(k.namespace = ? AND {column} = ?)", keyword) for keyword in keywords if keyword is not None
    ]
    if operator is Operator.ANY_OF:
        # One `value IN (…)` per namespace: a single range of the index, where an OR of the
        # pairs made SQLite merge a range per keyword (twice the time for three).
        values_of: dict[str, list[str]] = {}
        for namespace, value in (keyword for keyword in keywords if keyword is not None):
            values_of.setdefault(namespace, []).append(value)
        inner = _join(
            " OR ",
            [
                Sql(
                    f"(k.namespace = ? AND {column} IN ({', '.join('?' for _ in values)}))",
                    (namespace, *values),
                )
                for namespace, values in values_of.items()
            ],
        )
        if exact:
            return Sql(f"{having} {inner.text})", inner.params)
        having_any = _SideRows("image_keywords", "k", inner)
        return _in(IdSet(having_any.select, distinct=False), having_any.exists)
    if not exact:
        # Every one of them: the images of each keyword intersected, then looked up (two `IN`
        # lists probed image by image took half as long again, for `k=beach,sunset`).
        return _all_of([_SideRows("image_keywords", "k", test) for test in tests])
    every = _join(" AND ", [Sql(f"{having} {test.text})", test.params) for test in tests])
    if operator is not Operator.IDENTICAL:
        return every
    count = Sql(
        "(SELECT count(*) FROM image_keywords AS k WHERE k.image_id = i.image_id) = ?",
        (len({test.params for test in tests}),),
    )
    return _join(" AND ", [every, count])


def _keyword(text: str, *, exact: bool) -> tuple[str, str] | None:
    """`ns:value` as stored (namespace lowercase); None for what cannot be a keyword."""
    try:
        keyword = parse_keyword(text, "q")
    except ValidationFailed:
        return None
    return keyword.namespace or "", keyword.value if exact else keyword.folded


def _similar_elements(select: str, element: str, values: tuple[str, ...]) -> Sql:
    needles = [" ".join(folded_words(value)) for value in values]
    tests = [Sql(f"match_words({element}, 'all', ?)", (needle,)) for needle in needles if needle]
    if not tests:
        return _FALSE
    inner = _join(" OR ", tests)
    return Sql(f"EXISTS ({select} {inner.text})", inner.params)
