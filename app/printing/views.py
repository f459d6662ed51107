"""Printing pages: household letters and paper ballots in background batches, their files;
result notices and the tally sheet."""

import io

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.communities.models import Building, Unit
from app.communities.queries import code_counts
from app.communities.tenancy import get_in_community_or_404, scoped, staff_required
from app.core.errors import DomainError
from app.core.permissions import has_permission
from app.core.queue import enqueue_after_response
from app.core.refusals import refuse
from app.extensions import db
from app.formats.fonts import pdf_font
from app.formats.pdf import Pen
from app.plans.access import plan_or_404
from app.plans.models import Plan
from app.printing.blueprint import bp
from app.printing.forms import BatchForm, ConfirmBatchForm, NoticeForm
from app.printing.jobs import (
    effective_status,
    enqueue_print_job,
    job_file,
    progress_page,
    purge_old_files,
)
from app.printing.models import PRINT_KINDS, PrintJob
from app.printing.notice_data import NOTICE_KINDS, notice_data, notice_problem
from app.printing.notices import draw_notice
from app.printing.operations import create_print_job
from app.printing.queries import (
    PlanBook,
    ballots_printable,
    batch_households,
    batch_label,
    issued_serials,
    plan_jobs,
    plan_places,
)
from app.voting.queries import households_voted_online


@bp.route("/c/<int:community_id>/paper")
@staff_required("print")
def hub(community_id: int):
    """Every plan's printing and paper-ballot pages."""
    plans = db.session.scalars(scoped(Plan).order_by(Plan.id.desc())).all()
    return render_template("printing/hub.html", plans=plans)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/print")
@staff_required("print")
def plan_print(community_id: int, plan_id: int):
    """Letters, ballots and notices of one plan, and its recent print jobs."""
    plan = plan_or_404(plan_id)
    purge_old_files(community_id)
    return render_template(
        "printing/plan.html",
        plan=plan,
        jobs=[(job, effective_status(job)) for job in plan_jobs(plan)],
        ballots_problem=ballots_printable(plan),
        notice_form=NoticeForm(request.args),
        notices=[(kind, notice_problem(plan, kind)) for kind in NOTICE_KINDS],
        codes=code_counts(community_id),
    )


def _batch_choices(plan: Plan) -> list[tuple[str, str]]:
    """("all" | "b<id>" | "u<id>", label) for the batch select."""
    buildings, units = plan_places(plan)
    return (
        [("all", _("全小区"))]
        + [(f"b{b.id}", b.name) for b in buildings]
        + [(f"u{u.id}", u.building.name + u.name) for u in units]
    )


def _resolve_batch(value: str) -> tuple[Building | None, Unit | None]:
    """The building or unit a batch value names (404 for another community's)."""
    if value == "all":
        return None, None
    if value[:1] == "b" and value[1:].isdigit():
        return get_in_community_or_404(Building, int(value[1:])), None
    if value[:1] == "u" and value[1:].isdigit():
        return None, get_in_community_or_404(Unit, int(value[1:]))
    abort(404)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/print/letters", methods=["GET", "POST"])
@staff_required("codes.issue")  # printing letters issues new sign-in codes
def print_letters(community_id: int, plan_id: int):
    """Household letters with fresh sign-in codes, by batch."""
    return _print_batch(community_id, plan_id, "letters")


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/print/ballots", methods=["GET", "POST"])
@staff_required("print")
def print_ballots(community_id: int, plan_id: int):
    """Paper ballots with new serials, by batch."""
    return _print_batch(community_id, plan_id, "ballots")


def _print_batch(community_id: int, plan_id: int, kind: str):
    """Choose a batch, see what printing it changes, confirm: the job runs in the background."""
    plan = plan_or_404(plan_id)
    problem = ballots_printable(plan) if kind == "ballots" else None
    try:
        pdf_font()
    except DomainError as exc:
        problem = " ".join(refuse(exc))
    form = BatchForm(request.args if request.method == "GET" else None)
    form.batch.choices = _batch_choices(plan)
    confirm = ConfirmBatchForm()
    preview = None
    if request.method == "POST" and not problem:
        if confirm.validate_on_submit():
            building, unit = _resolve_batch(confirm.batch.data)
            job = create_print_job(
                plan,
                kind,
                building=building,
                unit=unit,
                contact=confirm.contact.data or "",
                user=current_user,
            )
            enqueue_after_response(enqueue_print_job, job.id, _public_base_url())

            return redirect(
                url_for("printing.job", community_id=community_id, plan_id=plan_id, job_id=job.id)
            )
        problem = _("请先选择打印范围。")
    elif form.batch.data and form.validate() and not problem:
        building, unit = _resolve_batch(form.batch.data)
        preview = _preview(plan, kind, building, unit)
        confirm.batch.data, confirm.contact.data = form.batch.data, form.contact.data
    return render_template(
        "printing/batch.html",
        plan=plan,
        kind=kind,
        form=form,
        confirm=confirm,
        preview=preview,
        problem=problem,
    ), (422 if problem and request.method == "POST" else 200)


def _preview(plan: Plan, kind: str, building, unit) -> dict:
    """What a batch will print and replace, for the confirmation."""
    households = batch_households(
        plan, building.id if building else None, unit.id if unit else None
    )
    preview = {"label": batch_label(building, unit), "households": len(households)}
    if kind == "letters":
        preview["with_code"] = sum(1 for h in households if h.code_hash)
    else:
        book = PlanBook(plan)
        voters = [h for h in households if book.items_for(h)]
        preview["households"] = len(voters)
        preview["reprinted"] = len(issued_serials(plan, (h.id for h in voters)))
        preview["voted_online"] = (
            households_voted_online(plan.id, [h.id for h in voters]) if voters else 0
        )
        preview["conflict_policy"] = plan.conflict_policy
    return preview


def _public_base_url() -> str:
    """Base of the QR sign-in links: PUBLIC_BASE_URL, else this request's host."""
    return (current_app.config["PUBLIC_BASE_URL"] or request.host_url).rstrip("/")


def _job(plan: Plan, job_id: int) -> PrintJob:
    """A print job of the plan; letters (they hold sign-in codes) only for code issuers."""
    record = get_in_community_or_404(PrintJob, job_id)
    if record.plan_id != plan.id or record.kind not in PRINT_KINDS:
        abort(404)
    if record.kind == "letters" and not has_permission(current_user, "codes.issue"):
        abort(403)
    return record


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/print/jobs/<int:job_id>")
@staff_required("print")
def job(community_id: int, plan_id: int, job_id: int):
    """A job's progress; the page refreshes itself until the file is ready."""
    plan = plan_or_404(plan_id)
    record = _job(plan, job_id)
    return progress_page(
        "printing/job.html",
        record,
        plan=plan,
        label=batch_label(
            db.session.get(Building, record.building_id) if record.building_id else None,
            db.session.get(Unit, record.unit_id) if record.unit_id else None,
        ),
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/print/jobs/<int:job_id>/file")
@staff_required("print")
def job_download(community_id: int, plan_id: int, job_id: int):
    """The finished PDF (while it is kept); before that, the job's page."""
    plan = plan_or_404(plan_id)
    record = _job(plan, job_id)
    path = job_file(record)
    if path is None:
        return redirect(
            url_for("printing.job", community_id=community_id, plan_id=plan_id, job_id=job_id)
        )
    return send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{record.kind}-{plan.id}-{record.id}.pdf",
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/print/notice")
@staff_required("print")
def notice(community_id: int, plan_id: int):
    """A result notice (公示/公告) or the tally sheet as PDF, drawn at once (a few pages)."""
    plan = plan_or_404(plan_id)
    kind = request.args.get("kind", "")
    back = url_for("printing.plan_print", community_id=community_id, plan_id=plan_id)
    form = NoticeForm(request.args)
    if kind not in NOTICE_KINDS or not form.validate():
        flash(_("请选择要打印的公示或计票表。"), "error")
        return redirect(back)
    problem = notice_problem(plan, kind)
    if problem is None:
        try:
            pdf_font()
        except DomainError as exc:
            problem = " ".join(refuse(exc))
    if problem:
        flash(str(problem), "error")
        return redirect(back)
    buffer = io.BytesIO()
    pen = Pen(buffer, title=f"{plan.title} {kind}")
    draw_notice(pen, notice_data(plan, kind, form.contact.data or ""))
    pen.save()
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{kind}-{plan.id}.pdf",
    )
