"""Paper ballot serials: short, unguessable, typed by workers, with a check character.

Pure: no Flask, no database. A serial is 12 random symbols of the sign-in code alphabet
(no 0/O, 1/I/L, U/V, S/5), 57 bits, plus one weighted mod-27 check symbol that catches every
single mistyped symbol and every swap of two neighbours, printed as ``ABCD-EFGH-JKMN-P``.
"""

import secrets
import unicodedata

from app.core.codes import ALPHABET

BODY = 12
GROUP = 4
LENGTH = BODY + 1
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Weights prime to 27 whose neighbours differ by 1 or 2 (also prime to 27): a wrong symbol
# changes the sum by w*d and a swap of neighbours by (w1-w2)*d, never a multiple of 27.
WEIGHTS = (1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17)


def check_symbol(body: str) -> str:
    """The weighted mod-27 check symbol of `body` (every symbol in ALPHABET)."""
    total = sum(w * _VALUE[ch] for w, ch in zip(WEIGHTS, body, strict=True))
    return ALPHABET[-total % len(ALPHABET)]


def new_serial() -> str:
    """A fresh random serial (normalised: 13 symbols, no separators)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY))
    return body + check_symbol(body)


def format_serial(serial: str) -> str:
    """The printed form: ABCD-EFGH-JKMN-P."""
    groups = [serial[i : i + GROUP] for i in range(0, BODY, GROUP)]
    return "-".join([*groups, serial[BODY:]])


def normalize_serial(typed: str) -> str:
    """What a worker typed or a scanner read, reduced to symbols (case, dashes, full width)."""
    text = unicodedata.normalize("NFKC", typed or "").upper()
    return "".join(ch for ch in text if ch.isalnum())


def serial_problem(serial: str) -> str | None:
    """Why a normalised serial cannot be right ("length", "symbol", "check"), or None."""
    if len(serial) != LENGTH:
        return "length"
    if any(ch not in _VALUE for ch in serial):
        return "symbol"
    if check_symbol(serial[:BODY]) != serial[BODY]:
        return "check"
    return None
