"""Reads on accounts: finding a household by its code, loading session principals, naming
the audit trail's actors."""

import hmac

from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.communities.models import Household
from app.communities.queries import household_address_select
from app.core.codes import hash_code, is_well_formed, normalize_code
from app.extensions import db


def household_by_code(typed: str) -> Household | None:
    """The household whose code was typed, or None.

    Wrong and unknown codes take the same path (one hash, one indexed lookup), so the answer
    and its timing reveal nothing about which households exist.
    """
    code = normalize_code(typed)
    digest = hash_code(code, current_app.config["HASH_KEY"])
    household = db.session.scalar(select(Household).where(Household.code_hash == digest))
    if household is None or not is_well_formed(code):
        return None
    return household if hmac.compare_digest(household.code_hash, digest) else None


def actor_names(events) -> dict[str, str]:
    """Who the audit events' actors are, for the pages: {"user:wang": display name,
    "household:12": its address}. Two queries at most; a household is named only on events of
    its own community, a user only when it has a display name."""
    usernames: set[str] = set()
    households: dict[int, set] = {}
    for event in events:
        kind, _sep, rest = (event.actor or "").partition(":")
        if kind == "user" and rest:
            usernames.add(rest)
        elif kind == "household" and rest.isdigit():
            households.setdefault(int(rest), set()).add(event.community_id)
    names = {}
    if usernames:
        rows = db.session.execute(
            select(User.username, User.display_name).where(User.username.in_(usernames))
        )
        names.update({f"user:{username}": shown for username, shown in rows if shown})
    if households:
        rows = db.session.execute(
            household_address_select(Household.community_id).where(
                Household.id.in_(list(households))
            )
        )
        for household_id, building, unit, room, community_id in rows:
            if community_id in households[household_id]:
                names[f"household:{household_id}"] = f"{building}{unit}{room}"
    return names
