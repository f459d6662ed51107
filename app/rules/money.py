"""Money as people type it (yuan, up to two decimals) to integer fen, and back.

Pure: no database and no request. Amounts are exact: Decimal parsing, never float arithmetic.
"""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from app.rules.text import cell_text

# 一亿元: no renovation item or household share comes near it, so more is a typo.
MAX_FEN = 100_000_000 * 100
_AMOUNT = re.compile(r"[¥￥]?\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*元?")


class AmountError(ValueError):
    """An amount that cannot be read; ``message`` is fit for the user."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def parse_yuan(value: object, *, allow_negative: bool = False) -> int:
    """Read "1,234.5", "￥1234.50元", 1234.5 (an Excel cell) or full-width digits as fen."""
    text = cell_text(value).replace(",", "").replace("，", "").replace(" ", "")
    if not text:
        raise AmountError(_l("金额为空"))
    match = _AMOUNT.fullmatch(text)
    if not match:
        raise AmountError(_l("“%(value)s”不是金额，请填写以元为单位的数字", value=text[:30]))
    try:
        yuan = Decimal(match.group(1))
    except InvalidOperation:
        raise AmountError(
            _l("“%(value)s”不是金额，请填写以元为单位的数字", value=text[:30])
        ) from None
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise AmountError(_l("金额“%(value)s”最多保留两位小数（到分）", value=text[:30]))
    if fen < 0 and not allow_negative:
        raise AmountError(_l("金额不能为负数：%(value)s", value=text[:30]))
    if abs(fen) > MAX_FEN:
        raise AmountError(_l("金额“%(value)s”过大，请检查", value=text[:30]))
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen as an exact Decimal of yuan (for spreadsheets): 123456 → Decimal("1234.56")."""
    return Decimal(int(fen)).scaleb(-2)


def fen_input(fen: int | None) -> str:
    """Fen as a form field shows it, without separators: 123450 → "1234.50"; None → ""."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan}.{cents:02d}"


def format_fen(fen: int) -> str:
    """Format integer fen as yuan with thousands separators: 123456 → "1,234.56"."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan:,}.{cents:02d}"
