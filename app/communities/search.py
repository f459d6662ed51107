"""Reading an address a worker types into a search box: "3号楼2单元301", "3-2-301", "3栋301".

Pure: no Flask, no database. ``parse_address`` turns the text into building, unit and room
tokens; ``same_number`` matches a token against a building or unit name ("3" ~ "3号楼").
"""

import re
import unicodedata
from typing import NamedTuple

# One number with an optional letter on either side (12, 12A, B3), then an optional marker.
_TOKEN = re.compile(r"([A-Z]?\d+[A-Z]?)(号楼|号|栋|幢|座|楼|单元|门|室|户)?")
_SEPARATORS = re.compile(r"[\s\-_/\\·.,，、—–－]+")
_BUILDING_MARKS = frozenset({"号楼", "号", "栋", "幢", "座", "楼"})
_UNIT_MARKS = frozenset({"单元", "门"})
_ROOM_MARKS = frozenset({"室", "户"})
_SLOTS = ("building", "unit", "room")


class AddressQuery(NamedTuple):
    """The parts of an address a search names; None where it names none."""

    building: str | None
    unit: str | None
    room: str | None


def _tokens(text: str) -> list[tuple[str, str]] | None:
    """(number, marker) pairs covering the whole text, or None when something else is in it."""
    found = []
    for part in _SEPARATORS.split(text):
        pos = 0
        while pos < len(part):
            match = _TOKEN.match(part, pos)
            if match is None:
                return None
            found.append((match.group(1), match.group(2) or ""))
            pos = match.end()
    return found


def _slot_of(marker: str) -> str | None:
    """The address part a marker names (号楼 → building), None for no marker."""
    if marker in _BUILDING_MARKS:
        return "building"
    if marker in _UNIT_MARKS:
        return "unit"
    if marker in _ROOM_MARKS:
        return "room"
    return None


def parse_address(text: str) -> AddressQuery | None:
    """The building, unit and room a search names, or None when it is not an address.

    Marked numbers go where their marker says (3号楼, 2单元, 301室); bare numbers fill the
    remaining parts in order, the last one being the room: "3-2-301" → 3, 2, 301;
    "3-301" → building 3, room 301; "3号楼301" → building 3, room 301. A lone bare number
    ("301") is not an address: the caller's plain text search handles it.
    """
    compact = unicodedata.normalize("NFKC", text or "").upper().strip()
    tokens = _tokens(compact) if compact else None
    if not tokens or len(tokens) > 3:
        return None
    parts: dict[str, str] = {}
    bare = []
    for number, marker in tokens:
        slot = _slot_of(marker)
        if slot is None:
            bare.append(number)
        elif slot in parts:
            return None
        else:
            parts[slot] = number
    if not parts and len(bare) < 2:
        return None
    free = [slot for slot in _SLOTS if slot not in parts]
    if len(bare) > len(free):
        return None
    if bare:
        # The last bare number is the room when the room is free ("3-301"), unless it is too
        # short to be a room and a unit is free ("3-2": building 3, unit 2).
        last = bare[-1]
        if "room" in free and not (len(last) < 3 and "unit" in free and len(bare) < len(free)):
            parts["room"] = last
            free.remove("room")
            bare = bare[:-1]
        for slot, number in zip(free, bare, strict=False):
            parts[slot] = number
    return AddressQuery(parts.get("building"), parts.get("unit"), parts.get("room"))


def _number_key(text: str) -> str | None:
    """The first number in a name, without leading zeros and with its letters: "03号楼" → "3"."""
    match = re.search(r"[A-Z]?\d+[A-Z]?", unicodedata.normalize("NFKC", text).upper())
    if match is None:
        return None
    letters_before = match.group(0)[0] if match.group(0)[0].isalpha() else ""
    rest = match.group(0)[len(letters_before) :]
    digits = rest.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return letters_before + str(int(digits)) + rest[len(digits) :]


def same_number(name: str, token: str) -> bool:
    """Whether a building or unit name carries the number a search token names."""
    if unicodedata.normalize("NFKC", name).upper() == token:
        return True
    key = _number_key(name)
    return key is not None and key == _number_key(token)
