"""Pages of change orders (设计变更) and final accounts (决算): staff list, draft, decide, enter
and confirm; a household sees the changes that took effect and its refund or top-up."""

import json

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.closeout.blueprint import bp
from app.closeout.forms import (
    ChangeForm,
    ConfirmFinalForm,
    DecideForm,
    FinalForm,
    SettleForm,
    actual_source_fields,
    funding_change_fields,
    read_actual_sources,
    read_funding_change,
)
from app.closeout.queries import after_vote, passed_items, revision_outcome
from app.communities.models import Household
from app.communities.tenancy import get_in_community_or_404, household_required, staff_required
from app.core.errors import DomainError
from app.core.permissions import has_permission
from app.core.refusals import flash_refusal, form_errors
from app.extensions import db
from app.funding.ledger import households_of
from app.plans.access import household_plan, item_or_404, plan_or_404
from app.plans.models import Item, ItemOption, Plan
from app.plans.phases import phase_allows
from app.rules.money import fen_input
from app.settlement.changes import (
    approve_change,
    change_for_revision_plan,
    draft_change,
    household_changes,
    plan_changes,
    reject_change,
    revised_item,
    settle_revision,
)
from app.settlement.finals import (
    confirm_final_accounts,
    enter_final_accounts,
    final_of,
    household_finals,
    plan_finals,
    planned_figures,
)
from app.settlement.models import ChangeOrder

REFUSALS = {
    "change_order": _l("只有施工阶段可以起草设计变更。"),
    "approve_change": _l("只有施工阶段可以审批设计变更。"),
    "final_accounts": _l("竣工验收和满意度评价阶段才能录入决算。"),
    "confirm_accounts": _l("竣工验收和满意度评价阶段才能确认决算。"),
}


def _require(plan: Plan, action: str) -> None:
    if not phase_allows(current_user.role, action, plan.phase):
        raise DomainError(REFUSALS[action])


def _changes_url(plan: Plan) -> str:
    return url_for("closeout.changes", community_id=plan.community_id, plan_id=plan.id)


def _change_or_404(plan: Plan, change_id: int) -> ChangeOrder:
    change = get_in_community_or_404(ChangeOrder, change_id)
    if change.plan_id != plan.id:
        abort(404)
    return change


def _change_form(plan: Plan) -> ChangeForm:
    form = ChangeForm()
    form.item_id.choices = [(i.id, f"{i.key} {i.title}") for i in passed_items(plan)]
    return form


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/changes")
@staff_required("plan.view")
def changes(community_id: int, plan_id: int, form=None, errors=()):
    """The plan's change orders with their status; the draft form for a worker."""
    plan = plan_or_404(plan_id)
    revision_of = change_for_revision_plan(plan.id)
    return render_template(
        "closeout/changes.html",
        plan=plan,
        changes=plan_changes(plan),
        items={i.id: i for i in plan.items},
        form=form or _change_form(plan),
        funding_fields=funding_change_fields(form or ChangeForm()),
        can_draft=has_permission(current_user, "change.draft")
        and phase_allows(current_user.role, "change_order", plan.phase),
        revision_of=revision_of,
        errors=errors,
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/changes", methods=["POST"])
@staff_required("change.draft")
def draft_change_view(community_id: int, plan_id: int):
    """A worker drafts a change order; the committee decides on its page."""
    plan = plan_or_404(plan_id)
    form = _change_form(plan)
    if not form.validate_on_submit():
        return changes(community_id, plan_id, form=form, errors=form_errors(form)), 400
    try:
        _require(plan, "change_order")
        change = draft_change(
            item_or_404(plan, form.item_id.data),
            reason=form.reason.data,
            cost_change_fen=form.cost_change.fen,
            funding_change=read_funding_change(form),
            scope_change=form.scope_change.data or "",
            user=current_user,
        )
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(_changes_url(plan))
    flash(_("设计变更已起草，等待居委会/业委会审批。"), "success")
    return redirect(
        url_for("closeout.change", community_id=community_id, plan_id=plan.id, change_id=change.id)
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/changes/<int:change_id>")
@staff_required("plan.view")
def change(community_id: int, plan_id: int, change_id: int):
    """One change order: figures, every household's share before and after, the decision."""
    plan = plan_or_404(plan_id)
    change = _change_or_404(plan, change_id)
    households = households_of(plan.community_id, [s.household_id for s in change.shares])
    shares = sorted(change.shares, key=lambda s: households[s.household_id].order)
    revision_plan = (
        db.session.get(Plan, change.revision_plan_id) if change.revision_plan_id else None
    )
    return render_template(
        "closeout/change.html",
        plan=plan,
        change=change,
        item=db.session.get(Item, change.item_id),
        funding_change=json.loads(change.funding_change or "{}"),
        shares=shares,
        households=households,
        revision_plan=revision_plan,
        revised=revised_item(change),
        outcome=revision_outcome(change) if change.status == "pending_vote" else None,
        can_decide=has_permission(current_user, "change.approve")
        and phase_allows(current_user.role, "approve_change", plan.phase)
        and change.status == "drafted",
        decide_form=DecideForm(),
        settle_form=SettleForm(),
    )


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/changes/<int:change_id>/approve", methods=["POST"]
)
@staff_required("change.approve")
def approve_change_view(community_id: int, plan_id: int, change_id: int):
    """The committee approves a drafted change."""
    return decide_change(plan_id, change_id, "approve")


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/changes/<int:change_id>/reject", methods=["POST"]
)
@staff_required("change.approve")
def reject_change_view(community_id: int, plan_id: int, change_id: int):
    """The committee rejects a drafted change."""
    return decide_change(plan_id, change_id, "reject")


def decide_change(plan_id: int, change_id: int, act: str):
    """Approve or reject (the committee's decision), then back to the change's page."""
    plan = plan_or_404(plan_id)
    change = _change_or_404(plan, change_id)
    form = DecideForm()
    if form.validate_on_submit():
        try:
            _require(plan, "approve_change")
            if act == "approve":
                approve_change(change, note=form.note.data or "", user=current_user)
                if change.status == "pending_vote":
                    flash(_("已批准；这项变更须经修订表决，已建立修订表决方案。"), "success")
                else:
                    flash(_("已批准，变更已生效。"), "success")
            else:
                reject_change(change, note=form.note.data or "", user=current_user)
                flash(_("已驳回，项目保持原样。"), "success")
        except DomainError as exc:
            flash_refusal(exc)
    return redirect(
        url_for(
            "closeout.change", community_id=plan.community_id, plan_id=plan.id, change_id=change.id
        )
    )


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/changes/<int:change_id>/settle", methods=["POST"]
)
@staff_required("change.draft")
def settle_change(community_id: int, plan_id: int, change_id: int):
    """Apply the revision vote's final result: the change takes effect or is refused."""
    plan = plan_or_404(plan_id)
    change = _change_or_404(plan, change_id)
    if SettleForm().validate_on_submit():
        outcome = revision_outcome(change)
        try:
            if outcome is None:
                raise DomainError(_l("修订表决还没有公告最终结果。"))
            settle_revision(change, outcome)
            flash(
                _("修订表决通过，变更已生效。")
                if outcome
                else _("修订表决未通过，变更不生效，项目保持原样。"),
                "success",
            )
        except DomainError as exc:
            flash_refusal(exc)
    return redirect(
        url_for("closeout.change", community_id=community_id, plan_id=plan.id, change_id=change.id)
    )


# --- Final accounts --------------------------------------------------------------------------


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/final-accounts")
@staff_required("plan.view")
def final_accounts(community_id: int, plan_id: int):
    """Per passed item: planned and actual residents' part, refunds, top-ups, status."""
    plan = plan_or_404(plan_id)
    finals = plan_finals(plan)
    confirmed = [f for f in finals.values() if f.status == "confirmed"]
    return render_template(
        "closeout/final_accounts.html",
        plan=plan,
        items=passed_items(plan),
        finals=finals,
        totals={
            "planned": sum(f.planned_residents_fen for f in confirmed),
            "actual": sum(f.actual_residents_fen for f in confirmed),
            "refunds": sum(f.refunds_fen for f in confirmed),
            "top_ups": sum(f.top_ups_fen for f in confirmed),
        },
    )


def _final_form(item) -> FinalForm:
    form = FinalForm()
    form.option_id.choices = [(0, "—")] + [(o.id, f"{o.key} {o.title}") for o in item.options]
    return form


def _final_page(plan, item, form, errors=(), status=200):
    passed = item in passed_items(plan)
    final = final_of(item)
    households, shares = {}, []
    if final is not None:
        households = households_of(plan.community_id, [s.household_id for s in final.shares])
        shares = sorted(final.shares, key=lambda s: households[s.household_id].order)
    planned = planned_figures(item) if not item.options and passed else None
    return render_template(
        "closeout/final_item.html",
        plan=plan,
        item=item,
        final=final,
        planned=planned,
        shares=shares,
        households=households,
        passed=passed,
        form=form,
        source_fields=actual_source_fields(form),
        confirm_form=ConfirmFinalForm(),
        can_enter=passed
        and has_permission(current_user, "accounts.enter")
        and phase_allows(current_user.role, "final_accounts", plan.phase)
        and (final is None or final.status != "confirmed"),
        can_confirm=has_permission(current_user, "accounts.confirm")
        and phase_allows(current_user.role, "confirm_accounts", plan.phase)
        and final is not None
        and final.status == "entered",
        errors=errors,
    ), status


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/final-accounts/<int:item_id>")
@staff_required("plan.view")
def final_item(community_id: int, plan_id: int, item_id: int):
    """One item's final accounts: the form, and every household's planned and actual share."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    form = _final_form(item)
    final = final_of(item)
    if final is not None:
        form.actual_cost.data = fen_input(final.actual_cost_fen)
        form.note.data = final.note
        form.option_id.data = final.option_id or 0
        for s in final.sources:
            form[f"actual_{s.source}"].data = fen_input(s.actual_fen) if s.actual_fen else ""
    else:
        for f in item.funding:
            form[f"actual_{f.source}"].data = fen_input(f.amount_fen) if f.amount_fen else ""
        form.actual_cost.data = fen_input(item.cost_fen) if item.cost_fen else ""
    return _final_page(plan, item, form)


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/final-accounts/<int:item_id>", methods=["POST"]
)
@staff_required("accounts.enter")
def enter_final_view(community_id: int, plan_id: int, item_id: int):
    """A worker enters (or corrects, until confirmed) the item's actual figures."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    form = _final_form(item)
    if not form.validate_on_submit():
        return _final_page(plan, item, form, form_errors(form), 400)
    option = None
    if form.option_id.data:
        option = get_in_community_or_404(ItemOption, form.option_id.data)
        if option.item_id != item.id:
            abort(404)
    try:
        _require(plan, "final_accounts")
        if item not in passed_items(plan):
            raise DomainError(_l("只有最终结果通过的项目才有决算。"))
        enter_final_accounts(
            item,
            actual_cost_fen=form.actual_cost.fen,
            actual_sources=read_actual_sources(form),
            option=option,
            note=form.note.data or "",
            user=current_user,
        )
    except DomainError as exc:
        flash_refusal(exc)
        return _final_page(plan, item, form, [str(exc)], 400)
    flash(_("决算已录入，等待居委会/业委会确认。"), "success")
    return redirect(
        url_for("closeout.final_item", community_id=community_id, plan_id=plan.id, item_id=item.id)
    )


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/final-accounts/<int:item_id>/confirm",
    methods=["POST"],
)
@staff_required("accounts.confirm")
def confirm_final_view(community_id: int, plan_id: int, item_id: int):
    """The committee confirms the item's final accounts: they are final from then on."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    final = final_of(item)
    if ConfirmFinalForm().validate_on_submit():
        try:
            _require(plan, "confirm_accounts")
            if final is None:
                raise DomainError(_l("这个项目还没有录入决算。"))
            confirm_final_accounts(final, user=current_user)
            flash(_("决算已确认，各户的退补金额已列入对账单。"), "success")
        except DomainError as exc:
            flash_refusal(exc)
    return redirect(
        url_for("closeout.final_item", community_id=community_id, plan_id=plan.id, item_id=item.id)
    )


# --- The household's own page ------------------------------------------------------------------


@bp.route("/my/changes")
@household_required
def my_changes():
    """Changes that took effect on the household's items, its share before and after, and its
    refund or top-up from the confirmed final accounts."""
    plan = household_plan()
    if plan is not None and plan.revises_plan_id is not None:
        plan = db.session.get(Plan, plan.revises_plan_id)  # a revision vote: its own plan
    household = db.session.get(Household, g.household.id)
    if not after_vote(plan):
        return render_template("closeout/my_changes.html", plan=plan, changes=[], finals=[])
    rows = [(c, s) for c, s in household_changes(plan, household.id) if s is not None]
    items = {i.id: i for i in plan.items}
    return render_template(
        "closeout/my_changes.html",
        plan=plan,
        changes=rows,
        items=items,
        finals=household_finals(plan, household.id),
    )
