"""Opening a runoff (决选) for an undecided item, from the original plan's results page."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from app.communities.tenancy import staff_required
from app.core.errors import DomainError
from app.core.refusals import flash_refusal
from app.plans.access import item_or_404, plan_or_404
from app.tally.blueprint import bp
from app.tally.forms import RunoffForm
from app.tally.runoff import open_runoff


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/runoff", methods=["POST"])
@staff_required("plan.manage")
def open_runoff_view(community_id: int, plan_id: int, item_id: int):
    """Open a runoff between the item's leading options with the dates given."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    back = url_for("tally.dashboard", community_id=community_id, plan_id=plan.id)
    form = RunoffForm()
    if not form.validate_on_submit():
        flash(_("没有发起决选：请填写决选的开始和截止日期。"), "error")
        return redirect(back + f"#item-{item.key}")
    try:
        runoff = open_runoff(item, form.voting_opens.data, form.voting_closes.data)
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(back + f"#item-{item.key}")
    flash(_("已发起决选：%(t)s。", t=runoff.title), "success")
    return redirect(url_for("tally.dashboard", community_id=community_id, plan_id=runoff.id))
