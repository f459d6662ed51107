"""Staff list of a plan's ballots: who voted, when and how, searchable; never the choices.

Routes on the voting blueprint (imported at the end of ``app.voting.views``).
"""

from flask import current_app, render_template, request
from flask_login import current_user

from app.communities.tenancy import staff_required
from app.core.paging import page_number
from app.core.permissions import has_permission
from app.plans.access import plan_or_404
from app.voting.ballot_list import (
    STATUS_FILTERS,
    BallotFilter,
    ballot_page,
    ballot_totals,
)
from app.voting.blueprint import bp
from app.voting.models import CHANNELS


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/ballots")
@staff_required("ballot.view")
def ballot_list(community_id: int, plan_id: int):
    """Every recorded ballot of the plan, newest first, by channel, status and household."""
    plan = plan_or_404(plan_id)
    channel = request.args.get("channel", "")
    status = request.args.get("status", "")
    wanted = BallotFilter(
        channel=channel if channel in CHANNELS else "",
        status=status if status in STATUS_FILTERS else "",
        search=request.args.get("q", "")[:100],
    )
    page = ballot_page(plan, wanted, page_number(request.args), current_app.config["PAGE_SIZE"])
    return render_template(
        "voting/ballot_list.html",
        plan=plan,
        page=page,
        wanted=wanted,
        totals=ballot_totals(plan),
        channels=CHANNELS,
        status_filters=("", *STATUS_FILTERS),
        link_households=has_permission(current_user, "household.view"),
    )
