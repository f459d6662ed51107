"""Pure normalisers for roster and ballot cells: building, unit, room, floor, area, owner ID.

Every helper takes a cell as openpyxl or the csv module gives it (str, int, float, None, ...)
and returns the canonical value, or raises CellError. A CellError knows how to phrase itself
for a given row and column, so each importer reports problems in the same words.
"""

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from app.rules.text import cell_text

# Longest values the database columns hold (app/communities/models.py); checked here so an
# over-long cell becomes a row error instead of a database error halfway through an import.
MAX_BUILDING = 40
MAX_UNIT = 40
MAX_ROOM = 20
MAX_OWNER_NAME = 120
MAX_OWNER_ID = 64
MAX_PHONE = 40

# A registered area at or above this is a typo, and it keeps Numeric(10, 2) far from overflow.
MAX_AREA = Decimal("100000")
MIN_FLOOR, MAX_FLOOR = -5, 200

MessageFactory = Callable[[int, str, str], object]


class CellError(ValueError):
    """A cell whose value cannot be used; message(row, column) phrases it for the user."""

    def __init__(self, factory: MessageFactory, value: str) -> None:
        super().__init__(value)
        self.factory = factory
        self.value = value

    def message(self, row: int, column: str):
        """The user message (a lazy string) naming the row, the column and the value."""
        return self.factory(row, column, _clip(self.value))


def _clip(text: str, limit: int = 30) -> str:
    # Messages quote the offending value; a pasted paragraph must not swamp the error list.
    return text if len(text) <= limit else text[: limit - 1] + "…"


_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_NUMBER = "[〇零一二两三四五六七八九十百]+"


def _chinese_number(text: str) -> int | None:
    """Chinese numerals up to 999 ("三", "十二", "一百零五", "一〇二") as int, else None."""
    if "十" not in text and "百" not in text:
        # Digit by digit, as room and building numbers are often read out: 一〇二 = 102.
        if all(ch in _CN_DIGITS for ch in text):
            return int("".join(str(_CN_DIGITS[ch]) for ch in text))
        return None
    match = re.fullmatch(r"(?:(.)百)?(零)?(?:(.)?十)?(.)?", text)
    if not match:
        return None
    hundreds, _, tens, ones = match.groups()
    try:
        total = _CN_DIGITS[hundreds] * 100 if hundreds else 0
        if "十" in text:
            total += _CN_DIGITS[tens] * 10 if tens else 10
        total += _CN_DIGITS[ones] if ones else 0
    except KeyError:
        return None
    return total


def _number(text: str) -> int | None:
    """ASCII or Chinese digits as int."""
    return int(text) if text.isdigit() else _chinese_number(text)


_BUILDING = re.compile(rf"第?(\d+|{_CN_NUMBER})(?:号楼|号栋|号幢|栋|幢|#楼|#|号)?")
_UNIT = re.compile(rf"第?(\d+|{_CN_NUMBER})(?:单元|号门|门|单)?")
_ROOM_SUFFIX = re.compile(r"(?<=\d)(?:号房|室|号|房)$")  # 301室 → 301, 门面房 stays
_SPACE = re.compile(r"\s+")


def _required(text: str, max_len: int) -> str:
    if not text:
        raise CellError(_blank, text)
    if len(text) > max_len:
        raise CellError(_too_long(max_len), text)
    return text


def normalize_building(value: object) -> str:
    """Canonical building name: "3", "3栋", "3#", "三号楼" → "3号楼"; "A座" stays "A座"."""
    text = _SPACE.sub(" ", cell_text(value))
    match = _BUILDING.fullmatch(text.replace(" ", ""))
    if match and (number := _number(match.group(1))) is not None:
        return f"{number}号楼"
    return _required(text, MAX_BUILDING)


def normalize_unit(value: object) -> str:
    """Canonical unit name: "2", "二单元", "2门" → "2单元"; blank → ""."""
    text = _SPACE.sub(" ", cell_text(value))
    match = _UNIT.fullmatch(text.replace(" ", ""))
    if match and (number := _number(match.group(1))) is not None:
        return f"{number}单元"
    if len(text) > MAX_UNIT:
        raise CellError(_too_long(MAX_UNIT), text)
    return text


def normalize_room(value: object) -> str:
    """Canonical room number: "301室", "３０１", 301.0 → "301"; letters kept, upper-cased."""
    # Upper-case so "b301" on a paper ballot finds the roster's "B301".
    text = _ROOM_SUFFIX.sub("", _SPACE.sub("", cell_text(value))).upper()
    return _required(text, MAX_ROOM)


def floor_from_room(room: str) -> int | None:
    """Floor implied by a room number: "301" → 3, "1502" → 15, "B301" → 3; None for "12"."""
    # The last group of digits without its last two digits; 2 digits or fewer say nothing.
    groups = re.findall(r"\d+", room)
    if not groups or len(groups[-1]) <= 2:
        return None
    return int(groups[-1][:-2]) or None


def parse_floor(value: object) -> int | None:
    """Floor from a floor cell ("3", "3层", 3.0, "-1", "B1", "地下1层"); None when blank."""
    text = _SPACE.sub("", cell_text(value))
    if not text:
        return None
    match = re.fullmatch(r"(-|B|负|地下)?(\d+)(?:层|楼|F)?", text, re.IGNORECASE)
    if not match:
        raise CellError(_floor_not_integer, text)
    floor = -int(match.group(2)) if match.group(1) else int(match.group(2))  # B1 = 地下1层 = -1
    # There is no floor 0 in Chinese numbering (ground is 1, basement -1): 0 is a typo.
    if not MIN_FLOOR <= floor <= MAX_FLOOR or floor == 0:
        raise CellError(_floor_out_of_range, text)
    return floor


_AREA = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:m2|平方米|平米|平方)?", re.IGNORECASE)


def parse_area(value: object) -> Decimal:
    """Area in m² as an exact Decimal > 0 with at most 2 decimals ("65.3㎡", "６５.３", 65.3)."""
    text = _SPACE.sub("", cell_text(value))
    if not text:
        raise CellError(_blank, text)
    match = _AREA.fullmatch(text)
    if not match:
        raise CellError(_area_not_number, text)
    try:
        area = Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the pattern only admits valid numbers
        raise CellError(_area_not_number, text) from None
    if area <= 0:
        raise CellError(_area_not_positive, text)
    if area >= MAX_AREA:
        raise CellError(_area_too_large, text)
    if area.as_tuple().exponent < -2:
        # "65.300" is still exactly 65.30; anything else would need rounding, which a
        # registered area must never get silently.
        quantized = area.quantize(Decimal("0.01"))
        if quantized != area:
            raise CellError(_area_too_precise, text)
        area = quantized
    return area


_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)


def normalize_owner_id(value: object) -> str | None:
    """Owner ID key: NFKC, spaces removed, upper-cased; None when blank."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 10**15:
        # A numeric cell keeps 15 significant digits: an 18-digit ID has lost its tail, and
        # two owners could merge into one. Only a text cell can be trusted.
        raise CellError(_id_numeric, cell_text(value))
    text = _SPACE.sub("", cell_text(value)).upper()
    if not text:
        return None
    if _SCIENTIFIC.fullmatch(text):
        raise CellError(_scientific, text)
    if len(text) > MAX_OWNER_ID:
        raise CellError(_too_long(MAX_OWNER_ID), text)
    return text


def normalize_phone(value: object) -> str | None:
    """Phone number as written (NFKC, trimmed); None when blank."""
    text = cell_text(value)
    if not text:
        return None
    if _SCIENTIFIC.fullmatch(text):
        raise CellError(_scientific, text)
    if len(text) > MAX_PHONE:
        raise CellError(_too_long(MAX_PHONE), text)
    return text


def normalize_owner_name(value: object) -> str:
    """Owner name, trimmed with inner runs of spaces collapsed; required."""
    return _required(_SPACE.sub(" ", cell_text(value)), MAX_OWNER_NAME)


# Messages. Chinese msgids (the default UI language); each names row, column and value.


def _blank(row, column, value):
    return _l("第 %(row)d 行，“%(column)s”列：不能为空。", row=row, column=column)


def _too_long(limit: int) -> MessageFactory:
    def factory(row, column, value):
        return _l(
            "第 %(row)d 行，“%(column)s”列：“%(value)s”太长，最多 %(limit)d 个字。",
            row=row, column=column, value=value, limit=limit,
        )  # fmt: skip

    return factory


def _area_not_number(row, column, value):
    return _l(
        "第 %(row)d 行，“%(column)s”列：面积“%(value)s”不是数字，应为如 65.3 的数字。",
        row=row, column=column, value=value,
    )  # fmt: skip


def _area_not_positive(row, column, value):
    return _l(
        "第 %(row)d 行，“%(column)s”列：面积“%(value)s”必须大于 0。",
        row=row, column=column, value=value,
    )  # fmt: skip


def _area_too_large(row, column, value):
    return _l(
        "第 %(row)d 行，“%(column)s”列：面积“%(value)s”过大，应小于 100000 平方米，请核对。",
        row=row, column=column, value=value,
    )  # fmt: skip


def _area_too_precise(row, column, value):
    return _l(
        "第 %(row)d 行，“%(column)s”列：面积“%(value)s”超过两位小数，请按产权登记面积填写。",
        row=row, column=column, value=value,
    )  # fmt: skip


def _floor_not_integer(row, column, value):
    return _l(
        "第 %(row)d 行，“%(column)s”列：楼层“%(value)s”不是整数，"
        "应为如 3 的数字（地下一层填 -1）。",
        row=row, column=column, value=value,
    )  # fmt: skip


def _floor_out_of_range(row, column, value):
    return _l(
        "第 %(row)d 行，“%(column)s”列：楼层“%(value)s”不在 -5 到 200 之间（且不能为 0）。",
        row=row, column=column, value=value,
    )  # fmt: skip


def _id_numeric(row, column, value):
    return _l(
        "第 %(row)d 行，“%(column)s”列：证件号被存成了数字，Excel 已改写其末几位。"
        "请把该列设为“文本”格式后重新填写。",
        row=row, column=column,
    )  # fmt: skip


def _scientific(row, column, value):
    return _l(
        "第 %(row)d 行，“%(column)s”列：“%(value)s”已被 Excel 改成科学计数法。"
        "请把该列设为“文本”格式后重新填写。",
        row=row, column=column, value=value,
    )  # fmt: skip


def natural_key(text: str) -> tuple:
    """Sort "2号楼" before "10号楼": digits compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))
