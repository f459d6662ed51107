"""Reports written as files: CSV (UTF-8 with BOM, for Excel) and XLSX (frozen header).

Every exported file starts with who and what: the export's title, its scope (community, plan),
the time and the exporter, then a blank row, then the table. `read_csv` reads one back.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.reports.tables import (
    DATETIME,
    PERCENT,
    Report,
    cell_value,
    display_width,
    local_time,
    text_value,
)

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMATS = {"money": "#,##0.00", "area": "#,##0.00", PERCENT: "0.00%", "int": "0"}
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
        writer.writerows(meta.lines())
        writer.writerow([])
    writer.writerow([c.label for c in report.columns])
    for values in report.all_rows():
        writer.writerow(
            [_csv_safe(text_value(c.kind, v)) for c, v in zip(report.columns, values, strict=True)]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_safe(text: str) -> str:
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

    Yuan and m² are exact decimal numbers with two places; ratios are percentages.
    """
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
        if meta is not None:
            heading = meta.lines()
            if len(reports) > 1:
                heading[0] = [f"{meta.title} · {report.title}"]
            for line in heading:
                sheet.append(line)
            sheet["A1"].font = Font(bold=True, size=13)
            sheet.append([])
        header_row = len(heading) + 2 if meta is not None else 1
        sheet.append([c.label for c in report.columns])
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="EFEBE2")
        rows = report.all_rows()
        for values in rows:
            sheet.append(
                [_xlsx_cell(c.kind, v) for c, v in zip(report.columns, values, strict=True)]
            )
        if report.total:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        widths = [display_width(c.label) for c in report.columns]
        for values in rows:
            for index, (column, value) in enumerate(zip(report.columns, values, strict=True)):
                widths[index] = max(widths[index], display_width(cell_value(column.kind, value)))
        for index, column in enumerate(report.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = min(max(widths[index - 1] + 2, 8), 50)
            if column.kind in _FORMATS:
                cells = sheet.iter_rows(min_row=header_row + 1, min_col=index, max_col=index)
                for (cell,) in cells:
                    cell.number_format = _FORMATS[column.kind]
        sheet.freeze_panes = f"A{header_row + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(kind: str, value):
    value = cell_value(kind, value)
    if kind == DATETIME or not isinstance(value, str):
        return value
    return _csv_safe(value)


def report_xlsx(reports: list[Report]) -> bytes:
    """A workbook without heading rows (templates to fill in and re-upload)."""
    return xlsx_bytes(reports, None)
