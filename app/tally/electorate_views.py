"""The frozen electorate of a plan (design §3c): what was fixed when voting opened, how the
census has moved since, and the committee's corrections (each with a reason, audited, and
listed on every notice printed after it)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.communities.electorate import (
    CorrectionRequest,
    census_drift,
    correct_electorate,
    correction_change,
    corrections,
    snapshot_for,
    snapshot_totals,
)
from app.communities.queries import households_at
from app.communities.tenancy import staff_required
from app.core.errors import DomainError
from app.core.permissions import has_permission
from app.core.refusals import refuse
from app.plans.access import plan_or_404
from app.tally.blueprint import bp
from app.tally.forms import ElectorateCorrectionForm


def _page(plan, form, status: int = 200, errors: list[str] | None = None):
    """The electorate page of a plan that has opened voting (its form, if any, as given)."""
    snapshot = snapshot_for(plan.id)
    if snapshot is None:
        return render_template("tally/electorate.html", plan=plan, snapshot=None), status
    households, area = snapshot_totals(snapshot)
    rows = [(c, *correction_change(c)) for c in corrections(snapshot)]
    return render_template(
        "tally/electorate.html",
        plan=plan,
        snapshot=snapshot,
        households=households,
        area=area,
        corrections=rows,
        drift=census_drift(snapshot),
        form=form,
        errors=errors or [],
    ), status


def _one_household(community_id: int, address: str):
    """The one household at a typed address (written out or shorthand such as 3-2-501)."""
    found = households_at(community_id, address)
    if not found:
        raise DomainError(_("找不到住户“%(a)s”。", a=address))
    if len(found) > 1:
        raise DomainError(_("“%(a)s”对应不止一户，请写全楼栋、单元和房号，如 3-2-301。", a=address))
    return found[0]


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/electorate")
@staff_required("household.view")
def electorate(community_id: int, plan_id: int):
    """The plan's frozen electorate, its corrections, and (for the committee) the form."""
    plan = plan_or_404(plan_id)
    can_correct = has_permission(current_user, "electorate.correct")
    return _page(plan, ElectorateCorrectionForm() if can_correct else None)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/electorate", methods=["POST"])
@staff_required("electorate.correct")
def correct_electorate_view(community_id: int, plan_id: int):
    """Record a committee member's correction of one household of the frozen electorate."""
    plan = plan_or_404(plan_id)
    snapshot = snapshot_for(plan.id)
    if snapshot is None:  # the app-wide refusal path sends the form back with this reason
        raise DomainError(_("开始表决后表决范围才固定，才需要更正。"))
    form = ElectorateCorrectionForm()
    if not form.validate_on_submit():
        return _page(plan, form, 422)
    try:
        household = _one_household(plan.community_id, form.address.data)
        same_as = None
        if form.kind.data == "owner" and (form.same_owner_as.data or "").strip():
            same_as = _one_household(plan.community_id, form.same_owner_as.data)
        request = CorrectionRequest(
            kind=form.kind.data,
            reason=form.reason.data or "",
            area=form.area.data,
            same_owner_as=same_as,
        )
        correct_electorate(snapshot, household, request, current_user)
    except DomainError as exc:
        return _page(plan, form, 422, errors=refuse(exc))
    flash(_("已更正 %(a)s 的表决范围记录。", a=household.address_label), "success")
    return redirect(url_for("tally.electorate", community_id=community_id, plan_id=plan.id))
