"""Writes on accounts: staff users and their community memberships."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import ROLES, Membership, User
from app.core.audit import log_event
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
