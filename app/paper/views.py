"""Paper ballot pages: register, keyboard entry by serial, review of mismatches, file upload.

The paper module's own blueprint (endpoints ``paper.*``); the URLs sit under the plan's
``/paper`` path beside the printing pages that produce the ballots.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.communities.models import Household
from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.errors import DomainError
from app.core.refusals import refuse
from app.core.vocabulary import label
from app.extensions import db
from app.paper.blueprint import bp
from app.paper.forms import (
    EntryForm,
    InvalidForm,
    PaperUploadForm,
    keying_from_form,
    mark_values,
)
from app.paper.importing import import_paper_ballots
from app.paper.keying import CHOICE_KEYS, Keying, differing_items
from app.paper.operations import (
    enter_paper_ballot,
    find_serial,
    mark_invalid,
    resolve_mismatch,
)
from app.paper.queries import (
    REGISTER_COLUMNS,
    ballot_entries,
    ballot_register,
    review_queue,
)
from app.paper.serials import format_serial
from app.plans.access import plan_or_404
from app.plans.models import Plan
from app.plans.queries import is_paper_entry_open, items_for_household
from app.plans.shares import household_option_shares, household_shares
from app.voting.queries import standing_before_entry

bp.add_app_template_filter(format_serial, "serial")
BASE = "/c/<int:community_id>/plans/<int:plan_id>/paper"
STATUS_MESSAGES = {
    "pending": lambda: _("已保存第一次录入。这张票还需要另一位工作人员再录入一次。"),
    "confirmed": lambda: _("已确认并计入：%(s)s。"),
    "mismatch": lambda: _("两次录入不一致，已转给居委会/业委会核对。"),
}


@bp.route(BASE)
@staff_required("ballot.view")
def register(community_id: int, plan_id: int):
    """The ballot register: issued, delivered, returned, entered, confirmed, invalid."""
    plan = plan_or_404(plan_id)
    rows, total = ballot_register(plan)
    return render_template(
        "paper/register.html",
        plan=plan,
        rows=rows,
        total=total,
        columns=REGISTER_COLUMNS,
    )


def _ballot_items(plan: Plan, household: Household):
    """The household's items with their shares, as the entry and review pages list them; an
    item with options (方案比选) shows its largest share under an option (the pledge box then
    shows), each option's own share beside its key."""
    items = items_for_household(plan, household)
    shares = household_shares(items, household.id)
    by_option = household_option_shares(items, household.id)
    rows = []
    for item in items:
        share = shares.get(item.id, 0)
        if item.has_options:
            share = max((by_option.get(o.id) or 0 for o in item.options), default=0)
        rows.append((item, label("category", item.category), share))
    return rows


def _option_shares(plan: Plan, household: Household | None) -> dict:
    """The household's share under each option of its items, {option id: fen}."""
    if household is None:
        return {}
    return household_option_shares(items_for_household(plan, household), household.id)


@bp.route(BASE + "/entry", methods=["GET", "POST"])
@staff_required("ballot.enter")
def entry(community_id: int, plan_id: int):
    """Type or scan a serial, key the marks (1 同意, 2 反对, 3 弃权, 0 blank), Enter to save."""
    plan = plan_or_404(plan_id)
    form = EntryForm()
    typed = (request.form.get("serial") if request.method == "POST" else None) or request.args.get(
        "serial", ""
    )
    errors, serial, household, values = [], None, None, {}
    if typed.strip():
        try:
            serial = find_serial(plan, typed)
        except DomainError as exc:
            errors = refuse(exc)
        else:
            household = db.session.get(Household, serial.household_id)
    elif request.method == "POST":
        errors = [_("请先输入或扫描票号。")]
    if household is not None and request.method == "POST" and form.validate_on_submit():
        items = items_for_household(plan, household)
        keying, values, problems = keying_from_form(items, request.form)
        if problems:
            errors = problems
        else:
            try:
                saved = enter_paper_ballot(
                    plan, household, keying, user=current_user, serial=serial
                )
            except DomainError as exc:
                errors = refuse(exc)
            else:
                message = STATUS_MESSAGES[saved.status]()
                flash(message % {"s": household.address_label}, "success")
                return redirect(url_for(".entry", community_id=community_id, plan_id=plan_id))
    return render_template(
        "paper/entry.html",
        plan=plan,
        form=form,
        invalid_form=InvalidForm(),
        typed=typed,
        serial=serial,
        household=household,
        items=_ballot_items(plan, household) if household else [],
        option_shares=_option_shares(plan, household),
        entries=ballot_entries(plan, serial) if serial else [],
        values=values,
        errors=errors,
        voting_open=is_paper_entry_open(plan),
        standing=standing_before_entry(plan, household.id, "paper") if household else None,
    ), (422 if errors and request.method == "POST" else 200)


@bp.route(BASE + "/invalid", methods=["POST"])
@staff_required("ballot.enter")
def invalid(community_id: int, plan_id: int):
    """Record a returned ballot as invalid, with the reason."""
    plan = plan_or_404(plan_id)
    form = InvalidForm()
    if form.validate_on_submit():
        try:
            serial = find_serial(plan, form.serial.data)
            mark_invalid(plan, serial, form.reason.data, user=current_user)
        except DomainError as exc:
            for reason in refuse(exc):
                flash(reason, "error")
        else:
            flash(_("已记为无效票：%(s)s。", s=form.serial.data), "success")
            return redirect(url_for(".entry", community_id=community_id, plan_id=plan_id))
    else:
        flash(_("请填写票号和无效的原因。"), "error")
    target = url_for(".entry", community_id=community_id, plan_id=plan_id, serial=form.serial.data)
    return redirect(target)


@bp.route(BASE + "/review")
@staff_required("ballot.review")
def review_list(community_id: int, plan_id: int):
    """Paper ballots whose two keyings disagree, waiting for a committee member."""
    plan = plan_or_404(plan_id)
    return render_template("paper/review_list.html", plan=plan, cases=review_queue(plan))


@bp.route(BASE + "/review/<int:household_id>", methods=["GET", "POST"])
@staff_required("ballot.review")
def review(community_id: int, plan_id: int, household_id: int):
    """Both keyings side by side; the committee member records what the paper says."""
    plan = plan_or_404(plan_id)
    household = get_in_community_or_404(Household, household_id)
    case = next((c for c in review_queue(plan) if c.household.id == household.id), None)
    form = EntryForm()
    errors, values = [], {}
    items = items_for_household(plan, household)
    if case is not None and form.validate_on_submit():
        keying, values, problems = keying_from_form(items, request.form)
        if problems:
            errors = problems
        else:
            try:
                resolve_mismatch(
                    plan,
                    household,
                    case.serial.id if case.serial else None,
                    keying,
                    user=current_user,
                )
            except DomainError as exc:
                errors = refuse(exc)
            else:
                flash(_("已按核对结果计入：%(h)s。", h=household.address_label), "success")
                return redirect(url_for(".review_list", community_id=community_id, plan_id=plan_id))
    elif case is None and request.method == "POST":
        errors = [_("这一户没有待核对的纸质票。")]
    if case is not None and not values:
        values = _agreed_values(case.entries)
    return render_template(
        "paper/review.html",
        plan=plan,
        household=household,
        case=case,
        form=form,
        items=_ballot_items(plan, household),
        option_shares=_option_shares(plan, household),
        values=values,
        differing=set(differing_items(*[e.keying for e in case.entries[:2]])) if case else set(),
        choice_keys=CHOICE_KEYS,
        errors=errors,
    ), (422 if errors else 200)


def _agreed_values(entries) -> dict:
    """Pre-fill the resolution with what both keyings agree on; differing items stay empty."""
    if len(entries) < 2:
        return {}
    a, b = entries[0].keying, entries[1].keying
    same = {k for k in a.choices if a.mark(k) == b.mark(k)}
    agreed = Keying(
        {k: v for k, v in a.choices.items() if k in same},
        frozenset(a.pledges & b.pledges),
        {k: v for k, v in a.options.items() if k in same},
    )
    differ = set(differing_items(a, b))
    return {k: v for k, v in mark_values(agreed).items() if k.split(":")[-1] not in differ}


@bp.route(BASE + "/import", methods=["GET", "POST"])
@staff_required("ballot.enter")
def upload(community_id: int, plan_id: int):
    """Upload a paper ballots file as your own keying of every ballot in it; all or nothing."""
    plan = plan_or_404(plan_id)
    form = PaperUploadForm()
    errors = []
    if form.validate_on_submit():
        storage = form.file.data
        try:
            summary = import_paper_ballots(
                plan, storage.read(), storage.filename or "ballots.csv", user=current_user
            )
        except DomainError as exc:
            errors = refuse(exc)
        else:
            flash(
                _(
                    "已录入 %(rows)d 张纸质票：%(confirmed)d 张已确认，"
                    "%(pending)d 张等待第二次录入，%(mismatch)d 张转核对。",
                    **summary,
                ),
                "success",
            )
            return redirect(url_for(".register", community_id=community_id, plan_id=plan_id))
    elif request.method == "POST" and not form.errors:
        abort(400)
    return render_template("paper/import.html", plan=plan, form=form, errors=errors), (
        422 if errors or form.errors else 200
    )
