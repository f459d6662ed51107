"""Tenancy in one place: which communities a staff user may see, and scoped lookups (else 404)."""

from flask import abort, g
from flask_login import current_user
from sqlalchemy import Select, select

from app.extensions import db


def visible_communities_query(user) -> Select:
    """Communities the staff user may see: all (admin), the district's, or memberships."""
    from app.accounts.models import Membership
    from app.communities.models import Community

    query = select(Community).order_by(Community.name)
    if user.role == "admin":
        return query
    if user.role == "district":
        return query.where(Community.district == user.district)
    member_of = select(Membership.community_id).where(Membership.user_id == user.id)
    return query.where(Community.id.in_(member_of))


def can_see_community(user, community) -> bool:
    """True when the community is within the user's reach."""
    if user.role == "admin":
        return True
    if user.role == "district":
        return bool(user.district) and community.district == user.district
    return any(m.community_id == community.id for m in user.memberships)


def community_or_404(community_id: int):
    """The community if the current user may see it; 404 otherwise (no existence leak)."""
    from app.communities.models import Community

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
