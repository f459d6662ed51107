"""Staff pages of an item's options (方案比选): list, add, edit, reorder, remove; the option rule.

Routes on the plans blueprint (imported at the end of ``app.plans.views``). Editable while the
plan is drafted, read-only once voting opens, like the item's other fields.
"""

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.errors import DomainError
from app.core.refusals import flash_refusal, refuse
from app.plans.access import item_or_404, plan_or_404
from app.plans.blueprint import bp
from app.plans.forms import OptionForm, OptionRuleForm
from app.plans.items import item_edit_lock
from app.plans.models import Item, ItemOption, Plan
from app.plans.options import (
    add_option,
    delete_option,
    move_option,
    options_problems,
    set_option_rule,
    update_option,
)
from app.plans.phases import DRAFTING, PROPOSALS
from app.plans.shares import option_breakdowns, option_problems

BASE = "/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/options"


def _option_or_404(item: Item, option_id: int) -> ItemOption:
    """An option of this item in the current community; anything else answers 404."""
    option = get_in_community_or_404(ItemOption, option_id)
    if option.item_id != item.id:
        abort(404)
    return option


def _lock(plan: Plan) -> str | None:
    """Why options cannot change now (only while the plan is drafted), or None."""
    if plan.phase in (PROPOSALS, DRAFTING):
        return None
    return item_edit_lock(plan) or _("表决已经开始，比选方案不能再改。")


def _fields(form: OptionForm) -> dict:
    return {
        "key": form.key.data.strip(),
        "title": form.title.data.strip(),
        "description": (form.description.data or "").strip(),
        "cost_fen": form.cost.fen or 0,
        "funding": form.funding(),
        "share_method": form.share_method.data,
        "floor_coefficients": form.floor_table(),
    }


def _back(community_id: int, plan_id: int, item_id: int):
    return redirect(
        url_for("plans.item_options", community_id=community_id, plan_id=plan_id, item_id=item_id)
    )


@bp.route(BASE, methods=["GET", "POST"])
@staff_required("plan.manage")
def item_options(community_id: int, plan_id: int, item_id: int):
    """The item's options with their money; a form adds one."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    form = OptionForm()
    errors = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                add_option(item, **_fields(form))
            except DomainError as exc:
                errors = refuse(exc)
            else:
                flash(_("已添加方案 %(k)s。", k=form.key.data.strip()), "success")
                return _back(community_id, plan_id, item_id)
        else:
            errors = [e for field in form for e in field.errors]
    elif not item.options:
        form.key.data = "a"
    rule_form = OptionRuleForm(option_rule=item.option_rule or "plurality")
    return render_template(
        "plans/item_options.html",
        plan=plan,
        item=item,
        form=form,
        rule_form=rule_form,
        errors=errors,
        lock=_lock(plan),
        breakdowns=option_breakdowns(plan),
        problems=option_problems(item) if item.options else {},
        single=[str(p) for p in options_problems(plan) if item.key in str(p)],
    ), (422 if errors else 200)


@bp.route(BASE + "/<int:option_id>", methods=["GET", "POST"])
@staff_required("plan.manage")
def edit_option(community_id: int, plan_id: int, item_id: int, option_id: int):
    """Change one option."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    option = _option_or_404(item, option_id)
    form = OptionForm(obj=option)
    errors = []
    if request.method == "GET":
        form.cost.data = f"{option.cost_fen / 100:.2f}"
        for row in option.funding:
            form[f"amount_{row.source}"].data = f"{row.amount_fen / 100:.2f}"
        if option.floor_coefficients:
            table = json.loads(option.floor_coefficients)
            form.floor_coefficients.data = ", ".join(f"{k}:{v}" for k, v in table.items())
    elif form.validate_on_submit():
        try:
            update_option(option, **_fields(form))
        except DomainError as exc:
            errors = refuse(exc)
        else:
            flash(_("已保存方案 %(k)s。", k=option.key), "success")
            return _back(community_id, plan_id, item_id)
    else:
        errors = [e for field in form for e in field.errors]
    return render_template(
        "plans/option_form.html",
        plan=plan,
        item=item,
        option=option,
        form=form,
        errors=errors,
        lock=_lock(plan),
    ), (422 if errors else 200)


@bp.route(BASE + "/<int:option_id>/move", methods=["POST"])
@staff_required("plan.manage")
def reorder_option(community_id: int, plan_id: int, item_id: int, option_id: int):
    """Move one option up or down."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    option = _option_or_404(item, option_id)
    try:
        move_option(option, -1 if request.form.get("direction") == "up" else 1)
    except DomainError as exc:
        flash_refusal(exc)
    return _back(community_id, plan_id, item_id)


@bp.route(BASE + "/rule", methods=["POST"])
@staff_required("plan.manage")
def option_rule(community_id: int, plan_id: int, item_id: int):
    """Choose how the item picks its option: plurality or threshold."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    form = OptionRuleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        set_option_rule(item, form.option_rule.data)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(_("已保存方案比选规则。"), "success")
    return _back(community_id, plan_id, item_id)


# Registered last: a walk over the routes in order (tests/core/test_permissions.py) removes the
# option only after every other option page has been visited.
@bp.route(BASE + "/<int:option_id>/delete", methods=["POST"])
@staff_required("plan.manage")
def remove_option(community_id: int, plan_id: int, item_id: int, option_id: int):
    """Remove one option (CSRFProtect has checked the token)."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    option = _option_or_404(item, option_id)
    key = option.key
    try:
        delete_option(option)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(_("已删除方案 %(k)s。", k=key), "success")
    return _back(community_id, plan_id, item_id)
