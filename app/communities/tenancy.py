"""Tenancy in one place: which communities a staff user may see, scoped lookups (else 404),
and the decorators every staff and household page starts with."""

import functools

from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import Select, select

from app.communities.models import Community
from app.core.permissions import has_permission
from app.extensions import db


def visible_communities_query(user) -> Select:
    """Communities the staff user may see: all (admin), the district's, or memberships."""
    query = select(Community).order_by(Community.name)
    if user.role == "admin":
        return query
    if user.role == "district":
        return query.where(Community.district == user.district)
    return query.where(Community.id.in_([m.community_id for m in user.memberships]))


def can_see_community(user, community) -> bool:
    """True when the community is within the user's reach."""
    if user.role == "admin":
        return True
    if user.role == "district":
        return bool(user.district) and community.district == user.district
    return any(m.community_id == community.id for m in user.memberships)


def community_or_404(community_id: int):
    """The community if the current user may see it; 404 otherwise (no existence leak)."""
    community = db.session.get(Community, community_id) if 0 < community_id <= MAX_ID else None
    if community is None or not can_see_community(current_user, community):
        abort(404)
    return community


def scoped(model):
    """A select of `model` limited to the current community (g.community)."""
    return select(model).where(model.community_id == g.community.id)


# Ids are 32-bit on PostgreSQL (integer columns); a larger number names no record.
MAX_ID = 2**31 - 1


def get_in_community_or_404(model, record_id: int):
    """A record of the current community by id; another community's record answers 404."""
    if not 0 < record_id <= MAX_ID:
        abort(404)
    record = db.session.scalar(scoped(model).where(model.id == record_id))
    if record is None:
        abort(404)
    return record


def staff_required(permission: str):
    """Require a signed-in staff user holding `permission`; resolve `community_id` or 404.

    An unauthenticated request goes to the sign-in page; a household or a role without the
    permission gets 403; a community the user may not see answers 404, as if it did not exist.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or not getattr(current_user, "is_staff", False):
                if request.method == "GET":
                    target = request.full_path.rstrip("?")
                    return redirect(url_for("accounts.staff_signin", next=target))
                abort(401)
            if "community_id" in kwargs:
                g.community = community_or_404(kwargs["community_id"])
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return wrapped

    return decorator


def household_required(view):
    """Require a household signed in with its code."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not getattr(current_user, "is_household", False):
            return redirect(url_for("accounts.household_signin"))
        g.household = current_user.household
        return view(*args, **kwargs)

    return wrapped
