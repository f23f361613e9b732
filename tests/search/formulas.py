"""Hypothesis strategies: formula trees, and texts writing them in any spelling the spec allows."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

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
    Orientation,
    OrientationFilter,
    PartialDate,
    StringField,
    StringFilter,
    TextFilter,
)
from app.search.sql_functions import words

Op = Operator
SIMILARITY = [Op.SIMILAR, Op.VERY_SIMILAR, Op.SUPER_SIMILAR]
COMPARE = [Op.EQUAL, Op.LESS, Op.GREATER, Op.AT_MOST, Op.AT_LEAST]

# The spec's table, written out again so that the tests check the parser against it.
TEXT_ACRONYMS = ("t", "txt", "text")
IMAGE_ACRONYMS = ("i", "img", "image")
DATE_ACRONYMS = ("d", "date")
NUMBER_ACRONYMS = {
    NumberField.RATIO: ("r", "ratio"),
    NumberField.N_PEOPLE: ("n", "n_people"),
    NumberField.WIDTH: ("w", "width"),
    NumberField.HEIGHT: ("h", "height"),
}
ORIENTATION_ACRONYMS = ("o", "orientation")
FLAG_ACRONYMS = {
    Flag.AI_GENERATED: ("ai",),
    Flag.NSFW: ("nsfw",),
    Flag.MODEL_RELEASE: ("mr", "model_release"),
    Flag.PROPERTY_RELEASE: ("pr", "property_release"),
}
LIST_ACRONYMS = {
    ListField.KEYWORDS: ("k", "key", "keywords"),
    ListField.CATEGORIES: ("cat", "categories"),
    ListField.COLLECTIONS: ("col", "collections"),
}
STRING_ACRONYMS = {
    StringField.TITLE: ("title",),
    StringField.HEADLINE: ("headline",),
    StringField.CAPTION: ("caption",),
    StringField.ALT_TEXT: ("alt",),
    StringField.STATUS: ("s", "status"),
    StringField.LOCATION: ("loc", "location"),
    StringField.CITY: ("city",),
    StringField.COUNTRY: ("country",),
    StringField.EVENT: ("e", "event"),
    StringField.AUTHOR: ("a", "author"),
    StringField.PROVIDER: ("prov", "provider"),
    StringField.SHOT: ("shot",),
    StringField.SCENE: ("scene",),
    StringField.TECHNIQUE: ("tech", "technique"),
    StringField.MEDIUM: ("med", "medium"),
    StringField.SRC: ("src",),
}
OPERATOR_SPELLINGS = {
    Op.EQUAL: ("=", ":"),
    Op.AT_MOST: ("<=", "=<", "≤"),
    Op.AT_LEAST: (">=", "=>", "≥"),
    Op.ANY_OF: ("∩", "^="),
}
BOOLEAN_SPELLINGS = {True: ("true", "1", "yes"), False: ("false", "0", "no")}

texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)  # no lone surrogates
worded = st.one_of(
    st.from_regex(r"[a-zA-Zé0-9 ]{0,4}[a-z0-9][a-zA-Z0-9 '\"()&|,]{0,8}", fullmatch=True), texts
).filter(lambda text: bool(words(text)))
ids = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
whole = st.integers(0, 10**15 - 1).map(Decimal)
ratio = st.one_of(
    whole, st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(lambda p: Decimal(f"{p[0]}.{p[1]}"))
)


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    day = draw(st.dates(min_value=date(1, 1, 1)))
    precision = draw(st.sampled_from(["year", "month", "day"]))
    if precision == "year":
        return PartialDate(day.year)
    if precision == "month":
        return PartialDate(day.year, day.month)
    return PartialDate(day.year, day.month, day.day)


def _listed(values: st.SearchStrategy[Any], operator: Operator) -> st.SearchStrategy[tuple[Any, ...]]:
    if operator is Op.ANY_OF:
        return st.lists(values, min_size=1, max_size=3).map(tuple)
    return values.map(lambda value: (value,))


@st.composite
def _number_filters(draw: st.DrawFn) -> NumberFilter:
    field = draw(st.sampled_from(NumberField))
    operators = COMPARE if field is NumberField.N_PEOPLE else [*COMPARE, Op.ANY_OF]
    operator = draw(st.sampled_from(operators))
    values = draw(_listed(ratio if field is NumberField.RATIO else whole, operator))
    return NumberFilter(field, operator, values)


@st.composite
def _id_filters(draw: st.DrawFn) -> IdFilter:
    operator = draw(st.sampled_from([*COMPARE, Op.ANY_OF]))
    return IdFilter(operator, draw(_listed(ids, operator)))


@st.composite
def _list_filters(draw: st.DrawFn) -> ListFilter:
    operator = draw(st.sampled_from([Op.EQUAL, Op.EQUAL_CASE, Op.IDENTICAL, Op.ANY_OF, Op.SIMILAR]))
    element = worded if operator is Op.SIMILAR else texts
    values = draw(st.lists(element, min_size=1, max_size=3))
    return ListFilter(draw(st.sampled_from(ListField)), operator, tuple(values))


@st.composite
def _string_filters(draw: st.DrawFn) -> StringFilter:
    operator = draw(st.sampled_from(list(Operator)).filter(lambda op: op is not Op.ANY_OF))
    value = draw(worded if operator in SIMILARITY else texts)
    return StringFilter(draw(st.sampled_from(StringField)), operator, value)


def filters() -> st.SearchStrategy[Filter]:
    return st.one_of(
        st.builds(TextFilter, st.sampled_from(SIMILARITY), worded),
        st.builds(ImageFilter, st.sampled_from([Op.EQUAL, *SIMILARITY]), ids),
        st.builds(DateFilter, st.sampled_from(COMPARE), partial_dates()),
        _id_filters(),
        _number_filters(),
        st.builds(OrientationFilter, st.sampled_from(Orientation)),
        st.builds(FlagFilter, st.sampled_from(Flag), st.booleans()),
        _list_filters(),
        _string_filters(),
    )


def formulas(max_leaves: int = 8) -> st.SearchStrategy[Formula]:
    return st.recursive(
        filters(),
        lambda children: st.one_of(
            st.builds(Not, children), st.builds(And, children, children), st.builds(Or, children, children)
        ),
        max_leaves=max_leaves,
    )


# ---- writing a tree as a user might: any alias, any case, spaces, quotes, extra parentheses


_BARE_UNSAFE = re.compile(r'^["=<>:~^≤≥∩]|^\s|\s$|&&|\|\||\)|[&|]$')  # and a user would quote a&


def _spaces(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "", " ", "  ", "\t"]))


def _acronym(draw: st.DrawFn, spellings: tuple[str, ...]) -> str:
    acronym = draw(st.sampled_from(spellings))
    return draw(st.sampled_from([acronym, acronym.upper(), acronym.capitalize()]))


def _operator(draw: st.DrawFn, operator: Operator) -> str:
    return draw(st.sampled_from(OPERATOR_SPELLINGS.get(operator, (operator.value,))))


def _value(draw: st.DrawFn, value: str, *, in_list: bool = False) -> str:
    bare_ok = not _BARE_UNSAFE.search(value) and not (in_list and "," in value)
    if bare_ok and draw(st.booleans()):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _values(draw: st.DrawFn, values: tuple[str, ...]) -> str:
    return ",".join(_spaces(draw) + _value(draw, value, in_list=True) + _spaces(draw) for value in values)


def _date(draw: st.DrawFn, day: PartialDate) -> str:
    pad = draw(st.booleans())
    parts = [f"{day.year:04d}"] + [
        f"{part:02d}" if pad else str(part) for part in (day.month, day.day) if part
    ]
    return "-".join(parts)


def _filter(draw: st.DrawFn, node: Filter) -> str:
    match node:
        case TextFilter(operator, text):
            head, value = _acronym(draw, TEXT_ACRONYMS) + _operator(draw, operator), _value(draw, text)
        case ImageFilter(operator, image_id):
            head, value = _acronym(draw, IMAGE_ACRONYMS) + _operator(draw, operator), _value(draw, image_id)
        case DateFilter(operator, day):
            head, value = _acronym(draw, DATE_ACRONYMS) + _operator(draw, operator), _date(draw, day)
        case IdFilter(operator, values):
            head, value = _acronym(draw, ("id",)) + _operator(draw, operator), _values(draw, values)
        case NumberFilter(field, operator, numbers):
            head = _acronym(draw, NUMBER_ACRONYMS[field]) + _operator(draw, operator)
            value = ",".join(format(number, "f") for number in numbers)
        case OrientationFilter(orientation):
            head = _acronym(draw, ORIENTATION_ACRONYMS) + _operator(draw, Op.EQUAL)
            value = draw(st.sampled_from([orientation.value, orientation.value.upper()]))
        case FlagFilter(field, flag):
            head = _acronym(draw, FLAG_ACRONYMS[field]) + _operator(draw, Op.EQUAL)
            spelling = draw(st.sampled_from(BOOLEAN_SPELLINGS[flag]))
            value = draw(st.sampled_from([spelling, spelling.upper()]))
        case ListFilter(field, operator, values):
            head, value = (
                _acronym(draw, LIST_ACRONYMS[field]) + _operator(draw, operator),
                _values(draw, values),
            )
        case StringFilter(field, operator, text):
            head = _acronym(draw, STRING_ACRONYMS[field]) + _operator(draw, operator)
            value = _value(draw, text)
    # Spaces may go around the operator: split the head after the acronym.
    split = len(re.match(r"\w+", head)[0])  # type: ignore[index]
    return head[:split] + _spaces(draw) + head[split:] + _spaces(draw) + value


def _write(draw: st.DrawFn, formula: Formula) -> str:
    match formula:
        case Not(operand):
            inner = _write(draw, operand)
            if isinstance(operand, And | Or):
                inner = f"({inner})"
            text = "!" + _spaces(draw) + inner
        case And(left, right):
            text = _binary(draw, "&&", left, right, (Or,), (And, Or))
        case Or(left, right):
            text = _binary(draw, "||", left, right, (), (Or,))
        case _:
            text = _filter(draw, formula)
    if draw(st.integers(0, 5)) == 0:
        text = "(" + _spaces(draw) + text + _spaces(draw) + ")"
    return text


def _binary(
    draw: st.DrawFn,
    symbol: str,
    left: Formula,
    right: Formula,
    wrap_left: tuple[type, ...],
    wrap_right: tuple[type, ...],
) -> str:
    first, second = _write(draw, left), _write(draw, right)
    if isinstance(left, wrap_left):
        first = f"({first})"
    if isinstance(right, wrap_right):
        second = f"({second})"
    return first + _spaces(draw) + symbol + _spaces(draw) + second


@st.composite
def renderings(draw: st.DrawFn) -> tuple[Formula, str]:
    formula = draw(formulas())
    return formula, _spaces(draw) + _write(draw, formula) + _spaces(draw)
