"""Publication (二下) on the tally blueprint: the preliminary result, objections and their
resolution, the final result; and the residents' results page."""

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.communities.models import Community
from app.communities.queries import households_at
from app.communities.tenancy import get_in_community_or_404, household_required, staff_required
from app.core.confirm import confirmation_page, confirmed
from app.core.errors import DomainError
from app.core.permissions import has_permission
from app.core.refusals import flash_refusal, refuse
from app.extensions import db
from app.plans.access import plan_or_404
from app.plans.queries import items_for_household, local_today
from app.tally.blueprint import bp
from app.tally.forms import ConfirmForm, ObjectionForm, ResolveForm
from app.tally.listings import objections, published_plan
from app.tally.models import Objection
from app.tally.operations import (
    publish_final,
    publish_preliminary,
    record_objection,
    resolve_objection,
    unresolved_objections,
)
from app.tally.queries import tally_plan, voting_over
from app.tally.runoff import runoffs_of
from app.voting.optin import opt_in_context


def _publication_url(plan) -> str:
    """The plan's publication page."""
    return url_for("tally.publication", community_id=plan.community_id, plan_id=plan.id)


def _objection_form(plan) -> ObjectionForm:
    """The objection form, its item choices filled from the plan."""
    form = ObjectionForm()
    form.item_id.choices = [(0, _("整个方案"))] + [(i.id, f"{i.key} {i.title}") for i in plan.items]
    return form


def _publication_page(plan, objection_form=None):
    """The publication page; `objection_form` keeps what was typed when one was refused."""
    today = local_today()
    preliminary = plan.phase == "published" and plan.result_stage == "preliminary"
    if objection_form is None and preliminary and has_permission(current_user, "objection.manage"):
        objection_form = _objection_form(plan)
    return render_template(
        "tally/publication.html",
        plan=plan,
        result=tally_plan(plan, today),
        voting_over=voting_over(plan, today),
        today=today,
        objection_rows=objections(plan),
        unresolved=unresolved_objections(plan),
        objection_form=objection_form if preliminary else None,
        resolve_form=ResolveForm() if preliminary else None,
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/publication")
@staff_required("tally.view")
def publication(community_id: int, plan_id: int):
    """Where the result stands: publish, the objection period, objections, the final result."""
    return _publication_page(plan_or_404(plan_id))


def _result_lines(plan, today) -> list[str]:
    """The result about to be published, in numbers."""
    result = tally_plan(plan, today)
    passed = sum(1 for r in result.items if r.passed)
    return [
        _(
            "%(n)d 户的表决计入结果（本小区共 %(t)d 户）。",
            n=result.ballots.effective,
            t=result.community.electorate.households,
        ),
        _("%(n)d 个项目中 %(p)d 个通过。", n=len(result.items), p=passed),
    ]


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/publish/preliminary", methods=["POST"])
@staff_required("result.publish")
def publish_preliminary_view(community_id: int, plan_id: int):
    """Publish the preliminary result, once confirmed; the objection period starts today."""
    plan = plan_or_404(plan_id)
    if ConfirmForm().validate_on_submit() and not confirmed():
        today = local_today()
        lines = [
            _("结果向全体居民公示，表决从此结束，不能再恢复。"),
            *_result_lines(plan, today),
            _(
                "异议期 %(n)d 天，到 %(d)s 为止。",
                n=plan.objection_days,
                d=(today + timedelta(days=plan.objection_days)).isoformat(),
            ),
        ]
        if plan.voting_closes and plan.voting_closes > today:
            lines.append(
                _("表决截止日期由 %(old)s 改为今天 %(new)s。", old=plan.voting_closes, new=today)
            )
        return confirmation_page(
            _("公示表决结果"),
            lines,
            button=_("确认公示"),
            cancel_url=_publication_url(plan),
        )
    if ConfirmForm().validate_on_submit():
        try:
            publish_preliminary(plan)
            flash(_("结果已公示，公示期至 %(d)s。", d=plan.objections_close.isoformat()), "success")
        except DomainError as exc:
            flash_refusal(exc)
    return redirect(_publication_url(plan))


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/publish/final", methods=["POST"])
@staff_required("result.publish")
def publish_final_view(community_id: int, plan_id: int):
    """Publish the final result once the objection period is over and objections resolved."""
    plan = plan_or_404(plan_id)
    if ConfirmForm().validate_on_submit() and not confirmed():
        received = len(objections(plan))
        return confirmation_page(
            _("公布最终结果"),
            [
                _("最终结果向全体居民公告，之后不能再登记或处理异议。"),
                *_result_lines(plan, local_today()),
                _("公示期间共登记异议 %(n)d 件。", n=received),
            ],
            button=_("确认公布最终结果"),
            cancel_url=_publication_url(plan),
        )
    if ConfirmForm().validate_on_submit():
        try:
            publish_final(plan)
            flash(_("最终结果已公布。"), "success")
        except DomainError as exc:
            flash_refusal(exc)
    return redirect(_publication_url(plan))


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/objections", methods=["POST"])
@staff_required("objection.manage")
def record_objection_view(community_id: int, plan_id: int):
    """Record an objection received during the objection period.

    A refusal shows the page again with everything typed kept (status 422), never a blank form.
    """
    plan = plan_or_404(plan_id)
    form = _objection_form(plan)
    if not form.validate_on_submit():
        flash(_("没有登记：请填写异议内容。"), "error")
        return _publication_page(plan, form), 422
    item = next((i for i in plan.items if i.id == form.item_id.data), None)
    household = None
    if form.address.data:
        found = households_at(community_id, form.address.data)
        if len(found) != 1:
            if found:
                message = _(
                    "没有登记：“%(a)s”对应不止一户，请写全楼栋、单元和房号，如 3-2-301。",
                    a=form.address.data,
                )
            else:
                message = _(
                    "没有登记：找不到住户“%(a)s”，请按“3号楼2单元301”或“3-2-301”的格式填写。",
                    a=form.address.data,
                )
            flash(message, "error")
            return _publication_page(plan, form), 422
        household = found[0]
    try:
        record_objection(plan, form.text.data, item=item, household=household, user=current_user)
    except DomainError as exc:
        for reason in refuse(exc):
            flash(reason, "error")
        return _publication_page(plan_or_404(plan_id), form), 422
    flash(_("异议已登记。"), "success")
    return redirect(_publication_url(plan))


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/objections/resolve", methods=["POST"])
@staff_required("objection.manage")
def resolve_objection_view(community_id: int, plan_id: int):
    """Record how an objection (its id in the form) was resolved."""
    plan = plan_or_404(plan_id)
    form = ResolveForm()
    if not form.validate_on_submit():
        flash(_("没有保存：请填写处理结果。"), "error")
        return redirect(_publication_url(plan))
    objection = get_in_community_or_404(Objection, form.objection_id.data)
    if objection.plan_id != plan.id:
        abort(404)
    try:
        resolve_objection(objection, form.resolution.data, current_user)
        flash(_("处理结果已保存。"), "success")
    except DomainError as exc:
        flash_refusal(exc)
    return redirect(_publication_url(plan))


@bp.route("/results")
@household_required
def resident_results():
    """The published result of the household's items: passed or not, turnout and agreement."""
    household = g.household
    community = db.session.get(Community, household.community_id)
    plan = published_plan(household.community_id)
    if plan is None:
        return render_template("tally/resident_results.html", plan=None, community=community)
    in_scope = {item.id for item in items_for_household(plan, household)}
    result = tally_plan(plan)
    return render_template(
        "tally/resident_results.html",
        plan=plan,
        community=community,
        household=household,
        results=[r for r in result.items if r.item.id in in_scope],
        resident_runoffs=runoffs_of([r.item.id for r in result.items if r.undecided]),
        **opt_in_context(plan, household),
    )
