"""Typed and spreadsheet values as text: full-width digits, ㎡, Excel numbers (301.0 → "301")."""

import re
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


_PHONE_SEPARATORS = re.compile(r"[/,;，；、]|\s{2,}")


def phone_numbers(text: str | None) -> list[tuple[str, str]]:
    """The phone numbers in a roster's phone cell, as (shown text, tel: URI) pairs.

    A cell may hold several numbers ("138 0000 0000 / 0571-8888 8888"); each becomes its own
    tap-to-call link. Parts with fewer than 3 digits (a note like "无") are left out.
    """
    found = []
    for part in _PHONE_SEPARATORS.split(normalize_digits(text or "")):
        part = part.strip()
        digits = re.sub(r"\D", "", part)
        if len(digits) >= 3:
            found.append((part, "tel:" + ("+" if part.startswith("+") else "") + digits))
    return found
