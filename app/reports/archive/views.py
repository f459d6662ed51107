"""The archive page (一小区一档案): what an archive of the plan holds, archives made before,
the download (a small plan's built in the request; a large plan's by the queue's worker, with a
progress page) and a form to check an archive ZIP."""

import tempfile

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, ValidationError

from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.audit import chain_head, parse_anchor, verify_anchor
from app.core.db import begin_snapshot, commit_or_rollback
from app.core.errors import DomainError
from app.core.queue import enqueue_after_response
from app.core.refusals import flash_refusal
from app.plans.access import plan_or_404
from app.printing.jobs import effective_status, job_file, progress_page, purge_old_files
from app.printing.models import PrintJob
from app.reports.archive.build import ARCHIVE_STEPS, build_archive, record_archive, verify_archive
from app.reports.archive.jobs import (
    archive_download_name,
    archive_in_background,
    enqueue_archive_job,
    queue_archive_job,
)
from app.reports.archive.queries import (
    archive_history,
    archive_jobs,
    archive_outline,
    matching_archives,
)
from app.reports.blueprint import bp

# An archive of a large community can pass the general upload limit; this form may take more.
VERIFY_ENDPOINT = "reports.archive_verify"
DEFAULT_VERIFY_LIMIT = 512 * 1024 * 1024


class ArchiveVerifyForm(FlaskForm):
    """Upload an archive ZIP to check it."""

    file = FileField(
        _l("档案文件（ZIP）"), validators=[FileRequired(_l("请选择要核对的档案文件。"))]
    )


class AnchorForm(FlaskForm):
    """The chain head printed on a notice (SEQ:HASH), typed or scanned, to check."""

    anchor = StringField(_l("核验码"), validators=[DataRequired(_l("请输入公示上印的核验码。"))])

    def validate_anchor(self, field):
        try:
            parse_anchor(field.data)
        except ValueError as exc:
            raise ValidationError(
                _l("核验码应为“条数:64位哈希值”，例如扫描公示上的二维码得到的完整内容。")
            ) from exc


@bp.url_value_preprocessor
def allow_archive_uploads(endpoint, values):
    """Raise the body limit for the archive check; runs before CSRF reads the body."""
    if endpoint == VERIFY_ENDPOINT:
        configured = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        limit = current_app.config.get("ARCHIVE_MAX_UPLOAD", DEFAULT_VERIFY_LIMIT)
        request.max_content_length = max(configured, limit)


def _page(plan, form, result=None, matches=(), status=200, anchor_form=None, anchor=None):
    """Render the archive page, with a check's result when there is one."""
    return render_template(
        "reports/archive.html",
        plan=plan,
        outline=archive_outline(plan),
        history=archive_history(plan.community_id, plan.id),
        jobs=[(job, effective_status(job)) for job in archive_jobs(plan)],
        form=form,
        result=result,
        matches=matches,
        head=chain_head(plan.community_id),
        anchor_form=anchor_form or AnchorForm(formdata=None),
        anchor=anchor,
    ), status


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/archive")
@staff_required("archive")
def archive_page(community_id: int, plan_id: int):
    """What the archive holds, archives made before, download and check."""
    purge_old_files(community_id)
    return _page(plan_or_404(plan_id), ArchiveVerifyForm())


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/archive.zip")
@staff_required("archive")
def archive_download(community_id: int, plan_id: int):
    """Build the archive and send it, recorded in the audit trail; a large plan's is built by
    the worker: this answers at once with the job's progress page."""
    plan = plan_or_404(plan_id)
    if archive_in_background(plan, current_app.config["ARCHIVE_INLINE_HOUSEHOLDS"]):
        job_id = queue_archive_job(plan, user=current_user).id
        enqueue_after_response(enqueue_archive_job, job_id)
        return redirect(_job_url(community_id, plan_id, job_id))
    filename = archive_download_name(plan)
    # Built in an unnamed temporary file (gone when closed), streamed from there.
    target = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it after sending)
    try:
        begin_snapshot()  # every file of the archive describes the same moment
        info = build_archive(plan, target, user=current_user)
        commit_or_rollback()  # the snapshot ends before the audit event reads the chain's end
    except DomainError as exc:
        target.close()
        flash_refusal(exc)
        return redirect(url_for("reports.archive_page", community_id=community_id, plan_id=plan_id))
    record_archive(plan, info, via="web", filename=filename)
    target.seek(0)
    response = send_file(
        target, mimetype="application/zip", as_attachment=True, download_name=filename
    )
    response.content_length = info.size
    return response


def _job_url(community_id: int, plan_id: int, job_id: int) -> str:
    """An archive job's progress page."""
    return url_for(
        "reports.archive_job", community_id=community_id, plan_id=plan_id, archive_job_id=job_id
    )


def _archive_job(plan, job_id: int) -> PrintJob:
    """An archive job of the plan (404 for any other job)."""
    record = get_in_community_or_404(PrintJob, job_id)
    if record.plan_id != plan.id or record.kind != "archive":
        abort(404)
    return record


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/archive/jobs/<int:archive_job_id>")
@staff_required("archive")
def archive_job(community_id: int, plan_id: int, archive_job_id: int):
    """An archive job's progress; the page refreshes itself until the ZIP is ready."""
    plan = plan_or_404(plan_id)
    record = _archive_job(plan, archive_job_id)
    return progress_page("reports/archive_job.html", record, plan=plan, steps=ARCHIVE_STEPS)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/archive/jobs/<int:archive_job_id>/file")
@staff_required("archive")
def archive_job_download(community_id: int, plan_id: int, archive_job_id: int):
    """The finished ZIP (while it is kept); before that, the job's page."""
    plan = plan_or_404(plan_id)
    record = _archive_job(plan, archive_job_id)
    path = job_file(record)
    if path is None:
        return redirect(_job_url(community_id, plan_id, archive_job_id))
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"coplan-plan-{plan.id}-archive-{record.finished_at:%Y%m%d}-{record.id}.zip",
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/archive/verify", methods=["POST"])
@staff_required("archive")
def archive_verify(community_id: int, plan_id: int):
    """Check an uploaded archive ZIP; the result is shown on the archive page."""
    plan = plan_or_404(plan_id)
    form = ArchiveVerifyForm()
    if not form.validate_on_submit():
        return _page(plan, form, status=422)
    result = verify_archive(form.file.data.stream)
    matches = matching_archives(plan.community_id, result.sha256) if result.sha256 else []
    return _page(plan, ArchiveVerifyForm(formdata=None), result=result, matches=matches)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/archive/anchor", methods=["POST"])
@staff_required("archive")
def archive_anchor(community_id: int, plan_id: int):
    """Check a head printed on a notice: the community's chain still holds that exact event,
    and every event up to it verifies."""
    plan = plan_or_404(plan_id)
    form = AnchorForm()
    if not form.validate_on_submit():
        return _page(plan, ArchiveVerifyForm(formdata=None), anchor_form=form, status=422)
    check = verify_anchor(plan.community_id, form.anchor.data)
    return _page(plan, ArchiveVerifyForm(formdata=None), anchor_form=form, anchor=check)
