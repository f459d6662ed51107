"""Residents' pages: the draft plan, the ballot (choose → confirm → receipt), receipt check."""

import secrets

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.communities.models import Community, Household
from app.communities.queries import household_list
from app.communities.tenancy import get_in_community_or_404, household_required, staff_required
from app.core.confirm import confirmation_page, confirmed
from app.core.db import reads_first
from app.core.errors import DomainError
from app.core.nav import page_sections
from app.core.refusals import flash_refusal, refuse
from app.extensions import db, limiter
from app.plans.access import household_plan, plan_or_404
from app.plans.forms import ReasonForm
from app.plans.phases import phase_allows
from app.plans.queries import household_count, is_voting_open, items_for_household, local_today
from app.plans.shares import (
    household_option_shares,
    household_shares,
    option_breakdowns,
    plan_breakdowns,
)
from app.plans.workflow import end_voting
from app.proposals.queries import proposals_for_items
from app.settlement.changes import effective_changes_by_item
from app.voting.blueprint import bp
from app.voting.forms import (
    AssistedForm,
    BallotForm,
    ReceiptForm,
    parse_ballot_fields,
    parse_ballot_options,
)
from app.voting.models import Ballot
from app.voting.operations import cast_online_ballot, record_assisted_ballot
from app.voting.queries import (
    ballot_marks,
    counted_ballot,
    effective_ballot,
    households_voted,
    latest_online_ballot,
    receipt_status,
    standing_before_entry,
)


def agreed_shares(items, choices, options, shares, option_shares) -> dict[int, int | None]:
    """{item id: the household's share} of the items it agrees to: under the option it marked
    on an item with options (方案比选), else the item's own share."""
    agreed = {}
    for item in items:
        if choices.get(item.id) != "agree":
            continue
        if item.has_options:
            agreed[item.id] = option_shares.get(options.get(item.id))
        else:
            agreed[item.id] = shares.get(item.id)
    return agreed


def _ballot_context(plan, choices=None, pledges=None, error=None, options=None):
    """What the ballot and confirmation pages show."""
    items = items_for_household(plan, g.household)
    shares = household_shares(items, g.household.id)
    option_shares = household_option_shares(items, g.household.id)
    if choices is None:
        latest = latest_online_ballot(plan.id, g.household.id)
        revisions = {i.id: i.revision for i in items}
        choices, pledges, options = {}, set(), {}
        if latest is not None:
            for c in latest.choices:
                if revisions.get(c.item_id) == c.item_revision:
                    choices[c.item_id] = c.choice
                    if c.option_id is not None:
                        options[c.item_id] = c.option_id
                    if c.pledge:
                        pledges.add(c.item_id)
    options = options or {}
    agreed = agreed_shares(items, choices, options, shares, option_shares)
    # A share not yet computable (None, e.g. custom amounts not uploaded) adds nothing.
    agreed_total = sum(fen or 0 for fen in agreed.values())
    return {
        "plan": plan,
        "items": items,
        "shares": shares,
        "option_shares": option_shares,
        "agreed_shares": agreed,
        "options": options,
        "choices": choices,
        "pledges": pledges or set(),
        "error": error,
        "agreed_total": agreed_total,
        "form": BallotForm(),
    }


@bp.route("/plan")
@household_required
def draft():
    """The draft plan: the items in this household's scope, its share, the proposals taken up."""
    plan = household_plan()
    if plan is None or not phase_allows("household", "view_draft", plan.phase):
        return render_template("voting/nothing_yet.html", plan=plan)
    items = items_for_household(plan, g.household)
    taken_up = proposals_for_items([i.id for i in items])
    return render_template(
        "voting/draft.html",
        plan=plan,
        items=items,
        taken_up=taken_up,
        shares=household_shares(items, g.household.id),
        option_shares=household_option_shares(items, g.household.id),
        breakdowns=plan_breakdowns(plan),
        option_breakdowns=option_breakdowns(plan),
        voting_open=is_voting_open(plan),
        changes=effective_changes_by_item(plan, g.household.id),
        offers=optin_views.household_offers(plan, g.household),
        signup_form=optin_views.SignupForm(),
    )


@bp.route("/vote", methods=["GET", "POST"])
@household_required
def ballot():
    """Choose 同意 / 反对 / 弃权 for each item; POST shows the confirmation screen."""
    plan = household_plan()
    if plan is None or not is_voting_open(plan):
        return render_template("voting/closed.html", plan=plan), 200
    if request.method == "POST":
        if not BallotForm().validate_on_submit():
            abort(400)
        try:
            choices, pledges = parse_ballot_fields(request.form)
        except DomainError as exc:
            return render_template(
                "voting/ballot.html", **_ballot_context(plan, error=refuse(exc)[0])
            ), 400
        options = parse_ballot_options(request.form)
        context = _ballot_context(plan, choices, pledges, options=options)
        missing = [i for i in context["items"] if not choices.get(i.id)]
        if request.form.get("action") == "edit" or missing:
            if missing and request.form.get("action") != "edit":
                context["error"] = _("还有 %(n)d 个项目没有选择，请选择后再提交。", n=len(missing))
                context["missing"] = {i.id for i in missing}
            return render_template("voting/ballot.html", **context)
        context["submission_key"] = secrets.token_urlsafe(18)
        return render_template("voting/confirm.html", **context)
    return render_template("voting/ballot.html", **_ballot_context(plan))


@bp.route("/vote/confirm", methods=["POST"])
@reads_first
@household_required
def confirm():
    """Record the confirmed ballot (a double tap records it once) and show the receipt."""
    plan = household_plan()
    if plan is None:
        abort(404)
    try:
        choices, pledges = parse_ballot_fields(request.form)
        ballot = cast_online_ballot(
            plan,
            g.household,
            choices,
            pledges,
            request.form.get("submission_key", "")[:40],
            options=parse_ballot_options(request.form),
        )
    except DomainError as exc:
        refuse(exc)
        if not is_voting_open(plan):
            return render_template("voting/closed.html", plan=plan, error=exc.reasons[0]), 409
        return render_template(
            "voting/ballot.html", **_ballot_context(plan, error=exc.reasons[0])
        ), 400
    return redirect(url_for("voting.receipt", receipt=ballot.receipt), code=303)


@bp.route("/vote/receipt/<receipt>")
@household_required
def receipt(receipt: str):
    """The household's own receipt after voting."""
    ballot = db.session.scalar(
        select(Ballot).where(Ballot.receipt == receipt, Ballot.household_id == g.household.id)
    )
    if ballot is None:
        abort(404)
    plan = household_plan()
    effective = effective_ballot(ballot.plan_id, g.household.id)
    return render_template(
        "voting/receipt.html",
        ballot=ballot,
        plan=plan,
        marks=ballot_marks(ballot),
        counts=effective is not None and effective.ballot_id == ballot.id,
    )


@bp.route("/receipt", methods=["GET", "POST"])
@limiter.limit("30 per minute")  # GET ?code= looks a receipt up as well as POST
def check_receipt():
    """Anyone with a receipt code sees when it was recorded and whether it counts; no choices."""
    form = ReceiptForm()
    status = None
    searched = False
    code = request.args.get("code", "")
    if form.validate_on_submit():
        code = form.receipt.data
    if code:
        searched = True
        status = receipt_status(code)
    return render_template(
        "voting/check_receipt.html", form=form, status=status, searched=searched
    ), (404 if searched and status is None else 200)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/assisted", methods=["GET", "POST"])
@staff_required("ballot.enter")
def assisted(community_id: int, plan_id: int):
    """A worker records a ballot at the door for a resident who cannot vote alone."""
    plan = plan_or_404(plan_id)
    query = request.values.get("q", "").strip()
    household = None
    matches = []
    if request.values.get("household", "").isdigit():
        household = get_in_community_or_404(Household, int(request.values["household"]))
    elif query:
        matches = household_list(g.community, query, 1, 20).items
        if len(matches) == 1:
            household = matches[0]
    form = AssistedForm()
    items = items_for_household(plan, household) if household else []
    if household is not None and form.validate_on_submit():
        try:
            choices, pledges = parse_ballot_fields(request.form)
            ballot = record_assisted_ballot(
                plan,
                household,
                choices,
                pledges,
                options=parse_ballot_options(request.form),
                user=current_user,
                authorised_by=form.authorised_by.data,
                witness=form.witness.data,
            )
        except DomainError as exc:
            refuse(exc)
            for reason in exc.reasons:
                flash(reason, "error")
        else:
            flash(
                _(
                    "已记录 %(h)s 的代填表决，回执码 %(r)s。",
                    h=household.address_label,
                    r=ballot.receipt,
                ),
                "success",
            )
            return redirect(url_for("voting.assisted", community_id=community_id, plan_id=plan_id))
    return render_template(
        "voting/assisted.html",
        plan=plan,
        household=household,
        matches=matches,
        q=query,
        items=items,
        form=form,
        voting_open=is_voting_open(plan),
        shares=household_shares(items, household.id) if household else {},
        option_shares=household_option_shares(items, household.id) if household else {},
        standing=standing_before_entry(plan, household.id, "assisted") if household else None,
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/voting/end", methods=["POST"])
@staff_required("plan.manage")
def end_voting_view(community_id: int, plan_id: int):
    """End voting now, for good, with a reason (结束表决); a confirmation page first."""
    plan = plan_or_404(plan_id)
    detail = url_for("plans.plan_detail", community_id=community_id, plan_id=plan.id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("请填写提前结束表决的原因。"), "error")
        return redirect(detail)
    if not confirmed():
        today = local_today()
        return confirmation_page(
            _("结束表决"),
            [
                _("表决立即结束，从确认的这一刻起不再接受网上和代填表决。"),
                _(
                    "表决截止日期由 %(old)s 改为今天 %(new)s，公示和公告按实际日期打印。",
                    old=plan.voting_closes or "—",
                    new=today,
                ),
                _(
                    "已有 %(n)d 户表决（本小区共 %(t)d 户），其余住户不能再表决。",
                    n=households_voted(plan.id),
                    t=household_count(plan.community_id),
                ),
                _("已收回的纸质票仍可录入，直到公示结果。"),
                _("原因：%(r)s（记入操作记录）", r=form.reason.data.strip()),
            ],
            button=_("确认结束表决"),
            cancel_url=detail,
        )
    try:
        end_voting(plan, form.reason.data)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(_("表决已结束。"), "success")
    return redirect(detail)


@bp.route("/home")
@household_required
def household_home():
    """Who you are, and what the renovation currently asks of you."""
    household = current_user.household
    plan = household_plan()
    counted = counted_ballot(plan.id, household.id) if plan is not None else None
    return render_template(
        "voting/home.html",
        household=household,
        plan=plan,
        voting_open=plan is not None and is_voting_open(plan),
        voted=counted is not None,
        counted=counted,
        community=db.session.get(Community, household.community_id),
        sections=page_sections("household_home", household, plan),
        offers=optin_views.household_offers(plan, household) if plan is not None else [],
        signup_form=optin_views.SignupForm(),
    )


from app.voting import ballot_list_views, optin_views  # noqa: E402, F401  (staff pages, sign-ups)
