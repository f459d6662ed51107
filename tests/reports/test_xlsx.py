"""The streaming XLSX writer: what openpyxl reads back from it, and its edge cases."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from xml.dom import minidom

from flask import Flask
from flask_babel import Babel, format_datetime
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from app.formats import xlsx
from app.formats.tables import (
    AREA,
    DATETIME,
    INT,
    MONEY,
    PERCENT,
    YESNO,
    Column,
    Report,
    local_time,
)
from app.formats.writers import ExportMeta, xlsx_bytes


def test_column_letters():
    assert [xlsx.column_letter(n) for n in (1, 26, 27, 52, 53, 702, 703)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_cells_read_back_exactly_with_styles_widths_and_a_frozen_header(ctx):
    report = Report(
        "明细<&>",
        [Column("名称"), Column("金额", MONEY), Column("户数", INT), Column("比例", PERCENT),
         Column("承诺", YESNO), Column("时间", DATETIME), Column("面积", AREA)],
        rows=[
            ["=1+1\x01", 12345, 3, Fraction(1, 3), True, datetime(2026, 1, 2, 3, 4, 5), 6053],
            ["  前后有空格  ", -5, None, None, False, date(2026, 1, 1), None],
        ],
        total=["合计", 12340, 3, None, 1, None, 6053],
    )  # fmt: skip
    meta = ExportMeta("标题", [("小区", "=A1")], datetime(2026, 1, 1), "王芳")
    data = xlsx_bytes([report, report], meta)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            minidom.parseString(book.read(name))  # every part is well-formed XML
    sheets = load_workbook(io.BytesIO(data))
    assert sheets.sheetnames == ["明细<&>", "明细<&>_1"]
    sheet = sheets.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "标题 · 明细<&>" and sheet["A1"].font.b and sheet["A1"].font.sz == 13
    assert rows[1][:2] == ("小区", "'=A1")  # the heading is guarded against formulas too
    assert rows[5] == ("名称", "金额", "户数", "比例", "承诺", "时间", "面积")
    assert sheet["A6"].font.b and sheet["A6"].fill.fgColor.rgb == "FFEFEBE2"
    assert sheet.freeze_panes == "A7"
    first = rows[6]
    assert first[0] == "'=1+1"  # the control character is dropped, the formula neutralised
    assert Decimal(str(first[1])) == Decimal("123.45") and sheet["B7"].number_format == "#,##0.00"
    assert first[2] == 3 and sheet["C7"].number_format == "0"
    assert Decimal(str(first[3])) == Decimal("0.3333") and sheet["D7"].number_format == "0.00%"
    assert first[4] == "是" and first[6] == 60.53
    assert rows[7][0] == "  前后有空格  " and rows[7][1] == -0.05 and rows[7][5] == "2026-01-01"
    assert rows[8][0] == "合计" and sheet["A9"].font.b and sheet["B9"].font.b
    assert sheet.column_dimensions["F"].width == 21  # "2026-01-02 11:04:05" + 2
    assert sheet.column_dimensions["B"].width == 8  # the minimum


def test_a_sheet_without_heading_starts_with_its_header(ctx):
    report = Report("模板", [Column("房号"), Column("金额", MONEY)], rows=[["101", None]])
    sheet = load_workbook(io.BytesIO(xlsx_bytes([report]))).worksheets[0]
    assert list(sheet.iter_rows(values_only=True)) == [("房号", "金额"), ("101", None)]
    assert sheet.freeze_panes == "A2"


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_an_exported_time_reads_as_babel_formats_it_in_the_community_time_zone(when):
    """local_time formats without a locale pattern (thousands per export); it must say what
    flask_babel's format_datetime("yyyy-MM-dd HH:mm:ss") says, daylight saving and all."""
    app = Flask(__name__)
    Babel(app)
    for zone in ("Asia/Shanghai", "America/New_York"):
        app.config["BABEL_DEFAULT_TIMEZONE"] = zone
        with app.test_request_context():
            assert local_time(when) == format_datetime(when, "yyyy-MM-dd HH:mm:ss")
