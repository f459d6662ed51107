"""Staff pages of payments: find a household, its statement (page and PDF), record, correct."""

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.communities.models import Household
from app.communities.queries import household_list
from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.errors import DomainError
from app.core.permissions import has_permission
from app.core.refusals import flash_refusal, refuse
from app.extensions import db
from app.formats.downloads import file_response
from app.funding.blueprint import bp
from app.funding.forms import CorrectionForm, PaymentForm
from app.funding.ledger import payments_of
from app.funding.models import Payment
from app.funding.payments import correct_payment, record_payment, reversed_payment_ids
from app.funding.statement import household_statement, payment_note, statement_pdf
from app.plans.access import plan_or_404
from app.plans.models import Item
from app.plans.queries import local_today
from app.plans.shares import shares_fixed
from app.rules.money import fen_input, format_fen


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/payments")
@staff_required("household.view")
def payments(community_id: int, plan_id: int):
    """Find a household to see its statement or record a payment; the latest payments."""
    plan = plan_or_404(plan_id)
    q = request.args.get("q", "")
    page = household_list(
        g.community, q, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"]
    )
    recent = payments_of(plan, limit=20)
    households = {
        h.id: h
        for h in db.session.scalars(
            db.select(Household).where(Household.id.in_({p.household_id for p in recent}))
        )
    }
    return render_template(
        "funding/payments.html",
        plan=plan,
        page=page,
        q=q,
        recent=recent,
        households=households,
        items={i.id: i for i in plan.items},
    )


def _household_page(plan, household, form: PaymentForm, status: int = 200):
    """The household's statement page with the payment form."""
    statement = household_statement(plan, household, local_today())
    payable = [line for line in statement.lines if line.share_fen > 0]
    form.item_id.choices = [
        (
            line.item.id,
            _(
                "%(key)s %(title)s（未缴 %(amount)s 元）",
                key=line.item.key,
                title=line.item.title,
                amount=format_fen(line.balance_fen),
            ),
        )
        for line in payable
    ]
    fixed = shares_fixed(plan)
    return render_template(
        "funding/household.html",
        plan=plan,
        household=household,
        statement=statement,
        form=form,
        can_pay=has_permission(current_user, "payment.record") and fixed and bool(payable),
        fixed=fixed,
        payment_note=payment_note,
    ), status


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/households/<int:household_id>/funding")
@staff_required("household.view")
def household_funding(community_id: int, plan_id: int, household_id: int):
    """One household's shares, pledges, payments and balance on the plan."""
    plan = plan_or_404(plan_id)
    household = get_in_community_or_404(Household, household_id)
    form = PaymentForm(formdata=None)
    form.paid_on.data = local_today()
    return _household_page(plan, household, form)


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/households/<int:household_id>/payments",
    methods=["POST"],
)
@staff_required("payment.record")
def add_payment(community_id: int, plan_id: int, household_id: int):
    """Record a payment of the household."""
    plan = plan_or_404(plan_id)
    household = get_in_community_or_404(Household, household_id)
    form = PaymentForm()
    statement_items = {i.id: i for i in plan.items}
    form.item_id.choices = [(i, "") for i in statement_items]
    if not form.validate_on_submit():
        return _household_page(plan, household, form, 422)
    try:
        payment = record_payment(
            plan,
            household,
            statement_items[form.item_id.data],
            amount_fen=form.amount.fen,
            paid_on=form.paid_on.data,
            method=form.method.data,
            receipt_no=form.receipt_no.data,
            user=current_user,
        )
    except DomainError as exc:
        refuse(exc)
        plan = plan_or_404(plan_id)
        household = get_in_community_or_404(Household, household_id)
        for reason in exc.reasons:
            form.amount.errors = [*form.amount.errors, reason]
        return _household_page(plan, household, form, 422)
    flash(
        _(
            "已登记缴费 %(amount)s 元（收据号 %(no)s）。",
            amount=format_fen(payment.amount_fen),
            no=payment.receipt_no,
        ),
        "success",
    )
    return redirect(
        url_for(
            "funding.household_funding",
            community_id=community_id,
            plan_id=plan_id,
            household_id=household_id,
        )
    )


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/payments/<int:payment_id>/correct",
    methods=["GET", "POST"],
)
@staff_required("payment.record")
def correct(community_id: int, plan_id: int, payment_id: int):
    """Correct a payment: a reversing entry, and optionally the right entry in its place."""
    plan = plan_or_404(plan_id)
    payment = get_in_community_or_404(Payment, payment_id)
    if payment.plan_id != plan.id:
        abort(404)
    household = db.session.get(Household, payment.household_id)
    item = db.session.get(Item, payment.item_id)
    form = CorrectionForm()
    if request.method == "GET":
        form.amount.data = fen_input(payment.amount_fen)
        form.paid_on.data = payment.paid_on
        form.method.data = payment.method
        form.receipt_no.data = payment.receipt_no
    errors = []
    if form.validate_on_submit():
        replacement = None
        if form.action.data == "replace":
            if form.amount.fen is None or form.paid_on.data is None:
                errors.append(_("改为正确的记录时，请填写金额和缴费日期。"))
            replacement = {
                "amount_fen": form.amount.fen or 0,
                "paid_on": form.paid_on.data,
                "method": form.method.data,
                "receipt_no": form.receipt_no.data or "",
            }
        if not errors:
            try:
                correct_payment(
                    payment, reason=form.reason.data, user=current_user, replacement=replacement
                )
            except DomainError as exc:
                errors = refuse(exc)
            else:
                flash(_("已更正第 %(id)d 号缴费记录，原记录保留。", id=payment_id), "success")
                return redirect(
                    url_for(
                        "funding.household_funding",
                        community_id=community_id,
                        plan_id=plan_id,
                        household_id=payment.household_id,
                    )
                )
    return render_template(
        "funding/correct.html",
        plan=plan,
        payment=payment,
        household=household,
        item=item,
        form=form,
        errors=errors,
        already=payment.id in reversed_payment_ids(plan.id) or payment.amount_fen < 0,
    ), (422 if errors or form.errors else 200)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/households/<int:household_id>/statement.pdf")
@staff_required("household.view")
def statement(community_id: int, plan_id: int, household_id: int):
    """The household's statement as a printable PDF."""
    plan = plan_or_404(plan_id)
    household = get_in_community_or_404(Household, household_id)
    try:
        data = statement_pdf(household_statement(plan, household, local_today()))
    except DomainError as exc:  # no usable CJK font: say how to install one
        flash_refusal(exc)
        return redirect(
            url_for(
                "funding.household_funding",
                community_id=community_id,
                plan_id=plan_id,
                household_id=household_id,
            )
        )
    name = f"{household.address_label}-对账单.pdf"
    return file_response(data, "application/pdf", name, inline=True)
