"""A report is a titled table of typed columns: one value model for pages, CSV and XLSX.

Values stay exact in the rows (fen as int, area as centi-m² int, ratios as Fraction); each
writer turns them into what its medium shows, so a page and its spreadsheet always agree.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone

from app.rules.money import fen_to_yuan

TEXT, INT, MONEY, AREA, PERCENT, YESNO, DATETIME = (
    "text",
    "int",
    "money",
    "area",
    "percent",
    "yesno",
    "datetime",
)


@dataclass(frozen=True)
class Column:
    """A report column: its heading and what kind of value it holds."""

    label: str
    kind: str = TEXT


@dataclass
class Report:
    """A titled table with an optional total row."""

    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    total: list | None = None
    sheet: str = ""  # worksheet name (≤ 31 characters)

    def all_rows(self) -> list[list]:
        """The rows, then the total row when there is one."""
        return [*self.rows, *([self.total] if self.total else [])]


def percent_value(value: Fraction | None) -> Decimal | None:
    """A ratio rounded half-up to 0.01 % (4 places), for display and spreadsheets."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def cell_value(kind: str, value):
    """The value a spreadsheet cell holds: yuan and m² as exact decimals, ratios as fractions."""
    if value is None or value == "":
        return None
    if kind == MONEY:
        return fen_to_yuan(value)
    if kind == AREA:
        return Decimal(int(value)).scaleb(-2)
    if kind == PERCENT:
        return percent_value(value)
    if kind == YESNO and isinstance(value, bool):
        return str(_l("是")) if value else str(_l("否"))
    if kind == DATETIME and isinstance(value, datetime):
        return local_time(value)
    return value


def local_time(value: datetime | date) -> str:
    """A stored (UTC) time in the configured time zone, to the second (all digits, so no
    locale pattern is needed: an export formats thousands of these)."""
    if isinstance(value, datetime):
        return to_user_timezone(value).replace(tzinfo=None).isoformat(" ", "seconds")
    return value.isoformat()


def text_value(kind: str, value) -> str:
    """The value as CSV text: yuan with two decimals, m² with two, ratios as 12.34%."""
    return converted_text(kind, cell_value(kind, value))


def converted_text(kind: str, value) -> str:
    """An already converted cell (`cell_value`) as CSV text."""
    if value is None:
        return ""
    if kind == PERCENT:
        return f"{value * 100:.2f}%"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def display_width(value) -> int:
    """Display width of a value: CJK characters count double."""
    text = "" if value is None else (f"{value:,.2f}" if isinstance(value, Decimal) else str(value))
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
