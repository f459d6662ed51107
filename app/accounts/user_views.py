"""Managing existing staff accounts: edit, reset the password, disable and enable.

Admins manage every account; district staff the worker and committee accounts of their own
district (``operations.may_manage``). An account the user may not manage answers 404, like a
record of another community.
"""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.blueprint import bp
from app.accounts.forms import AccountActionForm, UserEditForm
from app.accounts.models import User
from app.accounts.operations import (
    assignable_roles,
    may_manage,
    reset_password,
    set_user_active,
    update_user,
)
from app.communities.models import Community
from app.communities.tenancy import MAX_ID, staff_required, visible_communities_query
from app.core.errors import DomainError
from app.core.refusals import flash_refusal, refuse
from app.extensions import db


def managed_user_or_404(user_id: int) -> User:
    """The account if the current user may manage it; 404 otherwise (no existence leak)."""
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or not may_manage(current_user, user):
        abort(404)
    return user


def _edit_url(user: User) -> str:
    return url_for("accounts.edit_user", user_id=user.id)


@bp.route("/staff/users/<int:user_id>", methods=["GET", "POST"])
@staff_required("user.manage")
def edit_user(user_id: int):
    """An account's name, role, district and communities; its password and status buttons."""
    user = managed_user_or_404(user_id)
    visible = db.session.scalars(visible_communities_query(current_user)).all()
    form = UserEditForm(obj=None if request.method == "POST" else user)
    form.communities.choices = [(c.id, c.name) for c in visible]
    roles = assignable_roles(current_user)
    form.role.choices = [c for c in form.role.choices if c[0] in roles]
    if request.method != "POST":
        form.communities.data = [m.community_id for m in user.memberships]
    errors = []
    if form.validate_on_submit():
        chosen = [c for c in visible if c.id in set(form.communities.data or [])]
        try:
            update_user(
                current_user,
                user,
                display_name=form.display_name.data or "",
                role=form.role.data,
                district=form.district.data or "",
                communities=chosen,
                reachable_ids=[c.id for c in visible],
            )
        except DomainError as exc:
            errors = refuse(exc)
        else:
            flash(_("已保存账号 %(name)s。", name=user.username), "success")
            return redirect(url_for("accounts.users"))
    elsewhere = _communities_elsewhere(user, {c.id for c in visible})
    return render_template(
        "accounts/user_edit.html",
        user=user,
        form=form,
        action=AccountActionForm(),
        errors=errors,
        elsewhere=elsewhere,
    )


def _communities_elsewhere(user: User, reachable: set[int]) -> list[str]:
    """Names of the account's communities beyond the current user's reach (kept as they are)."""
    ids = [m.community_id for m in user.memberships if m.community_id not in reachable]
    if not ids:
        return []
    return db.session.scalars(select(Community.name).where(Community.id.in_(ids))).all()


@bp.route("/staff/users/<int:user_id>/password", methods=["POST"])
@staff_required("user.manage")
def reset_user_password(user_id: int):
    """Give the account a generated password, shown once on this page; its sign-ins end."""
    user = managed_user_or_404(user_id)
    if not AccountActionForm().validate_on_submit():
        abort(400)
    try:
        password = reset_password(current_user, user)
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(_edit_url(user))
    response = make_response(
        render_template("accounts/user_password.html", user=user, password=password)
    )
    # The password is on this page only: never cached, never in the flash or the session.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/staff/users/<int:user_id>/active", methods=["POST"])
@staff_required("user.manage")
def set_user_active_view(user_id: int):
    """Disable the account (its sign-ins end at once) or enable it again."""
    user = managed_user_or_404(user_id)
    if not AccountActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        set_user_active(current_user, user, active)
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(_edit_url(user))
    if active:
        flash(_("已启用账号 %(name)s。", name=user.username), "success")
    else:
        flash(_("已停用账号 %(name)s，它的登录已全部退出。", name=user.username), "success")
    return redirect(_edit_url(user))
