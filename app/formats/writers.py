"""Reports written as files: CSV (UTF-8 with BOM, for Excel) and XLSX (frozen header).

Every exported file starts with who and what: the export's title, its scope (community, plan),
the time and the exporter, then a blank row, then the table. `read_csv` reads one back.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l

from app.formats import xlsx
from app.formats.tables import (
    AREA,
    DATETIME,
    MONEY,
    PERCENT,
    TEXT,
    YESNO,
    Report,
    cell_value,
    converted_text,
    display_width,
    local_time,
)

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass
class ExportMeta:
    """What a file says about itself: title, scope lines, when and by whom it was exported."""

    title: str
    scope: list[tuple[str, str]] = field(default_factory=list)
    exported_at: datetime | None = None
    exported_by: str = ""

    def lines(self) -> list[list[str]]:
        """The heading rows written above the table."""
        rows = [[self.title]]
        rows += [[str(label), str(value)] for label, value in self.scope]
        if self.exported_at is not None:
            rows.append([str(_l("导出时间")), local_time(self.exported_at)])
        if self.exported_by:
            rows.append([str(_l("导出人")), self.exported_by])
        return rows


def csv_bytes(report: Report, meta: ExportMeta | None = None) -> bytes:
    """One report as CSV in UTF-8 with a BOM (Excel on Windows then reads Chinese right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if meta is not None:
        writer.writerows([[csv_safe(value) for value in line] for line in meta.lines()])
        writer.writerow([])
    writer.writerow([csv_safe(c.label) for c in report.columns])
    kinds = [c.kind for c in report.columns]
    converters = _converters(kinds)
    for values in report.all_rows():
        writer.writerow(
            [
                csv_safe(converted_text(kind, convert(v)))
                for kind, convert, v in zip(kinds, converters, values, strict=True)
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _converters(kinds: list[str]) -> list:
    """Per column, `cell_value` of its kind, with 是/否 translated once per file instead of
    once per cell (a lazy string costs as much as the rest of the cell)."""
    yes_no = {True: str(_l("是")), False: str(_l("否"))}

    def converter(kind: str):
        if kind == YESNO:
            return lambda v: yes_no[v] if v is True or v is False else cell_value(kind, v)
        if kind in (MONEY, AREA):  # fen or centi-m² to an exact decimal with two places
            return lambda v: None if v is None or v == "" else Decimal(int(v)).scaleb(-2)
        if kind == TEXT:
            return lambda v: None if v is None or v == "" else v
        return lambda v: cell_value(kind, v)

    return [converter(kind) for kind in kinds]


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in text cells (CSV injection): '=1+1' → "'=1+1"."""
    if (text and text[0] in "=+@\t\r") or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return False
    return True


def read_csv(data: bytes) -> tuple[list[list[str]], list[str], list[list[str]]]:
    """An exported CSV read back: (heading rows, column labels, data rows)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    if [] in rows:
        blank = rows.index([])
        heading, rows = rows[:blank], rows[blank + 1 :]
    else:
        heading = []
    return heading, rows[0], rows[1:]


def xlsx_bytes(reports: list[Report], meta: ExportMeta | None = None) -> bytes:
    """A workbook, one sheet per report: heading rows, bold frozen header, widths to fit.

    Yuan and m² are exact decimal numbers with two places; ratios are percentages. Written by
    the streaming writer of app/reports/xlsx.py: a 100,000-row export takes seconds, not minutes.
    """
    sheets = []
    used: set[str] = set()
    for report in reports:
        name = (report.sheet or report.title).translate(_BAD_SHEET_CHARS)[:31] or "Sheet"
        while name in used:
            name = name[:28] + f"_{len(used)}"
        used.add(name)
        heading = []
        if meta is not None:
            heading = meta.lines()
            if len(reports) > 1:
                heading[0] = [f"{meta.title} · {report.title}"]
        header_row = len(heading) + 2 if meta is not None else 1
        widths = [min(max(w + 2, 8), 50) for w in _column_widths(report)]
        sheets.append(xlsx.Sheet(name, widths, header_row, _sheet_rows(report, heading)))
    return xlsx.write_xlsx(sheets)


def _column_widths(report: Report) -> list[int]:
    """Each column's widest label or value, in display width (CJK counts double).

    Numbers grow wider with their size, so of a column's numbers only the smallest and the
    largest are measured; other values once each.
    """
    rows = report.all_rows()
    widths = []
    for index, column in enumerate(report.columns):
        distinct = {row[index] for row in rows} - {None, ""}
        numbers = [v for v in distinct if type(v) in (int, Decimal, Fraction)]
        measured = [v for v in distinct if type(v) not in (int, Decimal, Fraction)]
        measured += [min(numbers), max(numbers)] if numbers else []
        widths.append(
            max(
                [display_width(column.label)]
                + [display_width(cell_value(column.kind, v)) for v in measured]
            )
        )
    return widths


def _sheet_rows(report: Report, heading: list[list[str]]):
    """A sheet's rows of (value, style): heading, a blank row, the header, the rows, the total."""
    if heading:
        yield [(csv_safe(heading[0][0]), xlsx.TITLE)]
        for line in heading[1:]:
            yield [(csv_safe(value), xlsx.TEXT) for value in line]
        yield []
    yield [(csv_safe(c.label), xlsx.HEADER) for c in report.columns]
    kinds = [c.kind for c in report.columns]
    cells = list(zip(kinds, _converters(kinds), [_style(kind) for kind in kinds], strict=True))
    for values in report.rows:
        yield [
            (_xlsx_value(k, convert(v)), s)
            for (k, convert, s), v in zip(cells, values, strict=True)
        ]
    if report.total:
        yield [
            (_xlsx_value(k, convert(v)), xlsx.bold(s))
            for (k, convert, s), v in zip(cells, report.total, strict=True)
        ]


def _style(kind: str) -> int:
    """The cell style of a column kind: the number format it shows in."""
    styles = {MONEY: xlsx.DECIMAL, AREA: xlsx.DECIMAL, PERCENT: xlsx.PERCENT, "int": xlsx.INT}
    return styles.get(kind, xlsx.TEXT)


def _xlsx_value(kind: str, value):
    """A converted cell as the workbook holds it: text guarded against formulas."""
    if kind == DATETIME or not isinstance(value, str):
        return value
    return csv_safe(value)


def report_xlsx(reports: list[Report]) -> bytes:
    """A workbook without heading rows (templates to fill in and re-upload)."""
    return xlsx_bytes(reports, None)
