"""Server-side sign-ins: each signed-in browser is a row, ended on sign-out, idling or age.

Flask's session cookie is signed but lives on the client: a copy taken before sign-out would
keep working for as long as the cookie is valid. So the cookie also carries a random token whose
hash names a `SignIn` row; the principal loader accepts the cookie only while that row is open,
recent (idle limit) and young enough (absolute limit). Staff limits are short (a shared office
computer), a household's long (a resident opens the ballot again days later).
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, session
from sqlalchemy import bindparam, delete, or_, select, update

from app.accounts.models import SignIn
from app.core.db import utcnow
from app.extensions import db

SESSION_KEY = "sid"
# last_seen_at is written at most this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits(is_staff: bool) -> tuple[timedelta, timedelta]:
    """(idle, absolute) limits for a staff or household sign-in, from the configuration."""
    config = current_app.config
    if is_staff:
        return (
            timedelta(minutes=config["STAFF_SESSION_IDLE_MINUTES"]),
            timedelta(hours=config["STAFF_SESSION_MAX_HOURS"]),
        )
    return (
        timedelta(days=config["HOUSEHOLD_SESSION_IDLE_DAYS"]),
        timedelta(days=config["HOUSEHOLD_SESSION_MAX_DAYS"]),
    )


def _owner(user_id: int | None, household_id: int | None):
    if user_id is not None:
        return SignIn.user_id == user_id
    return SignIn.household_id == household_id


def start(*, user_id: int | None = None, household_id: int | None = None) -> SignIn:
    """Open a sign-in for a staff user or a household and put its token in the session.

    Rows of the same principal that have ended or run out are deleted here, so the table holds
    about one row per browser in use.
    """
    now = utcnow()
    idle, absolute = _limits(user_id is not None)
    db.session.execute(
        delete(SignIn)
        .where(_owner(user_id, household_id))
        .where(
            or_(
                SignIn.ended_at.is_not(None),
                SignIn.last_seen_at < now - idle,
                SignIn.created_at < now - absolute,
            )
        )
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    row = SignIn(
        token_hash=_digest(token),
        user_id=user_id,
        household_id=household_id,
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(row)
    session[SESSION_KEY] = token
    return row


def _token_hash() -> str | None:
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    return _digest(token)


def _row() -> SignIn | None:
    token_hash = _token_hash()
    if token_hash is None:
        return None
    return db.session.scalar(select(SignIn).where(SignIn.token_hash == token_hash))


@cache
def _with_sign_in_statement(model):
    """Built once per model: every signed-in request runs it."""
    return (
        select(model, SignIn)
        .outerjoin(SignIn, SignIn.token_hash == bindparam("token_hash"))
        .where(model.id == bindparam("principal_id"))
    )


def load_with_sign_in(model, principal_id: int) -> tuple[object | None, SignIn | None]:
    """A principal's row (User or Household) by id and this browser's sign-in row, in one
    statement: every page a signed-in person opens starts here."""
    token_hash = _token_hash()
    if token_hash is None:
        return db.session.get(model, principal_id), None
    found = db.session.execute(
        _with_sign_in_statement(model), {"token_hash": token_hash, "principal_id": principal_id}
    ).first()
    return (found[0], found[1]) if found else (None, None)


def why_not_open(row: SignIn | None, now: datetime) -> str | None:
    """None when the sign-in may be used now; else why not (none, signout, idle, expired)."""
    if row is None:
        return "none"
    if row.ended_at is not None:
        return row.ended_why or "signout"
    idle, absolute = _limits(row.user_id is not None)
    if now - row.last_seen_at > idle:
        return "idle"
    if now - row.created_at > absolute:
        return "expired"
    return None


def current(
    row: SignIn | None, *, user_id: int | None = None, household_id: int | None = None
) -> str | None:
    """Check this request's sign-in row (`load_with_sign_in`) belongs to the principal and is
    open; touch it.

    Returns None when it may be used, else why not. A sign-in that ran out is ended here (its
    row says idle or expired), so the reason is kept for the page that asks again.
    """
    now = utcnow()
    if row is not None and (row.user_id, row.household_id) != (user_id, household_id):
        return "none"
    reason = why_not_open(row, now)
    if reason in ("idle", "expired") and row.ended_at is None:
        row.ended_at, row.ended_why = now, reason
    elif reason is None and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return reason


def end(why: str = "signout") -> None:
    """End this browser's sign-in, if it has one."""
    row = _row()
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_why = utcnow(), why
    session.pop(SESSION_KEY, None)


def end_all_sign_ins(*, user_id: int, why: str) -> int:
    """End every open sign-in of a staff user (disabled, password reset): each of its browsers
    is signed out at its next request. Returns how many were open."""
    result = db.session.execute(
        update(SignIn)
        .where(SignIn.user_id == user_id, SignIn.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_why=why)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
