"""Opt-in items (户内自选): a household answers on its home page, a worker records answers at
the door, and staff see and download the sign-up lists per building and unit."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.communities.models import Community, Household
from app.communities.queries import household_list
from app.communities.tenancy import get_in_community_or_404, household_required, staff_required
from app.core.audit import log_event
from app.core.errors import DomainError
from app.core.refusals import refuse
from app.extensions import db
from app.formats.downloads import export_response, file_response, plan_meta
from app.plans.access import household_plan, item_or_404, plan_or_404
from app.plans.queries import items_for_household, local_today
from app.voting.blueprint import bp
from app.voting.forms import DoorSignupForm, SignupForm
from app.voting.optin import (
    is_signup_open,
    offer_counts,
    offer_status,
    own_price,
    plan_offers,
    record_signup,
    signup_deadline,
    signups_of,
)
from app.voting.optin_lists import (
    CHANNEL_WORDS,
    DECISION_WORDS,
    price_words,
    signed_up_by_unit,
    signup_pdf,
    signup_report,
    signup_rows,
    status_words,
    summary_report,
)


def household_offers(plan, household) -> list[dict]:
    """What the household page shows of each opt-in item in the household's scope."""
    items = items_for_household(plan, household, kind="opt_in")
    answers = {a.item_id: a for a in signups_of([i.id for i in items], household.id)}
    return [
        {
            "item": item,
            "price": own_price(item, household),
            "answer": answers.get(item.id),
            "deadline": signup_deadline(item, plan),
            "open": is_signup_open(item, plan),
            "status": offer_counts(item),
            "price_words": price_words(item),
        }
        for item in items
    ]


@bp.route("/optin/<int:item_id>", methods=["POST"])
@household_required
def household_signup(item_id: int):
    """The household signs up for an opt-in item (参加) or declines it (不参加)."""
    plan = household_plan()
    if plan is None:
        abort(404)
    item = next((i for i in plan.items if i.id == item_id), None)
    if item is None:
        abort(404)
    if not SignupForm().validate_on_submit():
        abort(400)
    decision = request.form.get("decision", "")
    try:
        record_signup(plan, item, g.household, decision, channel="online")
    except DomainError as exc:
        for reason in refuse(exc):
            flash(reason, "error")
    else:
        words = _("参加") if decision == "join" else _("不参加")
        flash(_("已记录：%(t)s —— %(d)s。", t=item.title, d=words), "success")
    return redirect(url_for("voting.household_home") + "#optin", code=303)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/optin/door", methods=["GET", "POST"])
@staff_required("ballot.enter")
def door_signup(community_id: int, plan_id: int):
    """A worker records a household's opt-in answers at the door (上门登记)."""
    plan = plan_or_404(plan_id)
    query = request.values.get("q", "").strip()
    household, matches = None, []
    if request.values.get("household", "").isdigit():
        household = get_in_community_or_404(Household, int(request.values["household"]))
    elif query:
        matches = household_list(g.community, query, 1, 20).items
        if len(matches) == 1:
            household = matches[0]
    form = DoorSignupForm()
    if household is not None and form.validate_on_submit():
        item = item_or_404(plan, int(request.form.get("item", "0") or 0))
        try:
            record_signup(
                plan,
                item,
                household,
                request.form.get("decision", ""),
                channel="door",
                user=current_user,
                note=form.note.data,
            )
        except DomainError as exc:
            for reason in refuse(exc):
                flash(reason, "error")
        else:
            flash(_("已记录 %(h)s 的答复。", h=household.address_label), "success")
            return redirect(
                url_for(
                    "voting.door_signup",
                    community_id=community_id,
                    plan_id=plan_id,
                    household=household.id,
                )
            )
    return render_template(
        "voting/optin_door.html",
        plan=plan,
        household=household,
        matches=matches,
        q=query,
        form=form,
        offers=household_offers(plan, household) if household else [],
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/optin")
@staff_required("ballot.view")
def signup_overview(community_id: int, plan_id: int):
    """Every opt-in item of the plan with its sign-ups and whether the offer stands."""
    plan = plan_or_404(plan_id)
    statuses = plan_offers(plan)
    return render_template(
        "voting/optin_overview.html",
        plan=plan,
        statuses=statuses,
        words={s.item.id: status_words(s) for s in statuses},
        prices={s.item.id: price_words(s.item) for s in statuses},
        deadlines={s.item.id: signup_deadline(s.item, plan) for s in statuses},
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/optin/<int:opt_in_id>")
@staff_required("ballot.view")
def signup_list(community_id: int, plan_id: int, opt_in_id: int):
    """The sign-up list of one opt-in item per building and unit, with prices and totals."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, opt_in_id)
    if item.kind != "opt_in":
        abort(404)
    status = offer_status(item)
    rows = signup_rows(status, plan.community_id)
    return render_template(
        "voting/optin_list.html",
        plan=plan,
        item=item,
        status=status,
        groups=signed_up_by_unit(rows),
        others=[r for r in rows if r.decision != "join"],
        words=status_words(status),
        price=price_words(item),
        deadline=signup_deadline(item, plan),
        channel_words=CHANNEL_WORDS,
        decision_words=DECISION_WORDS,
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/optin/export.<fmt>")
@staff_required("export")
def signup_summary_export(community_id: int, plan_id: int, fmt: str):
    """Every opt-in item's sign-up counts and status as CSV or XLSX."""
    plan = plan_or_404(plan_id)
    report = summary_report(plan_offers(plan))
    return export_response(
        [report],
        plan_meta(report.title, plan),
        fmt,
        f"{plan.title}-户内自选报名情况",
        name="opt_in_summary",
        community_id=plan.community_id,
        record_type="plan",
        record_id=plan.id,
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/optin/<int:opt_in_id>/export.<fmt>")
@staff_required("export")
def signup_list_export(community_id: int, plan_id: int, opt_in_id: int, fmt: str):
    """One opt-in item's sign-up list as CSV or XLSX."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, opt_in_id)
    if item.kind != "opt_in":
        abort(404)
    status = offer_status(item)
    report = signup_report(status, signup_rows(status, plan.community_id))
    return export_response(
        [report],
        plan_meta(report.title, plan),
        fmt,
        f"{item.key}-{item.title}-报名名单",
        name="opt_in_signups",
        community_id=plan.community_id,
        record_type="item",
        record_id=item.id,
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/optin/<int:opt_in_id>/list.pdf")
@staff_required("export")
def signup_list_pdf(community_id: int, plan_id: int, opt_in_id: int):
    """One opt-in item's sign-up list as a PDF for the contractor."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, opt_in_id)
    if item.kind != "opt_in":
        abort(404)
    status = offer_status(item)
    community = db.session.get(Community, plan.community_id)
    data = signup_pdf(
        status, signup_rows(status, plan.community_id), community.name, plan, local_today()
    )
    log_event(
        "export",
        "item",
        item.id,
        community_id=plan.community_id,
        after={"export": "opt_in_signups", "format": "pdf", "bytes": len(data)},
    )
    return file_response(data, "application/pdf", f"{item.key}-{item.title}-报名名单.pdf")
