"""A small streaming XLSX (SpreadsheetML) writer for report tables.

Pure: no Flask, no database. A workbook is sheets of rows of (value, style) cells, written
straight into the ZIP one block of rows at a time, so memory stays flat and a sheet of a million
cells takes seconds (openpyxl builds an object per cell: ~30 s and ~400 MB for the same sheet,
measured by bench/exports.py). What it writes is what report files need and nothing more:
inline strings, numbers, booleans, a handful of styles (bold, a header fill, number formats),
column widths and a frozen header.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

# Cell styles: indexes into cellXfs of STYLES below.
TEXT, TITLE, HEADER, INT, DECIMAL, PERCENT = range(6)
_BOLD = {TEXT: 6, INT: 7, DECIMAL: 8, PERCENT: 9, TITLE: TITLE, HEADER: HEADER}

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Markup characters as entities, and the characters XML 1.0 cannot hold at all dropped (a cell
# loses them rather than break the file): one str.translate per text.
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"}
_ESCAPES |= dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])
_ROWS_PER_WRITE = 500

# Built-in number formats: 1 "0", 4 "#,##0.00", 10 "0.00%".
STYLES = (
    _HEAD + f'<styleSheet xmlns="{_NS}">'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="13"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFEFEBE2"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="10">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="1" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
    'applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
    'applyNumberFormat="1"/>'
    '<xf numFmtId="10" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
    'applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


# A cell's style attribute per style index (the default style 0 needs none).
_STYLE_ATTR = ("", *(f' s="{n}"' for n in range(1, 10)))


def bold(style: int) -> int:
    """The bold variant of a style (a total row)."""
    return _BOLD[style]


@dataclass
class Sheet:
    """One worksheet: its name (≤ 31 characters, unique), column widths (characters), the
    number of rows kept in view when scrolling (0: none), and its rows of (value, style)."""

    name: str
    widths: list[float]
    frozen_rows: int
    rows: Iterable[list[tuple]]


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def escape(text: str) -> str:
    """Text fit for XML content and attributes."""
    return text.translate(_ESCAPES)


def _cell(ref: str, value, style: int) -> str:
    """One <c> element ("" for an empty cell: nothing to show, nothing to style)."""
    if value is None:
        return ""
    s = f' s="{style}"' if style else ""
    if isinstance(value, str):
        text = escape(value)
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Decimal):
        return f'<c r="{ref}"{s}><v>{value:f}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, datetime):
        return _cell(ref, value.isoformat(sep=" "), style)
    if isinstance(value, date):
        return _cell(ref, value.isoformat(), style)
    return _cell(ref, str(value), style)


def _sheet_parts(sheet: Sheet) -> Iterable[str]:
    """The worksheet XML, in pieces."""
    yield _HEAD + f'<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}"><sheetViews>'
    if sheet.frozen_rows:
        top = f"A{sheet.frozen_rows + 1}"
        yield (
            f'<sheetView workbookViewId="0"><pane ySplit="{sheet.frozen_rows}" topLeftCell="{top}"'
            f' activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"'
            f' activeCell="{top}" sqref="{top}"/></sheetView>'
        )
    else:
        yield '<sheetView workbookViewId="0"/>'
    yield '</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
    if sheet.widths:
        yield (
            "<cols>"
            + "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                for i, w in enumerate(sheet.widths, start=1)
            )
            + "</cols>"
        )
    yield "<sheetData>"
    letters: list[str] = []
    block: list[str] = []
    translate = str.translate
    for number, row in enumerate(sheet.rows, start=1):
        while len(letters) < len(row):
            letters.append(column_letter(len(letters) + 1))
        cells = []
        # Text, whole numbers and decimals (nearly every cell) inline; the rest via _cell.
        for letter, (value, style) in zip(letters, row, strict=False):
            kind = type(value)
            if kind is str:
                cells.append(
                    f'<c r="{letter}{number}"{_STYLE_ATTR[style]} t="inlineStr"><is>'
                    f'<t xml:space="preserve">{translate(value, _ESCAPES)}</t></is></c>'
                )
            elif kind is int:
                cells.append(f'<c r="{letter}{number}"{_STYLE_ATTR[style]}><v>{value}</v></c>')
            elif kind is Decimal:
                cells.append(f'<c r="{letter}{number}"{_STYLE_ATTR[style]}><v>{value:f}</v></c>')
            elif value is not None:
                cells.append(_cell(f"{letter}{number}", value, style))
        if cells:
            block.append(f'<row r="{number}">{"".join(cells)}</row>')
        else:
            block.append(f'<row r="{number}"/>')
        if len(block) >= _ROWS_PER_WRITE:
            yield "".join(block)
            block = []
    yield "".join(block) + "</sheetData></worksheet>"


def write_xlsx(sheets: list[Sheet]) -> bytes:
    """The workbook as XLSX bytes; rows are consumed as they are written."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as book:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        book.writestr(
            "[Content_Types].xml",
            _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        book.writestr(
            "_rels/.rels",
            _HEAD + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL_NS}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        entries = "".join(
            f'<sheet name="{escape(s.name)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, s in enumerate(sheets, start=1)
        )
        book.writestr(
            "xl/workbook.xml",
            _HEAD + f'<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView/>'
            f"</bookViews><sheets>{entries}</sheets></workbook>",
        )
        links = "".join(
            f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet"'
            f' Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        styles_id = len(sheets) + 1
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            _HEAD + f'<Relationships xmlns="{_PKG_REL}">{links}<Relationship Id="rId{styles_id}"'
            f' Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>',
        )
        book.writestr("xl/styles.xml", STYLES)
        for n, sheet in enumerate(sheets, start=1):
            with book.open(f"xl/worksheets/sheet{n}.xml", "w") as part:
                for piece in _sheet_parts(sheet):
                    part.write(piece.encode("utf-8"))
    return out.getvalue()
