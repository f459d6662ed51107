"""Staff list of a plan's ballots: who voted, when and how, searchable; never the choices.

Routes on the voting blueprint (imported at the end of ``app.voting.views``).
"""

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
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

CHANNEL_LABELS = {"online": _l("网上"), "paper": _l("纸质"), "assisted": _l("上门代填")}
STATUS_LABELS = {
    "counted": _l("有效"),
    "counted_conflict": _l("有效 · 冲突待处理"),
    "conflict": _l("冲突待处理 · 未计入"),
    "superseded": _l("已被取代"),
}
STATUS_FILTER_LABELS = {
    "": _l("全部"),
    "counted": _l("只看有效票"),
    "conflict": _l("冲突待处理"),
    "superseded": _l("已被取代"),
}


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
        channel_labels=CHANNEL_LABELS,
        status_labels=STATUS_LABELS,
        status_filters=("", *STATUS_FILTERS),
        status_filter_labels=STATUS_FILTER_LABELS,
        link_households=has_permission(current_user, "household.view"),
    )
