"""The query formula's parser and printer: every family, precedence, quoting, aliases, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.search.formula_ast import (
    And,
    DateFilter,
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
from app.search.query_formula import (
    MAX_DEPTH,
    MAX_FILTERS,
    QueryFormulaError,
    UnsupportedFilter,
    has_similarity_filter,
    parse_formula,
    print_formula,
)
from tests.search.formulas import formulas, renderings

Op = Operator
CITY = StringFilter(StringField.CITY, Op.EQUAL, "Paris")
NSFW = FlagFilter(Flag.NSFW, True)
BEACH = ListFilter(ListField.KEYWORDS, Op.EQUAL, ("beach",))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("t~sunset river", TextFilter(Op.SIMILAR, "sunset river")),
        ("txt~~sunset river", TextFilter(Op.VERY_SIMILAR, "sunset river")),
        ("TEXT~~~the river", TextFilter(Op.SUPER_SIMILAR, "the river")),
        ("i=img-1", ImageFilter(Op.EQUAL, "img-1")),
        ("img~img-1", ImageFilter(Op.SIMILAR, "img-1")),
        ("image~~img-1", ImageFilter(Op.VERY_SIMILAR, "img-1")),
        ("i~~~img-1", ImageFilter(Op.SUPER_SIMILAR, "img-1")),
        ("d=2020", DateFilter(Op.EQUAL, PartialDate(2020))),
        ("date<2020-5", DateFilter(Op.LESS, PartialDate(2020, 5))),
        ("d>2020-05-3", DateFilter(Op.GREATER, PartialDate(2020, 5, 3))),
        ("d<=2020-12-31", DateFilter(Op.AT_MOST, PartialDate(2020, 12, 31))),
        ("d>=2024-2-29", DateFilter(Op.AT_LEAST, PartialDate(2024, 2, 29))),
        ("id=42", IdFilter(Op.EQUAL, ("42",))),
        ("ID<img 9", IdFilter(Op.LESS, ("img 9",))),
        ("id∩a,b , c", IdFilter(Op.ANY_OF, ("a", "b", "c"))),
        ("r=1.5", NumberFilter(NumberField.RATIO, Op.EQUAL, (Decimal("1.5"),))),
        ("ratio>0.75", NumberFilter(NumberField.RATIO, Op.GREATER, (Decimal("0.75"),))),
        ("r∩1,1.5", NumberFilter(NumberField.RATIO, Op.ANY_OF, (Decimal(1), Decimal("1.5")))),
        ("n>=2", NumberFilter(NumberField.N_PEOPLE, Op.AT_LEAST, (Decimal(2),))),
        ("n_people=0", NumberFilter(NumberField.N_PEOPLE, Op.EQUAL, (Decimal(0),))),
        ("w>1000", NumberFilter(NumberField.WIDTH, Op.GREATER, (Decimal(1000),))),
        ("width∩640,1280", NumberFilter(NumberField.WIDTH, Op.ANY_OF, (Decimal(640), Decimal(1280)))),
        ("h<=480", NumberFilter(NumberField.HEIGHT, Op.AT_MOST, (Decimal(480),))),
        ("height=1080", NumberFilter(NumberField.HEIGHT, Op.EQUAL, (Decimal(1080),))),
        ("o=landscape", OrientationFilter(Orientation.LANDSCAPE)),
        ("orientation=Portrait", OrientationFilter(Orientation.PORTRAIT)),
        ("o=SQUARE", OrientationFilter(Orientation.SQUARE)),
        ("ai=true", FlagFilter(Flag.AI_GENERATED, True)),
        ("nsfw=FALSE", FlagFilter(Flag.NSFW, False)),
        ("mr=1", FlagFilter(Flag.MODEL_RELEASE, True)),
        ("model_release=0", FlagFilter(Flag.MODEL_RELEASE, False)),
        ("pr=Yes", FlagFilter(Flag.PROPERTY_RELEASE, True)),
        ("property_release=no", FlagFilter(Flag.PROPERTY_RELEASE, False)),
        ("k=beach,dog", ListFilter(ListField.KEYWORDS, Op.EQUAL, ("beach", "dog"))),
        ("key==Dog", ListFilter(ListField.KEYWORDS, Op.EQUAL_CASE, ("Dog",))),
        ("keywords===a, b", ListFilter(ListField.KEYWORDS, Op.IDENTICAL, ("a", "b"))),
        ("cat∩Nature,Travel", ListFilter(ListField.CATEGORIES, Op.ANY_OF, ("Nature", "Travel"))),
        ("categories~nat", ListFilter(ListField.CATEGORIES, Op.SIMILAR, ("nat",))),
        ("col=Exclusive", ListFilter(ListField.COLLECTIONS, Op.EQUAL, ("Exclusive",))),
        ("collections==Archive", ListFilter(ListField.COLLECTIONS, Op.EQUAL_CASE, ("Archive",))),
        ("title=Sunset", StringFilter(StringField.TITLE, Op.EQUAL, "Sunset")),
        ("headline==News", StringFilter(StringField.HEADLINE, Op.EQUAL_CASE, "News")),
        ("caption===A dog", StringFilter(StringField.CAPTION, Op.IDENTICAL, "A dog")),
        ("alt~dog", StringFilter(StringField.ALT_TEXT, Op.SIMILAR, "dog")),
        ("s=Active", StringFilter(StringField.STATUS, Op.EQUAL, "Active")),
        ("status=RDA Only", StringFilter(StringField.STATUS, Op.EQUAL, "RDA Only")),
        ("loc~~old town", StringFilter(StringField.LOCATION, Op.VERY_SIMILAR, "old town")),
        ("location~~~old town", StringFilter(StringField.LOCATION, Op.SUPER_SIMILAR, "old town")),
        ("city<M", StringFilter(StringField.CITY, Op.LESS, "M")),
        ("country>F", StringFilter(StringField.COUNTRY, Op.GREATER, "F")),
        ("e<=M", StringFilter(StringField.EVENT, Op.AT_MOST, "M")),
        ("event>=M", StringFilter(StringField.EVENT, Op.AT_LEAST, "M")),
        ("a=jane doe", StringFilter(StringField.AUTHOR, Op.EQUAL, "jane doe")),
        ("author=jane", StringFilter(StringField.AUTHOR, Op.EQUAL, "jane")),
        ("prov=AP", StringFilter(StringField.PROVIDER, Op.EQUAL, "AP")),
        ("provider=AP", StringFilter(StringField.PROVIDER, Op.EQUAL, "AP")),
        ("shot=wide", StringFilter(StringField.SHOT, Op.EQUAL, "wide")),
        ("scene=night", StringFilter(StringField.SCENE, Op.EQUAL, "night")),
        ("tech=HDR", StringFilter(StringField.TECHNIQUE, Op.EQUAL, "HDR")),
        ("technique=HDR", StringFilter(StringField.TECHNIQUE, Op.EQUAL, "HDR")),
        ("med=oil", StringFilter(StringField.MEDIUM, Op.EQUAL, "oil")),
        ("medium=oil", StringFilter(StringField.MEDIUM, Op.EQUAL, "oil")),
        ("src=https://x.test/a.jpg?b=1", StringFilter(StringField.SRC, Op.EQUAL, "https://x.test/a.jpg?b=1")),
    ],
)
def test_every_filter_and_acronym(q: str, expected: Formula) -> None:
    assert parse_formula(q) == expected


@pytest.mark.parametrize(
    ("q", "operator"),
    [
        ("city:Paris", Op.EQUAL),
        ("w=<5", Op.AT_MOST),
        ("w≤5", Op.AT_MOST),
        ("w=>5", Op.AT_LEAST),
        ("w≥5", Op.AT_LEAST),
        ("w^=5", Op.ANY_OF),
        ("w∩5", Op.ANY_OF),
        ("w<5", Op.LESS),
        ("w>5", Op.GREATER),
    ],
)
def test_operator_aliases(q: str, operator: Operator) -> None:
    parsed = parse_formula(q)
    assert isinstance(parsed, StringFilter | NumberFilter)
    assert parsed.operator is operator


@pytest.mark.parametrize(
    "q",
    [
        "city=Paris",
        "city = Paris",
        "city  :  Paris  ",
        "  CITY=Paris",
        "City=\tParis\n",
        'city = "Paris"',
        "city= Paris",
    ],
)
def test_spaces_around_the_operator_and_case_of_acronyms(q: str) -> None:
    assert parse_formula(q) == CITY


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("city=Paris && nsfw=true || k=beach", Or(And(CITY, NSFW), BEACH)),
        ("city=Paris || nsfw=true && k=beach", Or(CITY, And(NSFW, BEACH))),
        ("(city=Paris || nsfw=true) && k=beach", And(Or(CITY, NSFW), BEACH)),
        ("!city=Paris && nsfw=true", And(Not(CITY), NSFW)),
        ("!(city=Paris && nsfw=true)", Not(And(CITY, NSFW))),
        ("!!city=Paris", Not(Not(CITY))),
        ("! city=Paris || ! nsfw=true", Or(Not(CITY), Not(NSFW))),
        ("city=Paris && nsfw=true && k=beach", And(And(CITY, NSFW), BEACH)),
        ("city=Paris || nsfw=true || k=beach", Or(Or(CITY, NSFW), BEACH)),
        ("city=Paris && (nsfw=true && k=beach)", And(CITY, And(NSFW, BEACH))),
        ("((city=Paris))", CITY),
        ("( city=Paris )&&( nsfw=true )", And(CITY, NSFW)),
        ("city=Paris&&nsfw=true||k=beach", Or(And(CITY, NSFW), BEACH)),
    ],
)
def test_precedence_and_parentheses(q: str, expected: Formula) -> None:
    assert parse_formula(q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('title="a && b || c)"', StringFilter(StringField.TITLE, Op.EQUAL, "a && b || c)")),
        ('title="  padded  "', StringFilter(StringField.TITLE, Op.EQUAL, "  padded  ")),
        (r'title="say \"hi\""', StringFilter(StringField.TITLE, Op.EQUAL, 'say "hi"')),
        (r'title="back\\slash"', StringFilter(StringField.TITLE, Op.EQUAL, "back\\slash")),
        ('title=say "hi" twice', StringFilter(StringField.TITLE, Op.EQUAL, 'say "hi" twice')),
        ("title=it's (fine", StringFilter(StringField.TITLE, Op.EQUAL, "it's (fine")),
        ("title=a & b | c !d", StringFilter(StringField.TITLE, Op.EQUAL, "a & b | c !d")),
        ("title=C:\\dir", StringFilter(StringField.TITLE, Op.EQUAL, "C:\\dir")),
        ('k="a, b",c', ListFilter(ListField.KEYWORDS, Op.EQUAL, ("a, b", "c"))),
        ('k= "a" , "b&&c" ', ListFilter(ListField.KEYWORDS, Op.EQUAL, ("a", "b&&c"))),
        ('t~~"sunset river"', TextFilter(Op.VERY_SIMILAR, "sunset river")),
        ('i~"img 1"', ImageFilter(Op.SIMILAR, "img 1")),
        ('d="2020-5"', DateFilter(Op.EQUAL, PartialDate(2020, 5))),
    ],
)
def test_values_quoting_and_escapes(q: str, expected: Formula) -> None:
    assert parse_formula(q) == expected


def test_a_value_runs_to_the_next_operator_or_parenthesis() -> None:
    assert parse_formula("(title=a b) || city=c d&&nsfw=true") == Or(
        StringFilter(StringField.TITLE, Op.EQUAL, "a b"),
        And(StringFilter(StringField.CITY, Op.EQUAL, "c d"), NSFW),
    )


@pytest.mark.parametrize("q", ["", "   ", "\t\n"])
def test_an_empty_formula_is_everything(q: str) -> None:
    assert parse_formula(q) is None
    assert print_formula(None) == ""


@pytest.mark.parametrize(
    ("q", "position", "fragment"),
    [
        ("zz=1", 0, "Unknown filter 'zz'"),
        ("city=Paris && foo~x", 14, "Unknown filter 'foo'"),
        ("o<landscape", 1, "o does not take <"),
        ("t=sunset", 1, "t does not take ="),
        ("ai~true", 2, "ai does not take ~"),
        ("d∩2020", 1, "d does not take ∩"),
        ("k<beach", 1, "k does not take <"),
        ("n∩1,2", 1, "n does not take ∩"),
        ("title!=x", 5, "!title=…"),
        ("city", 4, "Expected an operator"),
        ("city Paris", 5, "Expected an operator"),
        ('t~"sunset', 2, "never closed"),
        ('t~"a" b', 6, "after the closing quote"),
        ('t~"a\\n"', 4, "escapes"),
        ("t~", 2, "Missing value"),
        ("t~  && w=1", 4, "Missing value"),
        ('title=""', 6, "Missing value"),
        ("k=a,,b", 4, "Missing value"),
        ("k=a,", 4, "Missing value"),
        ("city=Paris &&", 13, "formula ends"),
        ("city=Paris && || w=1", 14, "Expected a filter"),
        ("&& city=Paris", 0, "Expected a filter"),
        ("city=Paris ||", 13, "formula ends"),
        ("!", 1, "formula ends"),
        ("(city=Paris", 0, "never closed"),
        ("((city=Paris)", 0, "never closed"),
        ("city=Paris)", 10, "without its ("),
        ("(city=Paris))", 12, "without its ("),
        ("()", 1, "inside the parentheses"),
        ("city=Paris && ( )", 16, "inside the parentheses"),
        (")", 0, "Expected a filter"),
        ("(city=Paris) nsfw=true", 13, "Expected && or ||"),
        ("d=2020-13", 2, "No such date"),
        ("d=2021-2-29", 2, "No such date"),
        ("d=0000", 2, "No such date"),
        ("d=20-1-1", 2, "Not a date"),
        ("d=2020/01/01", 2, "Not a date"),
        ("d = yesterday", 4, "Not a date"),
        ("ai=maybe", 3, "Not a boolean"),
        ("nsfw=2", 5, "Not a boolean"),
        ("o=wide", 2, "Not an orientation"),
        ("w=1.5", 2, "whole number"),
        ("w=-1", 2, "whole number"),
        ("w∩100,abc", 6, "whole number"),
        ("r=1,5", 2, "Not a number"),
        ("r=.5", 2, "Not a number"),
        ("t~!!!", 2, "at least one word"),
        ("title~--", 6, "at least one word"),
        ("k~a,--", 4, "at least one word"),
        ("id=a\x01b", 3, "control characters"),
        ("i~" + "x" * 257, 2, "at most 256"),
    ],
)
def test_malformed_formulas(q: str, position: int, fragment: str) -> None:
    with pytest.raises(QueryFormulaError) as raised:
        parse_formula(q)
    error = raised.value
    assert type(error) is QueryFormulaError
    assert (error.code, error.status, error.position) == ("query_invalid", 422, position)
    assert error.extra == {"position": position}
    assert fragment in error.message


@pytest.mark.parametrize(
    ("q", "position"), [("p~x", 0), ("person=Jane", 0), ("w=1 && P=x", 7), ("!person", 1)]
)
def test_the_person_filter_is_unsupported(q: str, position: int) -> None:
    with pytest.raises(UnsupportedFilter) as raised:
        parse_formula(q)
    assert (raised.value.code, raised.value.status, raised.value.position) == (
        "unsupported_filter",
        422,
        position,
    )


def test_limits_on_size_and_depth() -> None:
    parse_formula(" && ".join(["w=1"] * MAX_FILTERS))
    with pytest.raises(QueryFormulaError) as raised:
        parse_formula(" && ".join(["w=1"] * (MAX_FILTERS + 1)))
    assert raised.value.position == MAX_FILTERS * 7
    parse_formula("(" * MAX_DEPTH + "w=1" + ")" * MAX_DEPTH)
    with pytest.raises(QueryFormulaError) as raised:
        parse_formula("!" * (MAX_DEPTH + 1) + "w=1")
    assert raised.value.position == MAX_DEPTH
    with pytest.raises(QueryFormulaError):
        parse_formula("(" * 100_000)


@pytest.mark.parametrize(
    ("q", "printed"),
    [
        ("TXT ~ sunset  river ", "t~sunset  river"),
        ('country:"United States"', "country=United States"),
        ("w =< 5 && r ≥ 1.50", "w<=5 && r>=1.50"),
        ("id ^= 1, 2", "id∩1,2"),
        ("d=2020-5-3", "d=2020-05-03"),
        ("ai=yes", "ai=true"),
        ("o=Square", "o=square"),
        ('title=" x"', 'title=" x"'),
        ('title="=x"', 'title="=x"'),
        ('t~"a && b"', 't~"a && b"'),
        ('k="a,b",c', 'k="a,b",c'),
        ('title="\\"q\\""', 'title="\\"q\\""'),
        ("a=1 && (e=2 && s=3)", "a=1 && (e=2 && s=3)"),
        ("(a=1 || e=2) && s=3", "(a=1 || e=2) && s=3"),
        ("a=1 || (e=2 || s=3)", "a=1 || (e=2 || s=3)"),
        ("a=1 || e=2 && s=3", "a=1 || e=2 && s=3"),
        ("!(a=1 && e=2)", "!(a=1 && e=2)"),
        ("!!(a=1)", "!!a=1"),
    ],
)
def test_printing(q: str, printed: str) -> None:
    assert print_formula(parse_formula(q)) == printed


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("t~x", True),
        ("i~x", True),
        ("i~~~x || w>1", True),
        ("w>1 && (city=x || t~~y)", True),
        ("i=x", False),
        ("!t~x", False),
        ("!(w>1 && i~x)", False),
        ("title~x", False),
        ("", False),
    ],
)
def test_has_similarity_filter(q: str, expected: bool) -> None:
    assert has_similarity_filter(parse_formula(q)) is expected


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from(list('tidwkoanr=~<>!&|()":,\\ 1a-^≤∩.é\x00')) | st.characters()))
def test_any_text_parses_or_fails_with_a_position(q: str) -> None:
    try:
        parsed = parse_formula(q)
    except QueryFormulaError as error:
        assert 0 <= error.position <= len(q)
    else:
        assert parse_formula(print_formula(parsed)) == parsed


@settings(max_examples=300)
@given(formulas())
def test_printed_trees_parse_back_to_themselves(formula: Formula) -> None:
    assert parse_formula(print_formula(formula)) == formula


@settings(max_examples=300)
@given(renderings())
def test_written_formulas_parse_and_print_stably(written: tuple[Formula, str]) -> None:
    formula, q = written
    parsed = parse_formula(q)
    assert parsed == formula
    assert parse_formula(print_formula(parsed)) == parsed
