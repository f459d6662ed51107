"""Funding reports (per item, per building) as plain tables, shown as pages and saved as XLSX.

One Report feeds both the page and the spreadsheet, so they always agree.
"""

import io
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l

from app.funding.ledger import Figures, Line, by_building
from app.funding.money import fen_to_yuan
from app.plans.models import Item

TEXT, INT, MONEY, AREA, PERCENT, YESNO = "text", "int", "money", "area", "percent", "yesno"


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


def percent_value(value: Fraction | None) -> Decimal | None:
    """A ratio rounded half-up to 0.01 % (4 places), for display and spreadsheets."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _money_columns() -> list[Column]:
    return [
        Column(str(_l("应缴（元）")), MONEY),
        Column(str(_l("已承诺")), YESNO),
        Column(str(_l("已缴（元）")), MONEY),
        Column(str(_l("未缴（元）")), MONEY),
    ]


def item_report(item: Item, lines: list[Line]) -> Report:
    """Every household of one item: share, pledge, paid, balance."""
    report = Report(
        title=str(_l("%(key)s %(title)s 出资明细", key=item.key, title=item.title)),
        columns=[
            Column(str(_l("楼栋"))),
            Column(str(_l("单元"))),
            Column(str(_l("房号"))),
            Column(str(_l("业主"))),
            Column(str(_l("楼层")), INT),
            Column(str(_l("面积（㎡）")), AREA),
            *_money_columns(),
        ],
        sheet=f"{item.key}",
    )
    figures = Figures()
    for line in lines:
        if line.item.id != item.id:
            continue
        h = line.household
        figures.add(line)
        report.rows.append(
            [
                h.building,
                h.unit,
                h.room,
                h.owner_name,
                h.floor,
                h.area_centi,
                line.share_fen,
                line.pledged,
                line.paid_fen,
                line.balance_fen,
            ]
        )
    report.total = [
        str(_l("合计 %(n)d 户", n=len(report.rows))),
        "",
        "",
        "",
        None,
        sum(r[5] for r in report.rows),
        figures.required_fen,
        figures.pledged_payers,
        figures.paid_fen,
        figures.outstanding_fen,
    ]
    return report


def building_summary(lines: list[Line]) -> Report:
    """Per building and item: households with a share, required, pledged, rates, paid."""
    report = Report(
        title=str(_l("各楼栋出资汇总")),
        columns=[
            Column(str(_l("楼栋"))),
            Column(str(_l("项目"))),
            Column(str(_l("应出资户数")), INT),
            Column(str(_l("应缴（元）")), MONEY),
            Column(str(_l("已承诺（元）")), MONEY),
            Column(str(_l("承诺率（户）")), PERCENT),
            Column(str(_l("承诺率（面积）")), PERCENT),
            Column(str(_l("已缴（元）")), MONEY),
            Column(str(_l("未缴（元）")), MONEY),
        ],
        sheet=str(_l("楼栋汇总")),
    )
    total = Figures()
    for building, _bid, item, f in by_building(lines):
        report.rows.append(
            [
                building,
                f"{item.key} {item.title}",
                f.payers,
                f.required_fen,
                f.pledged_fen,
                f.household_rate,
                f.area_rate,
                f.paid_fen,
                f.outstanding_fen,
            ]
        )
    for line in lines:
        total.add(line)
    report.total = [
        str(_l("合计")),
        "",
        total.payers,
        total.required_fen,
        total.pledged_fen,
        None,
        None,
        total.paid_fen,
        total.outstanding_fen,
    ]
    return report


def building_detail(building: str, lines: list[Line]) -> Report:
    """Every household and item of one building: share, pledge, paid, balance."""
    report = Report(
        title=str(_l("%(building)s 出资明细", building=building)),
        columns=[
            Column(str(_l("单元"))),
            Column(str(_l("房号"))),
            Column(str(_l("业主"))),
            Column(str(_l("项目"))),
            *_money_columns(),
        ],
        sheet=building[:31],
    )
    figures = Figures()
    ordered = sorted(lines, key=lambda x: (x.household.order, x.item.position, x.item.id))
    for line in ordered:
        h = line.household
        figures.add(line)
        report.rows.append(
            [
                h.unit,
                h.room,
                h.owner_name,
                f"{line.item.key} {line.item.title}",
                line.share_fen,
                line.pledged,
                line.paid_fen,
                line.balance_fen,
            ]
        )
    report.total = [
        str(_l("合计")),
        "",
        "",
        "",
        figures.required_fen,
        figures.pledged_payers,
        figures.paid_fen,
        figures.outstanding_fen,
    ]
    return report


# --- XLSX ----------------------------------------------------------------------------------

_FORMATS = {MONEY: "#,##0.00", AREA: "#,##0.00", PERCENT: "0.0%", INT: "0"}
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _cell_value(kind: str, value):
    """The value a spreadsheet cell holds: yuan and m² as exact decimals."""
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
    return value


def _width(value) -> int:
    """Display width of a value: CJK characters count double."""
    text = "" if value is None else (f"{value:,.2f}" if isinstance(value, Decimal) else str(value))
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def report_xlsx(reports: list[Report]) -> bytes:
    """A workbook with one sheet per report: bold frozen header, widths to fit, yuan as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for report in reports:
        name = (report.sheet or report.title).translate(_BAD_SHEET_CHARS)[:31] or "Sheet"
        while name in used:
            name = name[:28] + f"_{len(used)}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([c.label for c in report.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="EFEBE2")
        rows = [*report.rows, *([report.total] if report.total else [])]
        for values in rows:
            sheet.append(
                [_cell_value(c.kind, v) for c, v in zip(report.columns, values, strict=True)]
            )
        if report.total:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        widths = [_width(c.label) for c in report.columns]
        for values in rows:
            for index, (column, value) in enumerate(zip(report.columns, values, strict=True)):
                widths[index] = max(widths[index], _width(_cell_value(column.kind, value)))
        for index, column in enumerate(report.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = min(max(widths[index - 1] + 2, 8), 50)
            if column.kind in _FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = _FORMATS[column.kind]
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
