"""Residents' works pages (施工进度): the items being built, each with its log and photos; issue
reports (问题反映) and their status; volunteering and inspections of resident supervisors; the
item's public page the site notice's QR code opens. Staff pages: staff_views.py.
"""

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from app.communities.models import Community
from app.communities.tenancy import can_see_community, household_required
from app.core.errors import DomainError
from app.core.nav import register_section
from app.core.refusals import flash_refusal, form_errors, refuse
from app.extensions import db, limiter
from app.plans.access import household_plan
from app.plans.models import Plan
from app.plans.phases import phase_allows
from app.plans.queries import current_plan, local_today
from app.plans.workflow import on_phase_entered
from app.proposals.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from app.proposals.uploads import UPLOAD_LIMIT, raise_upload_limit_for
from app.works.blueprint import bp
from app.works.forms import PHOTO_HINT, InspectionForm, IssueForm, VolunteerForm
from app.works.labels import works_label
from app.works.models import IssueReport, Works, WorksLogEntry, WorksPhoto
from app.works.operations import (
    create_works_on_entering,
    log_inspection,
    report_issue,
    volunteer,
)
from app.works.queries import (
    appointed_counts,
    household_issues,
    household_supervisor,
    open_issue_counts,
    overdue_issues,
    plan_works,
    public_token,
    works_log,
)
from app.works.rules import is_overdue

# Endpoints that take photos: room for three full-size phone photos and the form around them.
UPLOAD_ENDPOINTS = (
    "works.report",
    "works.inspect",
    "works.staff_log",
)
bp.url_value_preprocessor(raise_upload_limit_for(UPLOAD_ENDPOINTS))


@bp.errorhandler(RequestEntityTooLarge)
def photos_too_large(exc):
    """A photo form over the request limit: say how much fits."""
    message = _(
        "照片太大，没有提交：一次最多上传 %(mb)d MB（%(n)d 张照片，每张不超过 12 MB）。",
        mb=UPLOAD_LIMIT // (1024 * 1024),
        n=MAX_PHOTOS,
    )
    return render_template("error.html", code=413, message=message), 413


@bp.app_context_processor
def works_words():
    """The works' labels for every template of this blueprint."""
    return {"wl": works_label, "photo_hint": PHOTO_HINT}


def uploaded_photos(files) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the chosen files; reads at most one byte past the size limit."""
    return [
        (storage.filename, storage.stream.read(MAX_PHOTO_BYTES + 1))
        for storage in files or []
        if storage is not None and getattr(storage, "filename", "")
    ]


def photo_response(photo: WorksPhoto) -> Response:
    """The stored (re-encoded) image bytes, cached by the browser only."""
    response = Response(photo.data, mimetype=photo.content_type)
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# Hooks: the plan entering `works` creates its works; the home page shows 施工进度; the
# community page flags overdue issue reports.


def home_section(household, plan: Plan | None):
    """施工进度 on the household's home page, while the plan is in the works or after."""
    if plan is None or not phase_allows("household", "view_works", plan.phase):
        return None
    works = plan_works(plan)
    issues = household_issues(household)
    return Markup(
        render_template("works/_home_section.html", plan=plan, works=works, issues=issues)
    )


def community_section(community):
    """Overdue issue reports on the community's page (workers and the committee)."""
    plan = current_plan(community.id)
    if plan is None:
        return None
    overdue = overdue_issues(plan, local_today())
    if not overdue:
        return None
    return Markup(render_template("works/_overdue_section.html", plan=plan, overdue=overdue))


on_phase_entered(create_works_on_entering)
register_section("household_home", home_section)
register_section("community_overview", community_section)


# Residents ----------------------------------------------------------------------------------


def _resident_plan() -> Plan:
    """The household's plan, once its works may be followed; else 404."""
    plan = household_plan()
    if plan is None or not phase_allows("household", "view_works", plan.phase):
        abort(404)
    return plan


def _household_works(plan: Plan, works_id: int) -> Works:
    """A works of the household's plan; any other answers 404."""
    works = db.session.get(Works, works_id)
    if works is None or works.plan_id != plan.id or works.community_id != g.household.community_id:
        abort(404)
    return works


@bp.route("/works")
@household_required
def index():
    """Every item being built: status and progress; the household's own issue reports."""
    plan = _resident_plan()
    return render_template(
        "works/index.html",
        plan=plan,
        works=plan_works(plan),
        issues=household_issues(g.household),
        can_report=phase_allows("household", "report_issue", plan.phase),
    )


@bp.route("/works/<int:works_id>")
@household_required
def item(works_id: int):
    """One item's works: facts, progress, the dated log with photos, supervisors."""
    plan = _resident_plan()
    works = _household_works(plan, works_id)
    mine = household_supervisor(works, g.household)
    return render_template(
        "works/item.html",
        plan=plan,
        works=works,
        log=works_log(works),
        supervisors=appointed_counts(plan).get(works.id, 0),
        open_issues=open_issue_counts(plan).get(works.id, 0),
        mine=mine,
        can_volunteer=phase_allows("household", "volunteer", plan.phase) and mine is None,
        can_inspect=mine is not None
        and mine.status == "appointed"
        and phase_allows("committee", "appoint_supervisor", plan.phase),
        can_report=phase_allows("household", "report_issue", plan.phase),
        form=VolunteerForm(),
    )


@bp.route("/works/<int:works_id>/volunteer", methods=["POST"])
@household_required
def volunteer_view(works_id: int):
    """The household offers to be a resident supervisor of this works."""
    plan = _resident_plan()
    works = _household_works(plan, works_id)
    form = VolunteerForm()
    if form.validate_on_submit():
        try:
            volunteer(works, plan, g.household, form.note.data or "")
        except DomainError as exc:
            flash_refusal(exc)
        else:
            flash(_("谢谢您报名做居民监督员，居委会任命后会通知您。"), "success")
    return redirect(url_for("works.item", works_id=works.id))


@bp.route("/works/<int:works_id>/inspect", methods=["GET", "POST"])
@household_required
@limiter.limit("30 per hour", methods=["POST"])
def inspect(works_id: int):
    """An appointed supervisor logs an inspection: findings, severity, photos."""
    plan = _resident_plan()
    works = _household_works(plan, works_id)
    form = InspectionForm()
    errors = []
    if form.validate_on_submit():
        try:
            log_inspection(
                works,
                plan,
                g.household,
                findings=form.findings.data,
                severity=form.severity.data,
                photos=uploaded_photos(form.photos.data),
            )
        except DomainError as exc:
            errors = refuse(exc)
        else:
            flash(_("巡查记录已登记，已写入施工日志。"), "success")
            return redirect(url_for("works.item", works_id=works.id))
    elif request.method == "POST":
        errors = form_errors(form)
    return render_template(
        "works/inspect.html", plan=plan, works=works, form=form, errors=errors
    ), (422 if errors else 200)


@bp.route("/issues/new", methods=["GET", "POST"])
@household_required
@limiter.limit("20 per hour", methods=["POST"])
def report():
    """A household reports a problem: which item, where, what, a photo."""
    plan = _resident_plan()
    works = plan_works(plan)
    form = IssueForm()
    form.works.choices = [(0, _("（不确定 / 其他）"))] + [(w.id, w.item.title) for w in works]
    if request.method == "GET" and request.args.get("works", "").isdigit():
        form.works.data = int(request.args["works"])
    errors = []
    if not phase_allows("household", "report_issue", plan.phase):
        abort(404)
    if form.validate_on_submit():
        chosen = next((w for w in works if w.id == form.works.data), None)
        try:
            issue = report_issue(
                plan,
                g.household,
                works=chosen,
                location=form.location.data,
                text=form.text.data,
                photos=uploaded_photos(form.photos.data),
            )
        except DomainError as exc:
            errors = refuse(exc)
        else:
            flash(
                _("问题已提交，社区会指定整改责任方和期限，您可以在这里看到办理进度。"), "success"
            )
            return redirect(url_for("works.issue", issue_id=issue.id))
    elif request.method == "POST":
        errors = form_errors(form)
    return render_template("works/report.html", plan=plan, form=form, errors=errors), (
        422 if errors else 200
    )


@bp.route("/issues/<int:issue_id>")
@household_required
def issue(issue_id: int):
    """Where the household's own issue report stands: each step with who and when."""
    record = db.session.get(IssueReport, issue_id)
    if record is None or record.household_id != g.household.id:
        abort(404)
    return render_template(
        "works/issue.html",
        issue=record,
        overdue=is_overdue(record.status, record.deadline, local_today()),
        staff=False,
    )


@bp.route("/works/photos/<int:photo_id>")
def photo(photo_id: int):
    """A works or issue photo: for households of its community and staff who may see it."""
    record = db.session.get(WorksPhoto, photo_id)
    if record is None or not current_user.is_authenticated:
        abort(404)
    household = getattr(current_user, "household", None)
    if getattr(current_user, "is_household", False):
        if household is None or household.community_id != record.community_id:
            abort(404)
    else:
        community = db.session.get(Community, record.community_id)
        if not can_see_community(current_user, community):
            abort(404)
    return photo_response(record)


# The public page of a works: the site notice's QR code opens it without signing in ---------


@bp.route("/w/<int:works_id>/<key>")
def public(works_id: int, key: str):
    """An item's works for anyone holding the notice's link: facts, progress, the workers'
    log and its photos (no household is named)."""
    works = db.session.get(Works, works_id)
    if works is None or key != public_token(works_id):
        abort(404)
    plan = db.session.get(Plan, works.plan_id)
    log = [e for e in works_log(works) if e.kind in ("progress", "status")]
    return render_template("works/public.html", plan=plan, works=works, log=log, key=key)


@bp.route("/w/<int:works_id>/<key>/photos/<int:photo_id>")
def public_photo(works_id: int, key: str, photo_id: int):
    """A photo of a workers' log entry, for the public page."""
    works = db.session.get(Works, works_id)
    record = db.session.get(WorksPhoto, photo_id)
    if works is None or key != public_token(works_id) or record is None:
        abort(404)
    entry = db.session.get(WorksLogEntry, record.log_entry_id) if record.log_entry_id else None
    if entry is None or entry.works_id != works.id or entry.kind != "progress":
        abort(404)
    return photo_response(record)


from app.works import staff_views  # noqa: E402, F401  (staff pages on this blueprint)
