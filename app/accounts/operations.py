"""Writes on accounts: staff users, their community memberships, password resets, disabling."""

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.models import ROLES, Membership, User
from app.accounts.sessions import end_all_sign_ins
from app.core.audit import log_event
from app.core.codes import ALPHABET
from app.core.errors import DomainError
from app.core.permissions import ADMIN, COMMITTEE, DISTRICT, WORKER, has_permission
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


# --- managing existing accounts ------------------------------------------------------------

# A generated password: 16 symbols of the sign-in code alphabet (no look-alikes), about 76 bits,
# shown once in groups of four so it can be read out or copied by hand.
_GENERATED_LENGTH = 16


def generate_password() -> str:
    """A random password a person can read out: 16 symbols in groups of four."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(_GENERATED_LENGTH))
    return "-".join(symbols[i : i + 4] for i in range(0, _GENERATED_LENGTH, 4))


def assignable_roles(actor: User) -> tuple[str, ...]:
    """The roles an account manager may give: any (admin), worker or committee (district)."""
    return ROLES if actor.role == ADMIN else (WORKER, COMMITTEE)


def may_manage(actor: User, target: User) -> bool:
    """True when the actor may edit, reset or disable the target account: admins any account,
    district staff the worker and committee accounts of their own district."""
    if not has_permission(actor, "user.manage"):
        return False
    if actor.role == ADMIN:
        return True
    return (
        target.role in (WORKER, COMMITTEE)
        and bool(actor.district)
        and target.district == actor.district
    )


def _refuse_unless_manageable(actor: User, target: User) -> None:
    if not may_manage(actor, target):
        raise DomainError(_l("您不能管理这个账号。"))


def _other_active_admins(user: User) -> int:
    """Active admin accounts other than this one."""
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.role == ADMIN, User.active.is_(True), User.id != user.id
        )
    )


def _would_lock_out(user: User, *, role: str, active: bool) -> bool:
    """True when the change leaves the installation without an active admin."""
    was_admin = user.role == ADMIN and user.active
    stays_admin = role == ADMIN and active
    return was_admin and not stays_admin and _other_active_admins(user) == 0


def update_user(
    actor: User,
    user: User,
    *,
    display_name: str,
    role: str,
    district: str,
    communities,
    reachable_ids,
) -> User:
    """Change an account's name, role, district and communities; audited with before and after.

    ``communities`` are the chosen communities among ``reachable_ids`` (those the actor may
    see); memberships in communities beyond the actor's reach are kept as they are.
    """
    _refuse_unless_manageable(actor, user)
    before = user.audit_state()
    district = district.strip() if actor.role == ADMIN else actor.district
    reasons = []
    if role not in assignable_roles(actor):
        reasons.append(_l("您不能设置这个角色。"))
    if role == DISTRICT and not district:
        reasons.append(_l("区级账号需要填写所属区。"))
    chosen = {c.id for c in communities}
    reachable = set(reachable_ids)
    kept = {m.community_id for m in user.memberships if m.community_id not in reachable}
    if role in (WORKER, COMMITTEE) and not chosen | kept:
        reasons.append(_l("社区工作者和居委会/业委会账号至少需要一个小区。"))
    if _would_lock_out(user, role=role, active=user.active):
        reasons.append(_l("这是唯一一个可用的系统管理员账号，不能改成其他角色。"))
    if reasons:
        raise DomainError(*reasons)
    user.display_name = display_name.strip() or user.username
    user.role = role
    user.district = district
    for membership in list(user.memberships):
        if membership.community_id not in chosen | kept:
            user.memberships.remove(membership)
    have = {m.community_id for m in user.memberships}
    for community_id in sorted(chosen - have):
        user.memberships.append(Membership(community_id=community_id))
    db.session.flush()
    after = user.audit_state()
    if after != before:
        log_event("user.update", "user", user.id, before=before, after=after)
    return user


def reset_password(actor: User, user: User) -> str:
    """Give the account a new generated password, end its sign-ins, and return the password
    (to be shown once; it is stored only as a hash and never logged)."""
    _refuse_unless_manageable(actor, user)
    if user.id == actor.id:
        raise DomainError(_l("不能在这里重置自己的密码，请另一位管理员操作。"))
    password = generate_password()
    user.set_password(password)
    ended = end_all_sign_ins(user_id=user.id, why="reset")
    db.session.flush()
    log_event("user.password_reset", "user", user.id, after={"sign_ins_ended": ended})
    return password


def set_user_active(actor: User, user: User, active: bool) -> User:
    """Disable an account (its sign-ins end at once) or enable it again; audited."""
    _refuse_unless_manageable(actor, user)
    if user.active == active:
        return user
    reasons = []
    if not active and user.id == actor.id:
        reasons.append(_l("不能停用自己的账号。"))
    if _would_lock_out(user, role=user.role, active=active):
        reasons.append(_l("这是唯一一个可用的系统管理员账号，不能停用。"))
    if reasons:
        raise DomainError(*reasons)
    before = user.audit_state()
    user.active = active
    ended = 0 if active else end_all_sign_ins(user_id=user.id, why="disabled")
    db.session.flush()
    log_event(
        "user.enable" if active else "user.disable",
        "user",
        user.id,
        before=before,
        after={**user.audit_state(), **({} if active else {"sign_ins_ended": ended})},
    )
    return user
