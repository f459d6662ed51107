"""Reads on accounts: finding a household by its code, loading session principals."""

import hmac

from flask import current_app
from sqlalchemy import select

from app.communities.models import Household
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
