"""Writes on accounts: staff users and memberships, household codes (issue, rotate)."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.codes import generate_code, hash_code
from app.accounts.models import ROLES, Membership, User
from app.communities.models import Community, Household
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db

MIN_PASSWORD = 10


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    communities=(),
    district: str = "",
    display_name: str = "",
) -> User:
    """Create a staff account with a hashed password and its community memberships."""
    username = username.strip()
    reasons = []
    if not username:
        reasons.append(_l("请填写用户名。"))
    elif db.session.scalar(select(User.id).where(User.username == username)):
        reasons.append(_l("用户名“%(name)s”已被使用。", name=username))
    if role not in ROLES:
        reasons.append(
            _l("角色“%(role)s”无效，可选：%(roles)s。", role=role, roles=", ".join(ROLES))
        )
    if len(password) < MIN_PASSWORD:
        reasons.append(_l("密码至少需要 %(n)d 个字符。", n=MIN_PASSWORD))
    if role == "district" and not district.strip():
        reasons.append(_l("区级账号需要填写所属区。"))
    if role in ("worker", "committee") and not communities:
        reasons.append(_l("社区工作者和居委会/业委会账号至少需要一个小区。"))
    if reasons:
        raise DomainError(*reasons)
    user = User(
        username=username,
        role=role,
        district=district.strip(),
        display_name=display_name.strip() or username,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    for community in communities:
        db.session.add(Membership(user=user, community_id=community.id))
    db.session.flush()
    log_event("user.create", "user", user.id, after=user.audit_state())
    return user


def find_community(name: str) -> Community:
    """A community by its exact name, or a clear error."""
    community = db.session.scalar(select(Community).where(Community.name == name.strip()))
    if community is None:
        raise DomainError(_l("没有名为“%(name)s”的小区。", name=name))
    return community


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
