"""The query formula as a tree: operators, filter fields, one frozen node per filter family.

`query_formula.parse_formula` builds these; `formula_sql.compile_formula` turns them into SQL;
`query_formula.print_formula` writes them back as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum


class Operator(StrEnum):
    """Each operator by its canonical spelling; the aliases are the parser's business."""

    SIMILAR = "~"
    VERY_SIMILAR = "~~"
    SUPER_SIMILAR = "~~~"
    EQUAL = "="  # strings: ignoring case, accents and outer spaces
    EQUAL_CASE = "=="  # ignoring case only
    IDENTICAL = "==="
    LESS = "<"
    GREATER = ">"
    AT_MOST = "<="
    AT_LEAST = ">="
    ANY_OF = "∩"


SIMILARITY = frozenset({Operator.SIMILAR, Operator.VERY_SIMILAR, Operator.SUPER_SIMILAR})
RANGE = frozenset({Operator.LESS, Operator.GREATER, Operator.AT_MOST, Operator.AT_LEAST})


class NumberField(StrEnum):
    RATIO = "ratio"  # width / height
    WIDTH = "width"
    HEIGHT = "height"
    N_PEOPLE = "n_people"  # the n_faces column


class Flag(StrEnum):
    AI_GENERATED = "ai_generated"
    NSFW = "nsfw"
    MODEL_RELEASE = "model_release"
    PROPERTY_RELEASE = "property_release"


class ListField(StrEnum):
    KEYWORDS = "keywords"
    CATEGORIES = "categories"
    COLLECTIONS = "collections"


class StringField(StrEnum):
    """The search API's names of the string fields (the columns are formula_sql's business)."""

    TITLE = "title"
    HEADLINE = "headline"
    CAPTION = "caption"
    ALT_TEXT = "alt_text"
    STATUS = "status"
    LOCATION = "location"
    CITY = "city"
    COUNTRY = "country"
    EVENT = "event"
    AUTHOR = "author"
    PROVIDER = "provider"
    SHOT = "shot"
    SCENE = "scene"
    TECHNIQUE = "technique"
    MEDIUM = "medium"
    SRC = "src"


class Orientation(StrEnum):
    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"
    SQUARE = "square"


class Family(Enum):
    """The rows of the filter table; a field enum names the member within a row of several."""

    TEXT = "text"
    IMAGE = "image"
    PERSON = "person"
    DATE = "date"
    ID = "id"
    NUMBER = "number"
    ORIENTATION = "orientation"
    FLAG = "flag"
    LIST = "list"
    STRING = "string"


@dataclass(frozen=True, slots=True)
class PartialDate:
    """`YYYY`, `YYYY-M` or `YYYY-M-D`: the whole year, month or day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
            if self.day is not None:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


@dataclass(frozen=True, slots=True)
class TextFilter:
    operator: Operator  # ~ any word, ~~ every word, ~~~ the phrase
    text: str


@dataclass(frozen=True, slots=True)
class ImageFilter:
    operator: Operator  # = that image, or the similarity levels
    image_id: str


@dataclass(frozen=True, slots=True)
class DateFilter:
    operator: Operator
    date: PartialDate


@dataclass(frozen=True, slots=True)
class IdFilter:
    operator: Operator
    ids: tuple[str, ...]  # one, except for ∩


@dataclass(frozen=True, slots=True)
class NumberFilter:
    field: NumberField
    operator: Operator
    values: tuple[Decimal, ...]  # one, except for ∩; whole numbers but for the ratio


@dataclass(frozen=True, slots=True)
class OrientationFilter:
    orientation: Orientation


@dataclass(frozen=True, slots=True)
class FlagFilter:
    field: Flag
    value: bool


@dataclass(frozen=True, slots=True)
class ListFilter:
    field: ListField
    operator: Operator
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StringFilter:
    field: StringField
    operator: Operator
    value: str


Filter = (
    TextFilter
    | ImageFilter
    | DateFilter
    | IdFilter
    | NumberFilter
    | OrientationFilter
    | FlagFilter
    | ListFilter
    | StringFilter
)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Formula


@dataclass(frozen=True, slots=True)
class And:
    left: Formula
    right: Formula


@dataclass(frozen=True, slots=True)
class Or:
    left: Formula
    right: Formula


Formula = Filter | Not | And | Or
