"""Evaluation pages (满意度评价): the household's phone form, the staff's rounds, results,
door entry, printed forms keyed twice, the committee's review."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.aftercare import operations
from app.aftercare.blueprint import bp
from app.aftercare.charts import bar_chart
from app.aftercare.forms import FormCodeForm, PostForm, RoundForm, scores_from_form
from app.aftercare.pdfs import evaluation_forms_pdf
from app.aftercare.queries import (
    applicable_items,
    community_buildings,
    keyings,
    mismatches,
    open_round,
    passed_items,
    response_of,
    round_results,
    rounds,
)
from app.communities.models import Household
from app.communities.queries import households_at
from app.communities.tenancy import get_in_community_or_404, household_required, staff_required
from app.core.audit import log_event
from app.core.errors import DomainError
from app.core.refusals import form_errors
from app.core.vocabulary import label
from app.extensions import db
from app.formats.downloads import file_response
from app.plans.access import household_plan, plan_or_404
from app.plans.phases import phase_allows
from app.rules.satisfaction import ASPECTS, decode_scores, parse_form_code

BASE = "/c/<int:community_id>/plans/<int:plan_id>/evaluation"


def _chart(title: str, rows, **options) -> tuple[str, object]:
    """(title, svg): the title is shown above the chart and read out as its name."""
    return title, bar_chart(title, rows, **options)


def results_context(plan) -> dict:
    """Every round's results with charts; the last two rounds side by side."""
    items = passed_items(plan)
    all_rounds = [round_results(plan, r, items) for r in rounds(plan)]
    charts = []
    if all_rounds:
        shown = all_rounds[-2:]
        legend = [_("第 %(n)d 轮", n=r.round.number) for r in shown]
        aspects = [
            (label("aspect", a), [r.community.aspects[a].average for r in shown]) for a in ASPECTS
        ]
        charts.append(_chart(_("总体评分（1–5 分）"), aspects, legend=legend))
        if items:
            by_item = [
                (f"{i.key} {i.title}", [dict(r.items)[i].average for r in shown]) for i in items
            ]
            charts.append(_chart(_("各项目评分（1–5 分）"), by_item, legend=legend))
        by_building = [
            (b.name, [r.buildings[n].rate for r in shown])
            for n, b in enumerate(shown[-1].buildings)
        ]
        charts.append(_chart(_("各楼栋参与率（%）"), by_building, scale=100, legend=legend))
    return {"results": all_rounds, "charts": charts, "aspects": ASPECTS}


# The household's phone -------------------------------------------------------------------------


@bp.route("/evaluate", methods=["GET", "POST"])
@household_required
def evaluate():
    """The household's evaluation: three aspects, each passed item of its own, a comment."""
    plan = household_plan()
    round_ = open_round(plan) if plan is not None else None
    if plan is None or round_ is None or not phase_allows("household", "evaluate", plan.phase):
        return render_template("aftercare/evaluate_closed.html", plan=plan)
    items = applicable_items(plan, g.household)
    form = PostForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        scores = scores_from_form(request.form, [i.id for i in items])
        operations.submit_phone_response(plan, round_, g.household, scores)
        flash(_("谢谢！您家的评价已提交。评价结束前可以修改。"), "success")
        return redirect(url_for("aftercare.evaluate"))
    response = response_of(round_, g.household.id)
    return render_template(
        "aftercare/evaluate.html",
        plan=plan,
        round=round_,
        items=items,
        response=response,
        scores=decode_scores(response.scores) if response else None,
        form=form,
    )


@bp.route("/evaluation/results")
@household_required
def resident_results():
    """The community's evaluation results, as residents see them (never a household's answers)."""
    plan = household_plan()
    if plan is None or not rounds(plan):
        return render_template("aftercare/evaluate_closed.html", plan=plan)
    return render_template("aftercare/results_resident.html", plan=plan, **results_context(plan))


# Staff -------------------------------------------------------------------------------------------


def _may_run(plan) -> bool:
    return phase_allows(current_user.role, "run_evaluation", plan.phase)


@bp.route(BASE)
@staff_required("plan.view")
def evaluation(community_id: int, plan_id: int):
    """Rounds, participation and scores by item and building, charts; open or close a round."""
    plan = plan_or_404(plan_id)
    round_ = open_round(plan)
    return render_template(
        "aftercare/evaluation.html",
        plan=plan,
        open_round=round_,
        may_run=_may_run(plan),
        round_form=RoundForm(),
        form=PostForm(),
        code_form=FormCodeForm(),
        review=mismatches(round_) if round_ else [],
        buildings=community_buildings(community_id),
        **results_context(plan),
    )


@bp.route(BASE + "/rounds", methods=["POST"])
@staff_required("evaluation.run")
def start_round(community_id: int, plan_id: int):
    """Open the next round."""
    plan = plan_or_404(plan_id)
    if not _may_run(plan):
        raise DomainError(_("现在不在满意度评价阶段，不能办理。"))
    form = RoundForm()
    if not form.validate_on_submit():
        raise DomainError(*form_errors(form))
    round_ = operations.start_round(plan, closes_on=form.closes_on.data)
    flash(_("第 %(n)d 轮评价已开始。", n=round_.number), "success")
    return redirect(url_for("aftercare.evaluation", community_id=community_id, plan_id=plan.id))


@bp.route(BASE + "/rounds/close", methods=["POST"])
@staff_required("evaluation.run")
def close_round(community_id: int, plan_id: int):
    """Close the open round."""
    plan = plan_or_404(plan_id)
    if not _may_run(plan):
        raise DomainError(_("现在不在满意度评价阶段，不能办理。"))
    PostForm().validate_on_submit() or abort(400)
    round_ = open_round(plan)
    if round_ is None:
        raise DomainError(_("没有正在进行的评价。"))
    operations.end_round(plan, round_)
    flash(_("第 %(n)d 轮评价已结束。", n=round_.number), "success")
    return redirect(url_for("aftercare.evaluation", community_id=community_id, plan_id=plan.id))


@bp.route(BASE + "/forms.pdf")
@staff_required("print")
def forms_pdf(community_id: int, plan_id: int):
    """The printed evaluation forms of the open round, one page per household."""
    plan = plan_or_404(plan_id)
    round_ = open_round(plan)
    if round_ is None:
        raise DomainError(_("没有正在进行的评价，请先开始一轮评价再打印评价表。"))
    data, count = evaluation_forms_pdf(plan, round_, request.args.get("building", type=int))
    log_event(
        "evaluation.forms_print",
        "evaluation_round",
        round_.id,
        community_id=plan.community_id,
        after={"round": round_.number, "households": count},
    )
    return file_response(data, "application/pdf", f"满意度评价表-第{round_.number}轮.pdf")


def _staff_household_form(plan, household, round_, mode: str):
    """Enter one household's answers: at the door, a form keying, or the committee's reading."""
    items = applicable_items(plan, household)
    form = PostForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        scores = scores_from_form(request.form, [i.id for i in items])
        if mode == "door":
            operations.record_door_response(plan, round_, household, scores, current_user)
            flash(_("已记录该户的上门评价。"), "success")
        elif mode == "key":
            keying = operations.enter_form(plan, round_, household, scores, current_user)
            flash(
                {
                    "pending": _("第一次录入已保存，需另一位工作人员再录入一次。"),
                    "confirmed": _("两次录入一致，该户评价已生效。"),
                    "mismatch": _("两次录入不一致，已交业委会核对。"),
                }[keying.status],
                "success" if keying.status != "mismatch" else "warning",
            )
        else:
            operations.resolve_form(plan, round_, household, scores, current_user)
            flash(_("已按评价表原件确定该户评价。"), "success")
        return redirect(url_for("aftercare.evaluation", community_id=plan.community_id,
                                plan_id=plan.id))  # fmt: skip
    disputed = [k for k in keyings(round_, household.id) if k.status == "mismatch"]
    return render_template(
        "aftercare/staff_entry.html",
        plan=plan,
        round=round_,
        household=household,
        items=items,
        mode=mode,
        form=form,
        disputed=[(k, decode_scores(k.scores)) for k in disputed],
        item_keys={i.id: i.key for i in items},
        scores=None,
    )


def _round_household(plan, household_id):
    round_ = open_round(plan)
    if round_ is None:
        raise DomainError(_("没有正在进行的评价。"))
    return round_, get_in_community_or_404(Household, household_id)


@bp.route(BASE + "/door/<int:household_id>", methods=["GET", "POST"])
@staff_required("ballot.enter")
def door(community_id: int, plan_id: int, household_id: int):
    """A worker records a household's evaluation at the door."""
    plan = plan_or_404(plan_id)
    if not _may_run(plan):
        raise DomainError(_("现在不在满意度评价阶段，不能办理。"))
    round_, household = _round_household(plan, household_id)
    return _staff_household_form(plan, household, round_, "door")


@bp.route(BASE + "/door", methods=["POST"])
@staff_required("ballot.enter")
def find_door(community_id: int, plan_id: int):
    """Find a household by its address, then record its answers at the door."""
    plan = plan_or_404(plan_id)
    if not _may_run(plan):
        raise DomainError(_("现在不在满意度评价阶段，不能办理。"))
    PostForm().validate_on_submit() or abort(400)
    found = households_at(community_id, request.form.get("address", ""))
    if len(found) != 1:
        raise DomainError(_("请填写一户的房屋，例如 3-2-301。"))
    return redirect(url_for("aftercare.door", community_id=community_id, plan_id=plan.id,
                            household_id=found[0].id))  # fmt: skip


@bp.route(BASE + "/key", methods=["POST"])
@staff_required("ballot.enter")
def find_form(community_id: int, plan_id: int):
    """Find a printed form by its code, then key it."""
    plan = plan_or_404(plan_id)
    if not _may_run(plan):
        raise DomainError(_("现在不在满意度评价阶段，不能办理。"))
    form = FormCodeForm()
    if not form.validate_on_submit():
        raise DomainError(*form_errors(form))
    try:
        number, household_id = parse_form_code(form.code.data)
    except ValueError as exc:
        raise DomainError(_("“%(c)s”不是有效的评价表编号，请核对。", c=form.code.data)) from exc
    round_ = open_round(plan)
    household = db.session.get(Household, household_id)
    if (
        round_ is None
        or round_.number != number
        or household is None
        or (household.community_id != plan.community_id)
    ):
        raise DomainError(_("本方案正在进行的评价中没有编号为 %(c)s 的评价表。", c=form.code.data))
    return redirect(url_for("aftercare.key_form", community_id=community_id, plan_id=plan.id,
                            household_id=household.id))  # fmt: skip


@bp.route(BASE + "/key/<int:household_id>", methods=["GET", "POST"])
@staff_required("ballot.enter")
def key_form(community_id: int, plan_id: int, household_id: int):
    """Key one household's printed form (double entry by two workers)."""
    plan = plan_or_404(plan_id)
    if not _may_run(plan):
        raise DomainError(_("现在不在满意度评价阶段，不能办理。"))
    round_, household = _round_household(plan, household_id)
    return _staff_household_form(plan, household, round_, "key")


@bp.route(BASE + "/review/<int:household_id>", methods=["GET", "POST"])
@staff_required("ballot.review")
def review(community_id: int, plan_id: int, household_id: int):
    """The committee settles a form whose two keyings disagree, reading the paper itself."""
    plan = plan_or_404(plan_id)
    if not _may_run(plan):
        raise DomainError(_("现在不在满意度评价阶段，不能办理。"))
    round_, household = _round_household(plan, household_id)
    return _staff_household_form(plan, household, round_, "review")
