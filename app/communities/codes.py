"""Household sign-in codes: issue them to a community, replace one, or give a batch printed codes.

A code is shown in plain text once (letter, CSV) and stored only as a keyed hash
(core.codes.hash_code); a new code makes the previous one stop working at once.
"""

import csv
from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import select

from app.communities.models import Community, Household
from app.core.audit import log_event
from app.core.codes import format_code, generate_code, hash_code
from app.core.db import utcnow
from app.extensions import db
from app.formats.writers import csv_safe


def _assign_code(household: Household, code: str | None = None) -> str:
    """Give a household a fresh code; the previous one stops working at once."""
    code = code or generate_code()
    household.code_hash = hash_code(code, current_app.config["HASH_KEY"])
    household.code_generation += 1
    household.code_issued_at = utcnow()
    return code


def issue_codes(community: Community, *, only_missing: bool = False) -> list[tuple[Household, str]]:
    """Issue codes to the community's households (or those without one); returns plaintext once."""
    query = (
        select(Household)
        .where(Household.community_id == community.id)
        .order_by(Household.building_id, Household.unit_id, Household.room)
    )
    if only_missing:
        query = query.where(Household.code_hash.is_(None))
    households = db.session.scalars(query).all()
    issued = [(h, _assign_code(h)) for h in households]
    db.session.flush()
    log_event(
        "codes.issue",
        "community",
        community.id,
        community_id=community.id,
        after={"households": len(issued), "only_missing": only_missing},
    )
    return issued


def rotate_code(household: Household, reason: str = "") -> str:
    """Replace one household's code (a lost letter); returns the new code once."""
    code = _assign_code(household)
    db.session.flush()
    log_event(
        "codes.rotate",
        "household",
        household.id,
        community_id=household.community_id,
        after={"generation": household.code_generation, "reason": reason},
    )
    return code


def issue_codes_for(
    households, *, codes: dict[int, str] | None = None, reason: str = "", actor: str | None = None
) -> list[tuple[Household, str]]:
    """Give these households fresh codes (or the ones `codes` generated for them beforehand,
    e.g. already printed on their letters); their old codes stop working at once."""
    codes = codes or {}
    issued = [(h, _assign_code(h, codes.get(h.id))) for h in households]
    db.session.flush()
    if issued:
        log_event(
            "codes.issue",
            "community",
            issued[0][0].community_id,
            community_id=issued[0][0].community_id,
            after={"households": [h.id for h, _code in issued], "reason": reason},
            actor=actor,
        )
    return issued


def write_codes_csv(
    out, issued: Iterable[tuple[Household, str]], link: Callable[[str], str], header: list
) -> None:
    """The sign-in codes file: a row per household with its code and QR link. Every cell is
    guarded against spreadsheet formulas (an owner named "=HYPERLINK(...)" stays text)."""
    writer = csv.writer(out)
    writer.writerow([csv_safe(str(h)) for h in header])
    for household, code in issued:
        cells = (
            household.building.name,
            household.unit.name,
            household.room,
            household.owner_name,
            format_code(code),
            link(code),
        )
        writer.writerow([csv_safe(str(cell)) for cell in cells])
