"""Household roster files (CSV or XLSX) parsed into validated rows or a full list of errors.

Pure: no database and no request. The roster format is a public interface (docs/formats.md): keep
the accepted headers and the README in step.
"""

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from openpyxl.utils import get_column_letter

from app.communities.normalize import (
    CellError,
    floor_from_room,
    normalize_building,
    normalize_owner_id,
    normalize_owner_name,
    normalize_phone,
    normalize_room,
    normalize_unit,
    parse_area,
    parse_floor,
)
from app.core.vocabulary import ROSTER_FIELD_LABELS
from app.rules.text import cell_text, normalize_digits

# The normalisers are re-exported for the paper-ballot import.
__all__ = [
    "HEADER_ALIASES",
    "MAX_ERRORS",
    "CellError",
    "RosterIssue",
    "RosterParseResult",
    "RosterRow",
    "TableFileError",
    "cell_text",
    "find_header_row",
    "floor_from_room",
    "header_matches",
    "normalize_building",
    "normalize_digits",
    "normalize_owner_id",
    "normalize_owner_name",
    "normalize_phone",
    "normalize_room",
    "normalize_unit",
    "parse_area",
    "parse_floor",
    "parse_roster",
    "read_table",
]  # fmt: skip

MAX_ERRORS = 200
# Zip-bomb guards for XLSX. Python's zipfile stops each member at its declared size, so
# checking the declared sizes bounds what openpyxl can ever inflate.
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # small members may compress extremely well and still be harmless

# Field → accepted headers. Matching ignores case, spaces, "_", "-", ".", a leading or
# trailing "*" (required-field marks) and a trailing "(单位)" such as 面积(㎡).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "building": ("楼栋", "楼号", "楼栋号", "楼幢", "幢号", "栋号", "building"),
    "unit": ("单元", "单元号", "unit"),
    "room": ("房号", "房间号", "户号", "室号", "门牌号", "room", "room_no"),
    "floor": ("楼层", "层", "所在楼层", "floor"),
    "area": ("面积", "建筑面积", "房屋面积", "产权面积", "area"),
    "owner": ("业主", "业主姓名", "姓名", "产权人", "产权人姓名", "owner", "owner_name", "name"),
    "owner_id": ("证件号", "证件号码", "身份证号", "身份证号码", "身份证", "owner_id", "id_number"),
    "phone": ("电话", "联系电话", "手机", "手机号", "手机号码", "联系方式", "phone", "mobile"),
}
IGNORED_HEADERS = ("序号", "备注", "说明", "no", "remarks", "remark", "note", "notes")
REQUIRED = ("building", "room", "area", "owner")
# Offices send rosters with a title row ("XX社区住户花名册", often merged across the columns)
# and sometimes a date line above the header: the header is the first of this many non-blank
# rows in which at least HEADER_MIN_MATCHES cells are known column names.
HEADER_SEARCH_ROWS = 10
HEADER_MIN_MATCHES = 2
# A row with one of these in a cell is a totals row (合计) and is skipped.
TOTAL_WORDS = ("合计", "总计", "小计", "共计", "total", "subtotal", "grandtotal")


@dataclass(frozen=True)
class RosterRow:
    """One household as the roster gives it, normalised."""

    row: int  # row number as Excel shows it (the file's own numbering, title rows included)
    building: str
    unit: str
    room: str
    floor: int
    area: Decimal
    owner_name: str
    owner_id: str | None
    phone: str | None

    @property
    def key(self) -> tuple[str, str, str]:
        """The household key: (building, unit, room)."""
        return (self.building, self.unit, self.room)


@dataclass(frozen=True)
class RosterIssue:
    """One problem: row None for file-level, column None for file- or row-level problems."""

    row: int | None
    column: str | None  # the header as written in the file
    message: str | LazyString  # rendered in the user's language when str() is taken


@dataclass
class RosterParseResult:
    """Parsed rows, or the errors; rows is empty whenever there is an error."""

    rows: list[RosterRow]
    errors: list[RosterIssue]
    data_rows: int = 0  # non-blank data rows read, for "84 rows read, 2 errors"
    # Rows left out on purpose (title rows above the header, totals rows), said in the preview.
    skipped: list[RosterIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file parsed without any error."""
        return not self.errors


class TableFileError(Exception):
    """A problem with the whole file; carries the user message."""


@dataclass
class _Issues:
    """Error list capped at MAX_ERRORS, counting what it leaves out."""

    items: list[RosterIssue] = field(default_factory=list)
    left_out: int = 0

    def add(self, row: int | None, column: str | None, message) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(RosterIssue(row, column, message))
        else:
            self.left_out += 1

    def finish(self) -> list[RosterIssue]:
        if self.left_out:
            message = _l("……另有 %(count)d 个问题未列出，请先改正以上问题。", count=self.left_out)
            return [*self.items, RosterIssue(None, None, message)]
        return self.items


def _header_key(text: str) -> str:
    """Header text reduced to what matching compares."""
    text = unicodedata.normalize("NFKC", text).strip().strip("*").strip()
    if text.endswith(")") and "(" in text:
        text = text[: text.rindex("(")]  # 面积(㎡) → 面积
    for ch in " \t\u3000_-.":
        text = text.replace(ch, "")
    return text.lower()


_FIELD_BY_KEY = {_header_key(a): f for f, aliases in HEADER_ALIASES.items() for a in aliases}
_IGNORED_KEYS = {_header_key(h) for h in IGNORED_HEADERS}


def parse_roster(data: bytes, filename: str) -> RosterParseResult:
    """Parse an uploaded roster (CSV or XLSX bytes) into validated rows or a list of errors."""
    issues = _Issues()
    try:
        table = read_table(data, filename)
    except TableFileError as error:
        return RosterParseResult([], [RosterIssue(None, None, error.args[0])])

    rows: list[RosterRow] = []
    skipped: list[RosterIssue] = []
    header = _read_header(table, issues, skipped)
    data_rows = 0
    if header is not None and header.ok:
        seen: dict[tuple[str, str, str], int] = {}
        for number, cells in table:
            if number <= header.row or _blank_row(cells):
                continue
            if _totals_row(cells, header):
                skipped.append(RosterIssue(number, None, _l(
                    "第 %(row)d 行为合计行，已跳过。", row=number
                )))  # fmt: skip
                continue
            data_rows += 1
            parsed = _parse_row(number, cells, header, issues, seen)
            if parsed is not None:
                rows.append(parsed)
        if not data_rows:
            issues.add(None, None, _l("文件只有标题行，没有住户数据。"))
    errors = issues.finish()
    return RosterParseResult([] if errors else rows, errors, data_rows, skipped)


def _blank_row(cells) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in cells)


_TOTAL_KEYS = frozenset(TOTAL_WORDS)
_CHINESE_TOTALS = tuple(w for w in TOTAL_WORDS if not w.isascii())  # "1号楼小计" too


def _totals_row(cells, header: "_Header") -> bool:
    """True when a cell reads 合计, 总计 or 小计 (also "合计：86户", "1号楼小计", "Total").

    The owner column is not read: a name may end in those characters.
    """
    owner = header.columns.get("owner", (None, ""))[0]
    for index, value in enumerate(cells):
        if index != owner and isinstance(value, str) and value.strip():
            key = _header_key(value).split(":", 1)[0]
            if key in _TOTAL_KEYS or key.endswith(_CHINESE_TOTALS):
                return True
    return False


def header_matches(cells) -> int:
    """How many cells of a row are known roster column names."""
    return sum(
        1 for value in cells if value is not None and _header_key(str(value)) in _FIELD_BY_KEY
    )


def find_header_row(table) -> tuple[int, list] | None:
    """The header row among the first non-blank rows (see HEADER_SEARCH_ROWS), else the first
    non-blank row (whose unknown names are then reported); None for an empty file."""
    rows = list(islice(((n, c) for n, c in table if not _blank_row(c)), HEADER_SEARCH_ROWS))
    if not rows:
        return None
    return next(
        ((n, cells) for n, cells in rows if header_matches(cells) >= HEADER_MIN_MATCHES), rows[0]
    )


def _row_text(cells) -> str:
    """A skipped row's text, for saying what it was: its non-blank cells, at most 40 chars."""
    text = " ".join(cell_text(v) for v in cells if cell_text(v))
    return text if len(text) <= 40 else text[:39] + "…"


@dataclass
class _Header:
    row: int
    columns: dict[str, tuple[int, str]]  # field → (column index, header as written)
    free: list[int]  # columns with a blank header
    width: int
    ok: bool


def _read_header(table, issues: _Issues, skipped: list[RosterIssue]) -> _Header | None:
    """Map fields to column indices from the header row (title rows above it go to
    `skipped`); None for an empty file."""
    found = find_header_row(table)
    if found is None:
        issues.add(None, None, _l("文件是空的，请上传带标题行的住户名单。"))
        return None
    number, cells = found
    for above, above_cells in table:
        if above >= number:
            break
        if not _blank_row(above_cells):
            skipped.append(RosterIssue(above, None, _l(
                "第 %(row)d 行为标题，已跳过（“%(text)s”）。",
                row=above, text=_row_text(above_cells),
            )))  # fmt: skip

    header = _Header(number, {}, [], len(cells), True)
    for index, value in enumerate(cells):
        written = "" if value is None else str(value).strip()  # as the worker typed it
        key = _header_key(written)
        if not key:
            header.free.append(index)
        elif key in _IGNORED_KEYS:
            continue
        elif (name := _FIELD_BY_KEY.get(key)) is None:
            header.ok = False
            issues.add(number, written, _l(
                "第 %(row)d 行：无法识别的列名“%(column)s”。可用的列名：楼栋、单元、房号、楼层、"
                "面积、业主、证件号、电话（或英文 building、unit、room、floor、area、owner、"
                "owner_id、phone）；序号、备注列会被忽略。",
                row=number, column=written,
            ))  # fmt: skip
        elif name in header.columns:
            header.ok = False
            issues.add(number, written, _l(
                "第 %(row)d 行：“%(column)s”列与“%(first)s”列是同一项内容，请只保留一列。",
                row=number, column=written, first=header.columns[name][1],
            ))  # fmt: skip
        else:
            header.columns[name] = (index, written)
    if not header.ok and header_matches(cells) < HEADER_MIN_MATCHES:
        issues.add(None, None, _l(
            "没有找到表头：文件前 %(n)d 行中没有一行写着楼栋、房号、面积、业主等列名。",
            n=HEADER_SEARCH_ROWS,
        ))  # fmt: skip
    for name in REQUIRED:
        if name not in header.columns:
            header.ok = False
            issues.add(None, None, _l(
                "缺少必填列“%(column)s”（也可写作：%(aliases)s）。",
                column=ROSTER_FIELD_LABELS[name], aliases="、".join(HEADER_ALIASES[name][1:]),
            ))  # fmt: skip
    return header


_BAD = object()  # a cell that failed validation (its error is already reported)


def _parse_row(number, cells, header: _Header, issues: _Issues, seen) -> RosterRow | None:
    """Validate one data row; report every bad cell and return the row only if all are good."""
    columns = header.columns
    failed = False

    def take(name, parse):
        nonlocal failed
        if name not in columns:
            return None
        index, written = columns[name]
        try:
            return parse(cells[index] if index < len(cells) else None)
        except CellError as error:
            failed = True
            issues.add(number, written, error.message(number, written))
            return _BAD

    building = take("building", normalize_building)
    unit = take("unit", normalize_unit) or ""
    room = take("room", normalize_room)
    floor = take("floor", parse_floor)
    area = take("area", parse_area)
    owner_name = take("owner", normalize_owner_name)
    owner_id = take("owner_id", normalize_owner_id)
    phone = take("phone", normalize_phone)

    # Content under no header is most often a row shifted by a stray comma: refuse it.
    for index in (*header.free, *range(header.width, len(cells))):
        if index < len(cells) and (text := cell_text(cells[index])):
            failed = True
            issues.add(number, None, _l(
                "第 %(row)d 行，%(letter)s 列：这一列没有列名，却填了“%(value)s”。"
                "请补上列名或删掉该内容（也可能是本行多了一个逗号）。",
                row=number, letter=get_column_letter(index + 1), value=text[:30],
            ))  # fmt: skip

    if floor is None and room is not _BAD:
        floor = floor_from_room(room)
        if floor is None:
            failed = True
            if "floor" in columns:
                written = columns["floor"][1]
                message = _l(
                    "第 %(row)d 行，“%(column)s”列：楼层为空，且无法从房号“%(room)s”推算，"
                    "请填写楼层。",
                    row=number, column=written, room=room,
                )  # fmt: skip
            else:
                written = columns["room"][1]
                message = _l(
                    "第 %(row)d 行，“%(column)s”列：无法从房号“%(room)s”推算楼层，"
                    "请增加“楼层”列并填写。",
                    row=number, column=written, room=room,
                )  # fmt: skip
            issues.add(number, written, message)

    if _BAD not in (building, unit, room):
        first = seen.setdefault((building, unit, room), number)
        if first != number:
            failed = True
            issues.add(number, None, _l(
                "第 %(row)d 行：%(household)s 与第 %(first)d 行重复，同一户只能出现一次。",
                row=number, household=f"{building}{unit}{room}", first=first,
            ))  # fmt: skip

    if failed:
        return None
    return RosterRow(number, building, unit, room, floor, area, owner_name, owner_id, phone)


# Reading the file into (Excel row number, cells) pairs.

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .et


def read_table(data: bytes, filename: str) -> list[tuple[int, list]]:
    """CSV (UTF-8/GB18030/UTF-16) or XLSX rows as Excel numbers them, zip bombs refused.

    Shared by every upload that is a table (roster, paper ballots, custom shares); raises
    TableFileError with a message for the user.
    """
    if not data.strip():
        raise TableFileError(_l("文件是空的，请上传带标题行的住户名单。"))
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(data)
    if data.startswith(_OLE_MAGIC):
        raise TableFileError(
            _l("这是旧版 Excel（.xls）文件。请在 Excel 中另存为 .xlsx 或 CSV 后再上传。")
        )
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise TableFileError(_bad_xlsx())
    return _csv_rows(data)


def _bad_xlsx():
    return _l("无法打开这个 XLSX 文件，它可能已损坏。请在 Excel 中重新保存后再上传。")


def _xlsx_rows(data: bytes) -> list[tuple[int, list]]:
    """Rows of the first worksheet (values only), after refusing zip bombs."""
    import openpyxl  # imported here: CSV-only callers need not pay for it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TableFileError(_bad_xlsx()) from None
    total = sum(m.file_size for m in members)
    bomb = any(
        m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if total > MAX_UNCOMPRESSED or bomb:
        raise TableFileError(
            _l(
                "这个 XLSX 文件解压后过大（超过 50 MB）或压缩比异常，已拒绝读取。"
                "请只保留住户名单后再上传。"
            )
        )
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # some writers record wrong dimensions; read what is there
            return [
                (number, list(values))
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
        finally:
            book.close()
    except Exception:  # openpyxl raises many types on malformed files; all mean the same
        raise TableFileError(_bad_xlsx()) from None


def _decode(data: bytes) -> str:
    """Text of a CSV: UTF-16 with BOM (Excel's "Unicode text"), UTF-8, else GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "gb18030"):  # GB18030 is what Excel in China writes
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise TableFileError(
        _l("无法识别文件的文字编码。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再上传。")
    )


def _csv_rows(data: bytes) -> list[tuple[int, list]]:
    """Rows of a comma- or tab-separated file."""
    text = _decode(data)
    if "\x00" in text:
        raise TableFileError(_l("无法读取：这不是 CSV 或 XLSX 表格文件。"))
    if not text.strip():
        raise TableFileError(_l("文件是空的，请上传带标题行的住户名单。"))
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Numbered by record, as Excel numbers rows (a quoted cell may span lines).
        return list(enumerate(reader, start=1))
    except csv.Error:
        raise TableFileError(
            _l(
                "CSV 文件第 %(row)d 行附近格式有误，请在 Excel 中重新另存为 CSV 后再上传。",
                row=reader.line_num,
            )
        ) from None
