"""The search API's query formula (`q`): parsed by recursive descent into formula_ast, and printed back.

The grammar, loosest first: `a || b`, `a && b`, `!a`, `( … )` or a filter
`<acronym><operator><value>`. A value runs to the next `&&`, `||`, `)` or the end, trimmed, or
is double-quoted with `\\"` and `\\\\` escapes; in a list each element may be quoted, so an
element may hold a comma. Every problem is a `QueryFormulaError` carrying `position`, the
0-based offset in `q` where it starts. `print_formula` writes canonical text that parses back
to the same tree.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import ClassVar

from app.errors import ApiError
from app.search.formula_ast import (
    RANGE,
    SIMILARITY,
    And,
    DateFilter,
    Family,
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
    Orientation,
    OrientationFilter,
    PartialDate,
    StringField,
    StringFilter,
    TextFilter,
)
from app.search.sql_functions import words

# Bounds that keep parsing, printing and compiling (all recursive) far from Python's and
# SQLite's depth limits, and the SQL within SQLite's number of bound parameters.
MAX_FILTERS = 200
MAX_DEPTH = 50
MAX_ID_LENGTH = 256


class QueryFormulaError(ApiError):
    """`q` is not a valid formula; `position` is where the problem starts."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "query_invalid"
    default_message: ClassVar[str] = "The query formula is not valid."

    def __init__(self, message: str, position: int) -> None:
        # `position` is a member of the error object itself, as imgs.md has it.
        super().__init__(message, field="q", extra={"position": position})
        self.position = position


class UnsupportedFilter(QueryFormulaError):
    code: ClassVar[str] = "unsupported_filter"


@dataclass(frozen=True, slots=True)
class _Row:
    """One row of the filter table."""

    family: Family
    field: Enum | None
    acronyms: tuple[str, ...]  # the first is the one print_formula writes
    operators: frozenset[Operator]


_O = Operator
_COMPARE = frozenset({_O.EQUAL, *RANGE})
_ROWS = (
    _Row(Family.TEXT, None, ("t", "txt", "text"), SIMILARITY),
    _Row(Family.IMAGE, None, ("i", "img", "image"), frozenset({_O.EQUAL, *SIMILARITY})),
    _Row(Family.PERSON, None, ("p", "person"), frozenset()),
    _Row(Family.DATE, None, ("d", "date"), _COMPARE),
    _Row(Family.ID, None, ("id",), _COMPARE | {_O.ANY_OF}),
    _Row(Family.NUMBER, NumberField.RATIO, ("r", "ratio"), _COMPARE | {_O.ANY_OF}),
    _Row(Family.NUMBER, NumberField.N_PEOPLE, ("n", "n_people"), _COMPARE),
    _Row(Family.NUMBER, NumberField.WIDTH, ("w", "width"), _COMPARE | {_O.ANY_OF}),
    _Row(Family.NUMBER, NumberField.HEIGHT, ("h", "height"), _COMPARE | {_O.ANY_OF}),
    _Row(Family.ORIENTATION, None, ("o", "orientation"), frozenset({_O.EQUAL})),
    *(
        _Row(Family.FLAG, flag, acronyms, frozenset({_O.EQUAL}))
        for flag, acronyms in (
            (Flag.AI_GENERATED, ("ai",)),
            (Flag.NSFW, ("nsfw",)),
            (Flag.MODEL_RELEASE, ("mr", "model_release")),
            (Flag.PROPERTY_RELEASE, ("pr", "property_release")),
        )
    ),
    *(
        _Row(
            Family.LIST,
            field,
            acronyms,
            frozenset({_O.EQUAL, _O.EQUAL_CASE, _O.IDENTICAL, _O.ANY_OF, _O.SIMILAR}),
        )
        for field, acronyms in (
            (ListField.KEYWORDS, ("k", "key", "keywords")),
            (ListField.CATEGORIES, ("cat", "categories")),
            (ListField.COLLECTIONS, ("col", "collections")),
        )
    ),
    *(
        _Row(Family.STRING, field, acronyms, _COMPARE | SIMILARITY | {_O.EQUAL_CASE, _O.IDENTICAL})
        for field, acronyms in (
            (StringField.TITLE, ("title",)),
            (StringField.HEADLINE, ("headline",)),
            (StringField.CAPTION, ("caption",)),
            (StringField.ALT_TEXT, ("alt",)),
            (StringField.STATUS, ("s", "status")),
            (StringField.LOCATION, ("loc", "location")),
            (StringField.CITY, ("city",)),
            (StringField.COUNTRY, ("country",)),
            (StringField.EVENT, ("e", "event")),
            (StringField.AUTHOR, ("a", "author")),
            (StringField.PROVIDER, ("prov", "provider")),
            (StringField.SHOT, ("shot",)),
            (StringField.SCENE, ("scene",)),
            (StringField.TECHNIQUE, ("tech", "technique")),
            (StringField.MEDIUM, ("med", "medium")),
            (StringField.SRC, ("src",)),
        )
    ),
)
_BY_ACRONYM = {acronym: row for row in _ROWS for acronym in row.acronyms}
_ACRONYM_OF: dict[tuple[Family, Enum | None], str] = {
    (row.family, row.field): row.acronyms[0] for row in _ROWS
}

# Longest first, so that `~~~` is not read as `~` followed by a value `~~`.
_OPERATORS = sorted(
    {
        **{op.value: op for op in Operator},
        ":": _O.EQUAL,
        "=<": _O.AT_MOST,
        "≤": _O.AT_MOST,
        "=>": _O.AT_LEAST,
        "≥": _O.AT_LEAST,
        "^=": _O.ANY_OF,
    }.items(),
    key=lambda item: -len(item[0]),
)

_ACRONYM = re.compile(r"\w+")
_END_OF_VALUE = re.compile(r"&&|\|\||\)")
_END_OF_ELEMENT = re.compile(r"&&|\|\||\)|,")
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")
_WHOLE = re.compile(r"[0-9]{1,15}")
_DECIMAL = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,15})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True, slots=True)
class _Value:
    text: str
    position: int


def parse_formula(q: str) -> Formula | None:
    """The formula's tree; None for an empty (or blank) `q`, which matches every image."""
    return _Parser(q).formula()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.depth = 0
        self.filters = 0

    def formula(self) -> Formula | None:
        self._skip_spaces()
        if self._at_end():
            return None
        formula = self._or()
        if not self._at_end():
            found = "a ) without its (" if self._peek(")") else "more text"
            raise QueryFormulaError(f"Expected && or || here, found {found}.", self.position)
        return formula

    def _or(self) -> Formula:
        formula = self._and()
        while self._take("||"):
            formula = Or(formula, self._and())
        return formula

    def _and(self) -> Formula:
        formula = self._not()
        while self._take("&&"):
            formula = And(formula, self._not())
        return formula

    def _not(self) -> Formula:
        start = self.position
        if self._take("!"):
            self._enter(start)
            operand = self._not()
            self.depth -= 1
            return Not(operand)
        return self._primary()

    def _primary(self) -> Formula:
        start = self.position
        if self._take("("):
            self._enter(start)
            if self._peek(")"):
                raise QueryFormulaError("Expected a filter inside the parentheses.", self.position)
            formula = self._or()
            if not self._take(")"):
                raise QueryFormulaError("This ( is never closed.", start)
            self.depth -= 1
            return formula
        return self._filter()

    def _filter(self) -> Filter:
        start = self.position
        match = _ACRONYM.match(self.text, start)
        if match is None:
            if self._at_end():
                raise QueryFormulaError("Expected a filter, but the formula ends.", start)
            raise QueryFormulaError(f"Expected a filter such as t~word, found {self.text[start]!r}.", start)
        self.filters += 1
        if self.filters > MAX_FILTERS:
            raise QueryFormulaError(f"A formula holds at most {MAX_FILTERS} filters.", start)
        row = _BY_ACRONYM.get(match[0].lower())
        if row is None:
            raise QueryFormulaError(f"Unknown filter {match[0]!r}.", start)
        if row.family is Family.PERSON:
            raise UnsupportedFilter("This server does no face recognition: no person filter.", start)
        self.position = match.end()
        self._skip_spaces()
        operator_position = self.position
        operator = self._operator(match[0])
        if operator not in row.operators:
            allowed = " ".join(op.value for op in Operator if op in row.operators)
            raise QueryFormulaError(
                f"{match[0]} does not take {operator.value}; it takes {allowed}.", operator_position
            )
        self._skip_spaces()
        if row.family is Family.LIST or operator is Operator.ANY_OF:
            return _build(row, operator, self._list())
        return _build(row, operator, [self._value(_END_OF_VALUE)])

    def _operator(self, acronym: str) -> Operator:
        for spelling, operator in _OPERATORS:
            if self.text.startswith(spelling, self.position):
                self.position += len(spelling)
                return operator
        hint = f" (for 'not equal' write !{acronym}=…)" if self._peek("!=") else ""
        raise QueryFormulaError(f"Expected an operator after {acronym}{hint}.", self.position)

    def _list(self) -> list[_Value]:
        values = [self._value(_END_OF_ELEMENT)]
        while self._take(","):
            values.append(self._value(_END_OF_ELEMENT))
        return values

    def _value(self, end: re.Pattern[str]) -> _Value:
        self._skip_spaces()
        start = self.position
        if self._peek('"'):
            value = _Value(self._quoted(), start)
            self._skip_spaces()
            if not self._at_end() and not end.match(self.text, self.position):
                raise QueryFormulaError("Unexpected text after the closing quote.", self.position)
        else:
            found = end.search(self.text, start)
            stop = len(self.text) if found is None else found.start()
            value = _Value(self.text[start:stop].strip(), start)
            self.position = stop
        if not value.text:
            raise QueryFormulaError("Missing value.", start)
        return value

    def _quoted(self) -> str:
        start = self.position
        self.position += 1
        characters: list[str] = []
        while self.position < len(self.text):
            character = self.text[self.position]
            if character == '"':
                self.position += 1
                return "".join(characters)
            if character == "\\":
                escaped = self.text[self.position + 1 : self.position + 2]
                if escaped not in ('"', "\\"):
                    raise QueryFormulaError('Only \\" and \\\\ are escapes inside quotes.', self.position)
                characters.append(escaped)
                self.position += 2
            else:
                characters.append(character)
                self.position += 1
        raise QueryFormulaError("This quote is never closed.", start)

    def _enter(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryFormulaError(f"Nested deeper than {MAX_DEPTH} levels.", position)

    def _take(self, token: str) -> bool:
        self._skip_spaces()
        if self.text.startswith(token, self.position):
            self.position += len(token)
            self._skip_spaces()
            return True
        return False

    def _peek(self, token: str) -> bool:
        return self.text.startswith(token, self.position)

    def _skip_spaces(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def _at_end(self) -> bool:
        return self.position >= len(self.text)


def _build(row: _Row, operator: Operator, values: list[_Value]) -> Filter:
    first = values[0]
    match row.family:
        case Family.TEXT:
            return TextFilter(operator, _words(first))
        case Family.IMAGE:
            return ImageFilter(operator, _image_id(first))
        case Family.DATE:
            return DateFilter(operator, _date(first))
        case Family.ID:
            return IdFilter(operator, tuple(_image_id(value) for value in values))
        case Family.NUMBER:
            assert isinstance(row.field, NumberField)
            whole = row.field is not NumberField.RATIO
            return NumberFilter(row.field, operator, tuple(_number(value, whole=whole) for value in values))
        case Family.ORIENTATION:
            return OrientationFilter(_orientation(first))
        case Family.FLAG:
            assert isinstance(row.field, Flag)
            return FlagFilter(row.field, _boolean(first))
        case Family.LIST:
            assert isinstance(row.field, ListField)
            texts = tuple(_words(value) if operator is Operator.SIMILAR else value.text for value in values)
            return ListFilter(row.field, operator, texts)
        case _:
            assert isinstance(row.field, StringField)
            text = _words(first) if operator in SIMILARITY else first.text
            return StringFilter(row.field, operator, text)


def _words(value: _Value) -> str:
    if not words(value.text):
        raise QueryFormulaError("Nothing to search for: give at least one word.", value.position)
    return value.text


def _image_id(value: _Value) -> str:
    if len(value.text) > MAX_ID_LENGTH:
        raise QueryFormulaError(f"An id has at most {MAX_ID_LENGTH} characters.", value.position)
    control = _CONTROL.search(value.text)
    if control is not None:
        raise QueryFormulaError("An id holds no control characters.", value.position)
    return value.text


def _date(value: _Value) -> PartialDate:
    match = _DATE.fullmatch(value.text)
    if match is None:
        raise QueryFormulaError(f"Not a date: {value.text!r} (YYYY, YYYY-M or YYYY-M-D).", value.position)
    year = int(match[1])
    month = None if match[2] is None else int(match[2])
    day = None if match[3] is None else int(match[3])
    if year < 1 or (month is not None and not 1 <= month <= 12):
        raise QueryFormulaError(f"No such date: {value.text!r}.", value.position)
    if month is not None and day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise QueryFormulaError(f"No such date: {value.text!r}.", value.position)
    return PartialDate(year, month, day)


def _number(value: _Value, *, whole: bool) -> Decimal:
    if (_WHOLE if whole else _DECIMAL).fullmatch(value.text) is None:
        kind = "a whole number" if whole else "a number such as 1.5"
        raise QueryFormulaError(f"Not {kind}: {value.text!r}.", value.position)
    return Decimal(value.text)


def _orientation(value: _Value) -> Orientation:
    try:
        return Orientation(value.text.lower())
    except ValueError:
        raise QueryFormulaError(
            f"Not an orientation: {value.text!r} (landscape, portrait or square).", value.position
        ) from None


def _boolean(value: _Value) -> bool:
    found = _BOOLEANS.get(value.text.lower())
    if found is None:
        raise QueryFormulaError(f"Not a boolean: {value.text!r} (true or false).", value.position)
    return found


def has_similarity_filter(formula: Formula | None) -> bool:
    """Whether `sort_by=similarity` has something to rank by: a text or image similarity filter
    that is not negated."""
    match formula:
        case TextFilter():
            return True
        case ImageFilter(operator=operator):
            return operator in SIMILARITY
        case And(left, right) | Or(left, right):
            return has_similarity_filter(left) or has_similarity_filter(right)
        case _:
            return False


def print_formula(formula: Formula | None) -> str:
    """Canonical text for the tree: parse_formula(print_formula(f)) == f."""
    match formula:
        case None:
            return ""
        case Not(operand):
            inner = print_formula(operand)
            return f"!({inner})" if isinstance(operand, And | Or) else f"!{inner}"
        case And(left, right):
            return f"{_operand(left, (Or,))} && {_operand(right, (And, Or))}"
        case Or(left, right):
            return f"{print_formula(left)} || {_operand(right, (Or,))}"
        case _:
            return _print_filter(formula)


def _operand(formula: Formula, parenthesised: tuple[type, ...]) -> str:
    text = print_formula(formula)
    return f"({text})" if isinstance(formula, parenthesised) else text


def _print_filter(node: Filter) -> str:
    match node:
        case TextFilter(operator, text):
            return f"{_ACRONYM_OF[Family.TEXT, None]}{operator}{_text(text)}"
        case ImageFilter(operator, image_id):
            return f"{_ACRONYM_OF[Family.IMAGE, None]}{operator}{_text(image_id)}"
        case DateFilter(operator, date):
            return f"{_ACRONYM_OF[Family.DATE, None]}{operator}{date}"
        case IdFilter(operator, ids):
            return f"{_ACRONYM_OF[Family.ID, None]}{operator}{_list(ids)}"
        case NumberFilter(field, operator, values):
            return f"{_ACRONYM_OF[Family.NUMBER, field]}{operator}{','.join(format(v, 'f') for v in values)}"
        case OrientationFilter(orientation):
            return f"{_ACRONYM_OF[Family.ORIENTATION, None]}={orientation}"
        case FlagFilter(field, value):
            return f"{_ACRONYM_OF[Family.FLAG, field]}={'true' if value else 'false'}"
        case ListFilter(field, operator, values):
            return f"{_ACRONYM_OF[Family.LIST, field]}{operator}{_list(values)}"
        case StringFilter(field, operator, value):
            return f"{_ACRONYM_OF[Family.STRING, field]}{operator}{_text(value)}"


# A bare value must not be mistaken for part of the operator or for the next token.
_NEEDS_QUOTES = re.compile(r'^["=<>:~^≤≥∩]|^\s|\s$|&&|\|\||\)')


def _text(value: str, *, in_list: bool = False) -> str:
    if value and not _NEEDS_QUOTES.search(value) and not (in_list and "," in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(values: tuple[str, ...]) -> str:
    return ",".join(_text(value, in_list=True) for value in values)
