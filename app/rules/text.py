"""Typed and spreadsheet values as text: full-width digits, ㎡, Excel numbers (301.0 → "301")."""

import unicodedata
from datetime import date, datetime, time


def normalize_digits(text: str) -> str:
    """NFKC-normalise and trim text: full-width digits and letters become ASCII, ㎡ becomes m2."""
    if text.isascii():
        return text.strip()  # the common case, and NFKC leaves ASCII unchanged
    return unicodedata.normalize("NFKC", text).strip()


def cell_text(value: object) -> str:
    """A cell value as normalised text; "" for an empty cell, 301.0 → "301"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return normalize_digits(value)
    if isinstance(value, bool):
        return str(value).upper()  # Excel shows TRUE/FALSE
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # Excel keeps 15 significant digits; beyond them is binary noise (65.30000000000001).
        return format(value, ".15g")
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return normalize_digits(str(value))
