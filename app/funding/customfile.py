"""The custom shares file (CSV or XLSX): building, unit, room, amount in yuan → rows in fen.

Pure: no database. Matching rows to the item's electorate, and the check that the amounts add
up to the residents' part, happen in operations.upload_custom_shares. Every problem is reported
with its row number as Excel shows it; any problem means nothing is stored.
"""

import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.communities.normalize import CellError, normalize_building, normalize_room, normalize_unit
from app.communities.roster import TableFileError, read_table
from app.rules.money import AmountError, parse_yuan

MAX_ERRORS = 200
HEADERS = {
    "building": ("楼栋", "楼号", "楼栋号", "栋号", "building"),
    "unit": ("单元", "单元号", "unit"),
    "room": ("房号", "房间号", "户号", "室号", "room"),
    "amount": (
        "金额", "应缴金额", "分摊金额", "出资金额", "应出资金额", "居民出资", "份额", "amount",
        "share",
    ),
}  # fmt: skip
# Columns the downloadable template adds for the worker's convenience; their content is ignored.
IGNORED = ("序号", "业主", "业主姓名", "姓名", "楼层", "面积", "建筑面积", "备注", "说明",
           "no", "owner", "floor", "area", "note", "remarks")  # fmt: skip
REQUIRED = ("building", "room", "amount")
LABELS = {"building": _l("楼栋"), "unit": _l("单元"), "room": _l("房号"), "amount": _l("金额")}


@dataclass(frozen=True)
class CustomRow:
    """One household's uploaded amount."""

    row: int
    building: str
    unit: str
    room: str
    amount_fen: int

    @property
    def key(self) -> tuple[str, str, str]:
        """The household key: (building, unit, room)."""
        return (self.building, self.unit, self.room)

    @property
    def label(self) -> str:
        """Building, unit and room as residents write them."""
        return f"{self.building}{self.unit}{self.room}"


def _key(text: object) -> str:
    """A header reduced to what matching compares: 应缴金额（元） → 应缴金额."""
    text = unicodedata.normalize("NFKC", "" if text is None else str(text)).strip().strip("*")
    if text.endswith(")") and "(" in text:
        text = text[: text.rindex("(")]
    for ch in " \t_-.":
        text = text.replace(ch, "")
    return text.lower()


_FIELDS = {_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}
_IGNORED = {_key(h) for h in IGNORED}


def _blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def parse_custom_shares(data: bytes, filename: str) -> tuple[list[CustomRow], list]:
    """Rows of a custom shares file, or ([], problems) naming each row; never half a file."""
    try:
        table = read_table(data, filename)
    except TableFileError as error:
        return [], [error.args[0]]
    header = next(((n, cells) for n, cells in table if not _blank(cells)), None)
    if header is None:
        return [], [_l("文件是空的，请上传带标题行的每户金额表。")]
    header_row, header_cells = header
    columns: dict[str, int] = {}
    problems: list = []
    for index, cell in enumerate(header_cells):
        key = _key(cell)
        if not key or key in _IGNORED:
            continue
        name = _FIELDS.get(key)
        if name is None:
            problems.append(
                _l(
                    "第 %(row)d 行：无法识别的列名“%(column)s”。需要的列：楼栋、单元、房号、金额"
                    "（元）；业主、楼层、面积、备注列会被忽略。",
                    row=header_row,
                    column=str(cell).strip(),
                )
            )
        elif name in columns:
            problems.append(
                _l("第 %(row)d 行：“%(column)s”列重复。", row=header_row, column=str(cell).strip())
            )
        else:
            columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            problems.append(_l("缺少必填列“%(column)s”。", column=LABELS[name]))
    if problems:
        return [], problems

    rows: list[CustomRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, cells in table:
        if number <= header_row or _blank(cells):
            continue
        if len(problems) >= MAX_ERRORS:
            problems.append(_l("……问题太多，其余未列出，请先改正以上问题。"))
            break
        row = _parse_row(number, cells, columns, problems)
        if row is None:
            continue
        first = seen.setdefault(row.key, number)
        if first != number:
            problems.append(
                _l(
                    "第 %(row)d 行：%(household)s 与第 %(first)d 行重复，每户只能出现一次。",
                    row=number,
                    household=row.label,
                    first=first,
                )
            )
            continue
        rows.append(row)
    if not rows and not problems:
        problems.append(_l("文件只有标题行，没有每户金额。"))
    return ([] if problems else rows), problems


def _parse_row(number: int, cells, columns: dict[str, int], problems: list) -> CustomRow | None:
    """One data row, or None after adding its problems."""

    def cell(name):
        """The row's cell under the column of `name`, or None."""
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    failed = False
    values = {}
    for name, parse in (
        ("building", normalize_building),
        ("unit", normalize_unit),
        ("room", normalize_room),
    ):
        try:
            values[name] = parse(cell(name)) if name in columns else ""
        except CellError as error:
            failed = True
            problems.append(error.message(number, str(LABELS[name])))
    try:
        amount = parse_yuan(cell("amount"))
    except AmountError as error:
        failed = True
        problems.append(_l("第 %(row)d 行，金额列：%(error)s。", row=number, error=error.message))
    if failed:
        return None
    return CustomRow(number, values["building"], values["unit"], values["room"], amount)
