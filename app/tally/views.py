"""Workers' results pages: the live dashboard, the tally JSON, an item's arithmetic explained, the
households that have not voted (printable) with their ballot delivery.

Publication (二下) and the residents' results page live in publication_views.py on this blueprint.
"""

import json
from fractions import Fraction

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.communities.electorate import corrections, snapshot_for
from app.communities.models import Household
from app.communities.normalize import natural_key
from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.db import begin_read_snapshot
from app.core.errors import DomainError
from app.core.permissions import has_permission
from app.core.refusals import flash_refusal
from app.paper.operations import record_delivery
from app.plans.access import item_or_404, plan_or_404
from app.plans.queries import is_voting_open, scope_label
from app.tally.blueprint import bp
from app.tally.charts import option_bars, option_bars_svg
from app.tally.document import tally_document
from app.tally.explain import (
    amount_text,
    area_text,
    explain_item,
    failure_reasons,
    item_sentence,
    option_summary,
    owners_text,
    percent_text,
    result_sentence,
    rule_text,
)
from app.tally.forms import DeliveryForm, RunoffForm
from app.tally.listings import conflicts, latest_plan_with_results, non_voters, place_names
from app.tally.queries import tally_plan
from app.tally.runoff import runoff_origin, runoff_problem, runoffs_of
from app.voting.optin import opt_in_context

bp.add_app_template_filter(owners_text, "owners")
bp.add_app_template_filter(area_text, "m2")


@bp.app_template_filter("share")
def share_filter(part, whole):
    """part / whole on one dimension as a percentage ("—" when whole is 0)."""
    return percent_text(Fraction(part) / Fraction(whole) if whole else None)


@bp.app_template_filter("meter")
def meter_filter(part, whole):
    """part / whole for a <meter> value attribute (display only; counting never uses floats)."""
    return f"{float(Fraction(part) / Fraction(whole)):.4f}" if whole else "0"


@bp.context_processor
def tally_words():
    """Amounts in words for every tally template (labels: app.core.vocabulary's filters)."""
    return {
        "amount_text": amount_text,
        "result_sentence": result_sentence,
        "rule_text": rule_text,
        "item_sentence": item_sentence,
        "option_summary": option_summary,
        "option_chart": lambda r: option_bars_svg(option_bars(r), r.item.key),
        "runoff_origin_of": lambda r: (
            runoff_origin(r.item.runoff_of_id) if r.item.runoff_of_id is not None else None
        ),
    }


def turnout_rows(result, community_id: int) -> list[dict]:
    """Buildings in natural order, each followed by its units: names and turnout."""
    buildings, units = place_names(community_id)
    rows = []
    by_building = [p for p in result.places if p.unit_id is None]
    for b in sorted(by_building, key=lambda p: natural_key(buildings.get(p.building_id, ""))):
        rows.append({"name": buildings.get(b.building_id, "?"), "place": b, "unit": False})
        own = [p for p in result.places if p.building_id == b.building_id and p.unit_id]
        for u in sorted(own, key=lambda p: natural_key(units.get(p.unit_id, ""))):
            name = units.get(u.unit_id) or _("（无单元）")
            rows.append({"name": name, "place": u, "unit": True})
    return rows


@bp.route("/c/<int:community_id>/results")
@staff_required("tally.view")
def community_results(community_id: int):
    """The results of the community's newest plan that has reached voting."""
    plan = latest_plan_with_results(community_id)
    if plan is None:
        return render_template("tally/no_results.html")
    return redirect(url_for("tally.dashboard", community_id=community_id, plan_id=plan.id))


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/results")
@staff_required("tally.view")
def dashboard(community_id: int, plan_id: int):
    """Live turnout toward quorum, each item's standing and why, conflicts."""
    plan = plan_or_404(plan_id)
    begin_read_snapshot()  # the tally's statements see one moment while ballots arrive
    result = tally_plan(plan)
    may_open = has_permission(current_user, "plan.manage")
    return render_template(
        "tally/dashboard.html",
        plan=plan,
        result=result,
        runoffs=runoff_links(result),
        runoff_form=RunoffForm() if may_open else None,
        runoff_problems={r.item.id: runoff_problem(plan, r) for r in result.items if r.undecided},
        turnout=turnout_rows(result, community_id),
        reasons={r.item.id: failure_reasons(r.tally) for r in result.items},
        conflict_rows=conflicts(plan),
        corrections=corrections(snapshot_for(plan.id)),
        **opt_in_context(plan),
    )


def runoff_links(result) -> dict:
    """Per undecided item id: the runoff opened for it."""
    return runoffs_of([r.item.id for r in result.items if r.options is not None])


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/tally.json")
@staff_required("tally.view")
def tally_json(community_id: int, plan_id: int):
    """The tally document of docs/formats.md#tally-json, as `flask tally PLAN --json` prints it."""
    plan = plan_or_404(plan_id)
    begin_read_snapshot()  # the tally's statements see one moment while ballots arrive
    body = json.dumps(tally_document(tally_plan(plan)), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json")


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/explain")
@staff_required("tally.view")
def explain(community_id: int, plan_id: int, item_id: int):
    """One item's arithmetic in words a committee member can read aloud."""
    plan = plan_or_404(plan_id)
    begin_read_snapshot()  # the tally's statements see one moment while ballots arrive
    item = item_or_404(plan, item_id)
    result = tally_plan(plan)
    item_result = next(r for r in result.items if r.item.id == item.id)
    return render_template(
        "tally/explain.html",
        plan=plan,
        item=item,
        result=item_result,
        provisional=result.provisional,
        text=explain_item(item_result, scope_label(item), result.provisional),
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/non-voters")
@staff_required("household.view")
def non_voter_list(community_id: int, plan_id: int):
    """Households that have not voted, by building and unit, for door-to-door visits (printable)."""
    plan = plan_or_404(plan_id)
    begin_read_snapshot()  # the tally's statements see one moment while ballots arrive
    groups = non_voters(plan)
    can_enter = has_permission(current_user, "ballot.enter")
    can_deliver = plan.phase == "voting" and can_enter
    return render_template(
        "tally/non_voters.html",
        plan=plan,
        groups=groups,
        total=sum(len(members) for _b, _u, members in groups),
        form=DeliveryForm() if can_deliver else None,
        can_assist=can_enter and is_voting_open(plan),
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/deliveries", methods=["POST"])
@staff_required("ballot.enter")
def record_delivery_view(community_id: int, plan_id: int):
    """Record that one household's ballot or letter was delivered."""
    plan = plan_or_404(plan_id)
    form = DeliveryForm()
    target = url_for("tally.non_voter_list", community_id=community_id, plan_id=plan.id)
    if not form.validate_on_submit():
        flash(_("没有登记：请选择送达方式后再提交。"), "error")
        return redirect(target)
    household = get_in_community_or_404(Household, form.household_id.data)
    try:
        record_delivery(plan, household, form.method.data, current_user)
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(target)
    flash(_("已登记 %(a)s 的送达。", a=household.address_label), "success")
    anchor = request.form.get("next", "")
    return redirect(target + (f"#u{anchor}" if anchor.isdigit() else ""))


from app.tally import electorate_views, publication_views, runoff_views  # noqa: E402, F401
