"""Staff pages of exports: a plan's export page, its CSV/XLSX downloads, the community roster."""

from flask import (
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.communities.queries import CODE_FILTERS, filtered_household_ids
from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.db import utcnow
from app.core.permissions import has_permission
from app.core.queue import enqueue_after_response
from app.core.vocabulary import label
from app.formats.downloads import FORMATS, export_response, exporter_name, plan_meta
from app.formats.writers import ExportMeta
from app.plans.access import plan_or_404
from app.plans.queries import local_today
from app.printing.jobs import job_file, progress_page
from app.printing.models import PrintJob
from app.reports.blueprint import bp
from app.reports.census import roster_report
from app.reports.exports import EXPORTS
from app.reports.jobs import enqueue_export_job, export_in_background, job_export, queue_export_job


def _filename(*parts: str) -> str:
    """ "<plan title>-<label>-<YYYYMMDD>", the date in the community's time zone."""
    return "-".join([*parts, local_today().strftime("%Y%m%d")])


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/exports")
@staff_required("export")
def export_page(community_id: int, plan_id: int):
    """Every export of the plan, each as CSV and XLSX."""
    plan = plan_or_404(plan_id)
    specs = [s for s in EXPORTS.values() if has_permission(current_user, s.permission)]
    return render_template("reports/exports.html", plan=plan, specs=specs)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/exports/<export>.<fmt>")
@staff_required("export")
def download(community_id: int, plan_id: int, export: str, fmt: str):
    """One export as CSV (its first table) or XLSX (every table), audited."""
    plan = plan_or_404(plan_id)
    spec = EXPORTS.get(export)
    if spec is None or fmt not in FORMATS:
        abort(404)
    if not has_permission(current_user, spec.permission):
        abort(403)
    if not spec.inline and export_in_background(
        plan, current_app.config["EXPORT_INLINE_HOUSEHOLDS"]
    ):
        job_id = queue_export_job(plan, spec.name, fmt, user=current_user).id
        enqueue_after_response(enqueue_export_job, job_id)
        return redirect(_job_url(community_id, plan_id, job_id))
    label = str(spec.label)
    return export_response(
        spec.build(plan),
        plan_meta(label, plan),
        fmt,
        _filename(plan.title, label),
        name=spec.name,
        community_id=plan.community_id,
        record_type="plan",
        record_id=plan.id,
    )


def _job_url(community_id: int, plan_id: int, job_id: int) -> str:
    """An export job's progress page."""
    return url_for(
        "reports.export_job", community_id=community_id, plan_id=plan_id, export_job_id=job_id
    )


def _export_job(plan, job_id: int) -> tuple[PrintJob, object, str]:
    """An export job of the plan, its export and format (404 for any other job; 403 for an
    export the user may not download)."""
    record = get_in_community_or_404(PrintJob, job_id)
    export, fmt = job_export(record)
    if record.plan_id != plan.id or record.kind != "export" or export not in EXPORTS:
        abort(404)
    spec = EXPORTS[export]
    if not has_permission(current_user, spec.permission):
        abort(403)
    return record, spec, fmt


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/exports/jobs/<int:export_job_id>")
@staff_required("export")
def export_job(community_id: int, plan_id: int, export_job_id: int):
    """An export job's progress; the page refreshes itself until the file is ready."""
    plan = plan_or_404(plan_id)
    record, spec, fmt = _export_job(plan, export_job_id)
    return progress_page("reports/export_job.html", record, plan=plan, spec=spec, fmt=fmt)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/exports/jobs/<int:export_job_id>/file")
@staff_required("export")
def export_job_download(community_id: int, plan_id: int, export_job_id: int):
    """The finished file (while it is kept); before that, the job's page."""
    plan = plan_or_404(plan_id)
    record, spec, fmt = _export_job(plan, export_job_id)
    path = job_file(record)
    if path is None:
        return redirect(_job_url(community_id, plan_id, export_job_id))
    name = "-".join([plan.title, str(spec.label), f"{record.finished_at:%Y%m%d}"])
    return send_file(path, as_attachment=True, download_name=f"{name}.{fmt}")


@bp.route("/c/<int:community_id>/households/export.<fmt>")
@staff_required("export")
def household_export(community_id: int, fmt: str):
    """The community's roster (no plan), audited; the households list's search and code
    filter, when given, narrow it to what the list shows."""
    if fmt not in FORMATS:
        abort(404)
    q = request.args.get("q", "").strip()[:100]
    codes = request.args.get("codes", "")
    codes = codes if codes in CODE_FILTERS else ""
    only = filtered_household_ids(g.community, q, codes) if q or codes else None
    report = roster_report(g.community.id, only)
    scope = [(str(_l("小区")), g.community.name)]
    if q:
        scope.append((str(_l("搜索")), q))
    if codes:
        scope.append((str(_l("登录码")), label("code_filter", codes)))
    meta = ExportMeta(
        title=report.title,
        scope=scope,
        exported_at=utcnow(),
        exported_by=exporter_name(),
    )
    return export_response(
        [report],
        meta,
        fmt,
        _filename(g.community.name, report.title),
        name="roster",
        community_id=g.community.id,
        record_type="community",
        record_id=g.community.id,
    )


# The archive pages (一小区一档案) register their routes on this blueprint.
from app.reports.archive import views as archive_views  # noqa: E402, F401
