"""Roster parsing (app/communities/roster.py): formats, headers, normalisation, errors."""

import io
import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import given
from hypothesis import strategies as st

from app.communities.roster import (
    MAX_ERRORS,
    floor_from_room,
    normalize_building,
    normalize_digits,
    normalize_room,
    normalize_unit,
    parse_area,
    parse_roster,
)

EXAMPLE = Path(__file__).parents[1] / "data" / "roster-example.csv"
HEADER = "楼栋,单元,房号,楼层,建筑面积,业主姓名,证件号,联系电话"
ASCII = "0123456789.ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FULL_WIDTH = str.maketrans(ASCII, "".join(chr(ord(c) + 0xFEE0) for c in ASCII))


@pytest.fixture(autouse=True)
def zh_app(tmp_path):
    """Render lazy messages as their Chinese msgids, whatever catalogs the app gains later."""
    app = Flask(__name__)
    Babel(app, default_locale="zh", default_translation_directories=str(tmp_path))
    with app.app_context():
        yield app


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\n".join(lines).encode(encoding)


def parse_csv(*lines: str, encoding: str = "utf-8"):
    return parse_roster(csv_bytes(*lines, encoding=encoding), "roster.csv")


def messages(result) -> list[str]:
    return [str(issue.message) for issue in result.errors]


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The shared example file


def test_example_file_gb18030():
    result = parse_roster(EXAMPLE.read_bytes(), "roster-example.csv")
    assert result.ok, messages(result)
    assert len(result.rows) == 84
    assert {row.building for row in result.rows} == {"1号楼", "2号楼", "3号楼"}
    assert len({row.key for row in result.rows}) == 84
    assert [row.row for row in result.rows] == list(range(2, 86))
    by_key = {row.key: row for row in result.rows}
    assert by_key["1号楼", "1单元", "101"].area == Decimal("50.1")
    assert by_key["1号楼", "1单元", "201"].area == Decimal("72.58")  # ７２．５８
    assert by_key["1号楼", "1单元", "202"].area == Decimal("96.75")  # 96.75㎡
    assert by_key["1号楼", "1单元", "602"].area == Decimal("101.98")  # 101.98平方米
    assert by_key["2号楼", "2单元", "602"].area == Decimal("103.61")  # １０３．６１
    first = by_key["1号楼", "1单元", "101"]
    assert (first.floor, first.owner_name, first.owner_id, first.phone) == (
        1, "周秀英", None, "13714791075",
    )  # fmt: skip
    authority = [r for r in result.rows if r.owner_id == "12371600MB0000000X"]
    assert len(authority) > 1
    assert all(r.owner_name == "滨州市直管公房管理中心" for r in authority)
    assert by_key["3号楼", "3单元", "602"].floor == 6


def test_utf8_with_and_without_bom_and_tabs_parse_the_same():
    lines = (HEADER, "3号楼,2单元,301,3,65.3,张三,,13800000000")
    expected = parse_csv(*lines).rows
    assert len(expected) == 1
    assert parse_roster(csv_bytes(*lines, encoding="utf-8-sig"), "r.csv").rows == expected
    assert parse_csv(*lines, encoding="gb18030").rows == expected
    tabbed = [line.replace(",", "\t") for line in lines]
    assert parse_roster(csv_bytes(*tabbed), "r.txt").rows == expected
    utf16 = "\r\n".join(tabbed).encode("utf-16")  # Excel's "Unicode text" export
    assert parse_roster(utf16, "r.txt").rows == expected


def test_xlsx_with_numeric_cells():
    data = xlsx_bytes(
        [
            ["楼栋", "单元", "房号", "建筑面积", "业主", "电话", "证件号"],
            [3, 2, 301, 65.3, "张三", 13800000000, "110101195001010011"],
            ["3号楼", "2单元", "302", "96.75㎡", "李四", None, None],
            [3, 2, 1502.0, 0.1 + 0.2, "王五", None, None],  # 0.30000000000000004 in binary
        ]
    )
    result = parse_roster(data, "名单.xlsx")
    assert result.ok, messages(result)
    first, second, third = result.rows
    assert first.key == ("3号楼", "2单元", "301")
    assert (first.floor, first.area, first.phone) == (3, Decimal("65.3"), "13800000000")
    assert second.area == Decimal("96.75")
    assert (third.room, third.floor, third.area) == ("1502", 15, Decimal("0.3"))


def test_xlsx_numeric_id_over_15_digits_is_refused():
    data = xlsx_bytes(
        [["楼栋", "房号", "面积", "业主", "身份证号"], [1, 101, 50, "张三", 110101195001010000]]
    )
    result = parse_roster(data, "r.xlsx")
    assert not result.ok
    assert result.errors[0].column == "身份证号"
    assert "文本" in messages(result)[0]


def test_english_headers_in_another_order():
    result = parse_csv(
        "Phone, OWNER ,Area,room,Unit,Building,owner_id,Floor",
        "13800000000,Zhang San,65.3,301,2,3,ab123x,3",
    )
    assert result.ok, messages(result)
    (row,) = result.rows
    assert row.key == ("3号楼", "2单元", "301")
    assert (row.owner_name, row.owner_id, row.phone) == ("Zhang San", "AB123X", "13800000000")


def test_headers_with_marks_units_and_ignored_columns():
    result = parse_csv("序号,*楼栋,房号,面积（㎡）,业主,备注", "1,3,301,65.3,张三,已核对")
    assert result.ok, messages(result)
    assert result.rows[0].area == Decimal("65.3")


def test_unit_column_is_optional():
    result = parse_csv("楼栋,房号,面积,业主", "A座,301,65.3,张三")
    assert result.ok
    assert result.rows[0].key == ("A座", "", "301")


# Area


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("65.3", "65.3"),
        ("65.3㎡", "65.3"),
        ("61.2平方米", "61.2"),
        ("96.75 m2", "96.75"),
        ("96.75m²", "96.75"),
        ("６５.３", "65.3"),
        ("６５．３", "65.3"),
        ("65.3平米", "65.3"),
        (" 80 ", "80"),
        ("65.300", "65.30"),  # trailing zeros are exact, not rounding
        (65.3, "65.3"),
        (72, "72"),
    ],
)
def test_area_spellings(written, expected):
    assert parse_area(written) == Decimal(expected)
    result = parse_csv("楼栋,房号,面积,业主", f"1,101,{written},张三")
    assert result.rows[0].area == Decimal(expected)


@pytest.mark.parametrize(
    ("written", "fragment"),
    [
        ("abc", "不是数字"),
        ("65,3", "不是数字"),
        ("", "不能为空"),
        ("0", "必须大于 0"),
        ("-5", "必须大于 0"),
        ("0.00", "必须大于 0"),
        ("65.333", "超过两位小数"),
        ("65.305㎡", "超过两位小数"),
        ("650000", "过大"),
    ],
)
def test_bad_areas_name_row_column_and_value(written, fragment):
    result = parse_csv("楼栋,房号,建筑面积,业主", "1,101,50,张三", f'1,102,"{written}",李四')
    assert not result.ok
    assert result.rows == []
    (issue,) = result.errors
    assert (issue.row, issue.column) == (3, "建筑面积")
    text = str(issue.message)
    assert text.startswith("第 3 行，“建筑面积”列：")
    assert fragment in text
    assert written.replace("㎡", "m2") in text  # the value as read, after NFKC


# Building, unit, room, floor


@pytest.mark.parametrize(
    "written",
    ["3号楼", "3", "3栋", "3幢", "3#", "3号", "三号楼", "３号楼", "03", " 3 号楼 ", "第三栋"],
)
def test_building_variants(written):
    assert normalize_building(written) == "3号楼"


def test_building_names_kept_as_written():
    assert normalize_building(" A座 ") == "A座"
    assert normalize_building("十二号楼") == "12号楼"
    assert normalize_building(12.0) == "12号楼"


@pytest.mark.parametrize("written", ["2单元", "2", "二单元", "2门", "２单元", 2, "第二单元"])
def test_unit_variants(written):
    assert normalize_unit(written) == "2单元"


def test_blank_unit_is_empty():
    assert normalize_unit(None) == normalize_unit("  ") == ""


@pytest.mark.parametrize(
    ("written", "expected"),
    [("301", "301"), ("301室", "301"), ("３０１", "301"), (301.0, "301"), ("B301", "B301"),
     ("ｂ３０１", "B301"), ("1-301", "1-301")],
)  # fmt: skip
def test_room_variants(written, expected):
    assert normalize_room(written) == expected


@pytest.mark.parametrize(
    ("room", "floor"),
    [("301", 3), ("1502", 15), ("B301", 3), ("101", 1), ("12", None), ("5", None), ("A", None)],
)
def test_floor_from_room(room, floor):
    assert floor_from_room(room) == floor


def test_floor_derived_or_from_column():
    result = parse_csv(
        "楼栋,房号,楼层,面积,业主",
        "1,301,,50,甲",
        "1,1502,,50,乙",
        "1,302,5,50,丙",  # the floor column wins over the room number
        "1,门面1,1,50,丁",
        "1,B101,-1,50,戊",
        "1,B102,B1,50,己",
        "1,B201,地下2层,50,庚",
        "1,401,4F,50,辛",
    )
    assert result.ok, messages(result)
    assert [row.floor for row in result.rows] == [3, 15, 5, 1, -1, -1, -2, 4]


def test_floor_errors():
    result = parse_csv(
        "楼栋,房号,楼层,面积,业主",
        "1,12,,50,甲",
        "1,301,三楼上,50,乙",
        "1,302,0,50,丙",
        "1,303,300,50,丁",
    )
    assert [(issue.row, issue.column) for issue in result.errors] == [
        (2, "楼层"), (3, "楼层"), (4, "楼层"), (5, "楼层"),
    ]  # fmt: skip
    texts = messages(result)
    assert "无法从房号“12”推算" in texts[0]
    assert "不是整数" in texts[1]


def test_short_room_without_floor_column_asks_for_one():
    result = parse_csv("楼栋,房号,面积,业主", "1,12,50,甲")
    (issue,) = result.errors
    assert issue.column == "房号"
    assert "请增加“楼层”列" in str(issue.message)


def test_blank_rows_are_skipped_and_rows_keep_excel_numbers():
    result = parse_csv("楼栋,房号,面积,业主", "1,101,50,甲", ",,,", "", "1,102,50,乙")
    assert result.ok
    assert [row.row for row in result.rows] == [2, 5]


# Header and file errors


def test_missing_required_column():
    result = parse_csv("楼栋,房号,业主", "1,101,甲")
    assert not result.ok
    (issue,) = result.errors
    assert issue.row is None
    assert "缺少必填列“面积”" in str(issue.message)
    assert "建筑面积" in str(issue.message)


def test_unknown_header_named_with_accepted_list():
    result = parse_csv("楼栋,房号,面积,业主,户型", "1,101,50,甲,两室")
    (issue,) = result.errors
    assert (issue.row, issue.column) == (1, "户型")
    assert "“户型”" in str(issue.message)
    assert "楼栋" in str(issue.message)
    assert "building" in str(issue.message)


def test_same_field_twice():
    result = parse_csv("楼栋,房号,面积,建筑面积,业主", "1,101,50,50,甲")
    (issue,) = result.errors
    assert issue.column == "建筑面积"
    assert "“面积”" in str(issue.message)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b",,,\n,,\n"])
def test_empty_file(data):
    result = parse_roster(data, "r.csv")
    assert not result.ok
    assert "文件是空的" in messages(result)[0]


def test_empty_xlsx():
    result = parse_roster(xlsx_bytes([]), "r.xlsx")
    assert "文件是空的" in messages(result)[0]


def test_header_only():
    for data, name in [
        (csv_bytes(HEADER, ""), "r.csv"),
        (xlsx_bytes([HEADER.split(",")]), "r.xlsx"),
    ]:
        result = parse_roster(data, name)
        assert not result.ok
        assert messages(result) == ["文件只有标题行，没有住户数据。"]


def test_undecodable_and_legacy_files():
    assert "文字编码" in messages(parse_roster(b"\x80\x80,\xff\xff\n", "r.csv"))[0]
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert ".xls" in messages(parse_roster(ole, "r.xls"))[0]
    assert "XLSX" in messages(parse_roster(b"not a zip", "r.xlsx"))[0]
    assert "XLSX" in messages(parse_roster(b"PK\x03\x04 broken", "r.xlsx"))[0]


def test_duplicate_household_names_both_rows():
    result = parse_csv(
        "楼栋,单元,房号,面积,业主",
        "3号楼,2单元,301,50,甲",
        "3号楼,2单元,302,50,乙",
        "3栋,二单元,301室,60,丙",  # the same household, spelled differently
    )
    assert result.rows == []
    (issue,) = result.errors
    assert issue.row == 4
    assert "第 4 行" in str(issue.message)
    assert "第 2 行" in str(issue.message)
    assert "3号楼2单元301" in str(issue.message)


def test_content_under_no_header_is_refused():
    result = parse_csv("楼栋,房号,面积,业主", "1,101,50,张,三")
    (issue,) = result.errors
    assert (issue.row, issue.column) == (2, None)
    assert "E 列" in str(issue.message)


def test_excel_scientific_notation_id_is_refused():
    result = parse_csv("楼栋,房号,面积,业主,证件号", "1,101,50,甲,3.72301E+17")
    assert "科学计数法" in messages(result)[0]


def test_all_errors_collected_and_capped():
    lines = ["楼栋,房号,面积,业主"] + [f"1,{100 + i},abc," for i in range(1, 151)]
    result = parse_csv(*lines)
    assert len(result.errors) == MAX_ERRORS + 1
    assert "另有 100 个问题" in str(result.errors[-1].message)
    assert result.errors[-1].row is None


def test_ten_thousand_rows_with_error_in_last_row():
    lines = [HEADER]
    for i in range(10_000):
        building, unit, room = i // 1000 + 1, i // 100 % 10 + 1, i % 100 // 4 * 100 + 101 + i % 4
        lines.append(f"{building},{unit},{room},,{60 + i % 40}.{i % 100:02d},业主{i},,")
    lines[-1] = lines[-1].replace("业主9999", "")
    result = parse_roster(csv_bytes(*lines, encoding="gb18030"), "big.csv")
    assert result.data_rows == 10_000  # every row read (its time: bench/roster_import.py)
    assert not result.ok
    assert result.rows == []
    assert [(issue.row, issue.column) for issue in result.errors] == [(10_001, "业主姓名")]


# Zip bombs


def test_zip_bomb_by_total_size_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    result = parse_roster(buffer.getvalue(), "bomb.xlsx")
    assert "压缩比异常" in messages(result)[0]


def test_zip_bomb_by_declared_size_refused():
    # A real small workbook whose central directory claims 1 GB for every member.
    data = bytearray(xlsx_bytes([["楼栋", "房号", "面积", "业主"], [1, 101, 50, "甲"]]))
    position = data.find(b"PK\x01\x02")
    while position != -1:
        struct.pack_into("<I", data, position + 24, 1 << 30)
        position = data.find(b"PK\x01\x02", position + 4)
    result = parse_roster(bytes(data), "bomb.xlsx")
    assert not result.ok
    assert "50 MB" in messages(result)[0]


# Properties


def to_full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


areas = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@given(areas, st.sampled_from(["", "㎡", "平方米", "m2", " M2", "平米"]))
def test_full_width_and_ascii_areas_parse_identically(area, unit):
    written = f"{area}{unit}"
    assert parse_area(to_full_width(written)) == parse_area(written) == area


@given(st.from_regex(r"[A-Z]?[1-9][0-9]{2,3}", fullmatch=True))
def test_full_width_and_ascii_rooms_parse_identically(room):
    assert normalize_room(to_full_width(room)) == normalize_room(room) == room
    assert floor_from_room(normalize_room(to_full_width(room))) == floor_from_room(room)


@given(areas)
def test_areas_round_trip_exactly(area):
    assert parse_area(str(area)) == area
    assert parse_area(format(area.normalize(), "f")) == area
    assert parse_area(float(area)) == area  # an XLSX numeric cell
    result = parse_csv("楼栋,房号,面积,业主", f"1,101,{area},甲")
    assert result.rows[0].area == area
    assert str(result.rows[0].area) == str(area)


@given(st.text(alphabet="0123456789", min_size=1, max_size=6))
def test_normalize_digits_full_width(digits):
    assert normalize_digits(to_full_width(digits)) == digits


def test_issue_column_is_the_header_as_written():
    result = parse_csv("楼栋,房号,面积（㎡）,业主", "1,101,abc,甲")
    assert result.errors[0].column == "面积（㎡）"
    assert str(result.errors[0].message).startswith("第 2 行，“面积（㎡）”列：")


# Title rows above the header and totals rows, as district offices send rosters


def office_xlsx(rows, *, title="XX社区住户花名册", extra_above=(), merge=True) -> bytes:
    """An office roster: a title merged across the columns, maybe more lines, then `rows`."""
    book = openpyxl.Workbook()
    sheet = book.active
    width = max(len(row) for row in rows)
    sheet.append([title])
    if merge:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for line in extra_above:
        sheet.append(line)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


OFFICE_ROWS = [
    ["序号", "楼栋", "单元", "房号", "建筑面积(㎡)", "业主姓名"],
    [1, "1号楼", "1单元", "101", 50.1, "张三"],
    [2, "1号楼", "1单元", "102", 60.25, "李四"],
    ["合计", None, None, None, 110.35, "2户"],
]


def skipped(result) -> list[str]:
    return [str(issue.message) for issue in result.skipped]


def test_xlsx_with_merged_title_and_totals_row_keeps_excel_row_numbers():
    result = parse_roster(office_xlsx(OFFICE_ROWS), "花名册.xlsx")
    assert result.ok, messages(result)
    rows = [(r.row, r.room, r.owner_name) for r in result.rows]
    assert rows == [(3, "101", "张三"), (4, "102", "李四")]
    assert result.data_rows == 2
    assert skipped(result) == [
        "第 1 行为标题，已跳过（“XX社区住户花名册”）。",
        "第 5 行为合计行，已跳过。",
    ]
    assert [issue.row for issue in result.skipped] == [1, 5]


def test_errors_under_a_title_name_the_spreadsheet_row():
    rows = [OFFICE_ROWS[0], [1, "1号楼", "1单元", "101", "五十", "张三"]]
    result = parse_roster(office_xlsx(rows, extra_above=[["制表日期：2026年5月"], []]), "r.xlsx")
    (issue,) = result.errors
    assert issue.row == 5
    assert str(issue.message).startswith("第 5 行")
    assert skipped(result) == [
        "第 1 行为标题，已跳过（“XX社区住户花名册”）。",
        "第 2 行为标题，已跳过（“制表日期:2026年5月”）。",
    ]


@pytest.mark.parametrize("word", ["合计", "总计", "小计", "合 计", "合计：", "合计：2户", "Total"])
def test_totals_rows_in_csv_are_skipped(word):
    result = parse_csv(
        "幸福里社区住户花名册,,,",
        "楼栋,房号,面积,业主",
        "1,101,50,甲",
        f"{word},,50,",
        "2,101,60,乙",
    )
    assert result.ok, messages(result)
    assert [r.row for r in result.rows] == [3, 5]
    assert skipped(result) == [
        "第 1 行为标题，已跳过（“幸福里社区住户花名册”）。",
        "第 4 行为合计行，已跳过。",
    ]


def test_subtotal_rows_between_buildings_are_skipped():
    result = parse_csv(
        "楼栋,房号,面积,业主",
        "1,101,50,甲",
        "1号楼小计,,50,",
        "2,101,60,乙",
        "2号楼 合计：1户,,60,",
    )
    assert result.ok, messages(result)
    assert [r.row for r in result.rows] == [2, 4]
    assert skipped(result) == ["第 3 行为合计行，已跳过。", "第 5 行为合计行，已跳过。"]


def test_plain_roster_skips_nothing():
    result = parse_csv("楼栋,房号,面积,业主", "1,101,50,甲")
    assert result.ok and result.skipped == []


def test_header_beyond_the_first_ten_rows_is_not_looked_for():
    lines = [f"说明第{n}行" for n in range(10)]
    result = parse_csv(*lines, "楼栋,房号,面积,业主", "1,101,50,甲")
    assert not result.ok
    text = messages(result)
    assert any("没有找到表头" in m for m in text)
    assert any("第 1 行：无法识别的列名“说明第0行”" in m for m in text)


def test_title_only_file_says_no_header_found():
    result = parse_roster(office_xlsx([["张三", "李四"]], merge=False), "r.xlsx")
    assert any("没有找到表头" in m for m in messages(result))


@given(
    titles=st.lists(st.text(alphabet="社区花名册住户年月日0123456789 ", min_size=1), max_size=4),
    blanks=st.integers(min_value=0, max_value=3),
    households=st.integers(min_value=1, max_value=6),
    totals=st.booleans(),
)
def test_rows_keep_their_file_numbers_whatever_is_above(titles, blanks, households, totals):
    titles = [t for t in titles if t.strip()]
    lines = [*titles, *[""] * blanks, "楼栋,房号,面积,业主"]
    header_row = len(lines)
    lines += [f"1,{100 + n + 1},50,户{n}" for n in range(households)]
    if totals:
        lines.append(f"合计,,{50 * households},")
    result = parse_csv(*lines)
    assert result.ok, messages(result)
    assert [r.row for r in result.rows] == [header_row + 1 + n for n in range(households)]
    assert [r.room for r in result.rows] == [str(101 + n) for n in range(households)]
    expected_skips = [n for n, t in enumerate(lines[: header_row - 1], start=1) if t.strip()]
    if totals:
        expected_skips.append(len(lines))
    assert [issue.row for issue in result.skipped] == expected_skips


def test_an_owner_named_like_a_total_is_a_household():
    result = parse_csv("楼栋,房号,面积,业主", "1,101,50,王小计", "合计,,50,")
    assert result.ok, messages(result)
    assert [(r.row, r.owner_name) for r in result.rows] == [(2, "王小计")]
    assert skipped(result) == ["第 3 行为合计行，已跳过。"]


def test_phone_cells_become_tap_to_call_links():
    from app.rules.text import phone_numbers

    assert phone_numbers("13841140765") == [("13841140765", "tel:13841140765")]
    assert phone_numbers("１３８ ０００ ０１１１") == [("138 000 0111", "tel:1380000111")]
    assert phone_numbers("0571-8888 0000 / 139-1111-2222，无") == [
        ("0571-8888 0000", "tel:057188880000"),
        ("139-1111-2222", "tel:13911112222"),
    ]
    assert phone_numbers("+86 138 0000 0000") == [("+86 138 0000 0000", "tel:+8613800000000")]
    assert phone_numbers(None) == phone_numbers("") == phone_numbers("无") == []
