"""Who may do what: the role × permission table, checked by one decorator, tested as a matrix."""

import functools

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from app.core.tenancy import community_or_404

ADMIN, DISTRICT, WORKER, COMMITTEE = "admin", "district", "worker", "committee"

# District staff read progress across their district; they do not handle residents' records.
PERMISSIONS: dict[str, frozenset[str]] = {
    "community.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    "community.create": frozenset({ADMIN, DISTRICT}),
    "user.manage": frozenset({ADMIN, DISTRICT}),
    "household.view": frozenset({ADMIN, WORKER, COMMITTEE}),
    "roster.import": frozenset({ADMIN, WORKER}),
    "codes.issue": frozenset({ADMIN, WORKER}),
    "audit.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    # Plans (两上两下): the worker runs the process; the committee reviews and signs off.
    "plan.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    "plan.manage": frozenset({ADMIN, WORKER}),
    "proposal.manage": frozenset({ADMIN, WORKER}),
    "ballot.view": frozenset({ADMIN, WORKER, COMMITTEE}),
    "ballot.enter": frozenset({ADMIN, WORKER}),
    "ballot.review": frozenset({ADMIN, COMMITTEE}),
    "tally.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    "result.publish": frozenset({ADMIN, WORKER, COMMITTEE}),
    "objection.manage": frozenset({ADMIN, WORKER, COMMITTEE}),
    "print": frozenset({ADMIN, WORKER, COMMITTEE}),
    "funding.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    "funding.manage": frozenset({ADMIN, WORKER}),
    "payment.record": frozenset({ADMIN, WORKER}),
    "export": frozenset({ADMIN, WORKER, COMMITTEE}),
    "archive": frozenset({ADMIN, WORKER, COMMITTEE}),
    "district.overview": frozenset({ADMIN, DISTRICT}),
}


def has_permission(user, permission: str) -> bool:
    """True when the staff user's role grants the permission."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return bool(getattr(user, "is_staff", False)) and user.role in PERMISSIONS[permission]


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
