"""Staff pages of the works: a plan's works and issue reports, one works (facts, log,
supervisors), one issue report (assign, rectify, re-inspect), the site notice PDF."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.errors import DomainError
from app.core.permissions import has_permission
from app.core.refusals import flash_refusal, form_errors
from app.core.vocabulary import phase_label
from app.extensions import db
from app.formats.downloads import file_response
from app.plans.access import plan_or_404
from app.plans.models import Plan
from app.plans.phases import phase_allows
from app.plans.queries import current_plan, local_today, scope_label
from app.plans.shares import item_residents_part
from app.proposals.queries import household_by_address
from app.rules.money import fen_input, parse_yuan
from app.rules.shares import ShareError
from app.works.blueprint import bp
from app.works.forms import (
    AssignForm,
    LogForm,
    NominateForm,
    RectifyForm,
    ReinspectForm,
    WorksForm,
)
from app.works.labels import works_label
from app.works.models import IssueReport, Works, WorksSupervisor
from app.works.notice import SiteNotice, site_notice_pdf
from app.works.operations import (
    add_log_entry,
    appoint,
    assign_issue,
    create_works_for_plan,
    nominate,
    rectify_issue,
    reinspect_issue,
    update_works,
)
from app.works.queries import (
    appointed_counts,
    open_issue_counts,
    plan_issues,
    plan_works,
    public_token,
    supervisors,
    works_log,
)
from app.works.rules import DEFAULT_PROGRESS, is_overdue
from app.works.views import uploaded_photos


def _works(works_id: int) -> tuple[Works, Plan]:
    """A works of the current community and its plan (phase brought up to date); else 404."""
    works = get_in_community_or_404(Works, works_id)
    return works, plan_or_404(works.plan_id)


def _may(action: str, plan: Plan, permission: str) -> bool:
    """The signed-in staff user may take `action` now: role permission and phase."""
    return has_permission(current_user, permission) and phase_allows(
        current_user.role, action, plan.phase
    )


@bp.route("/c/<int:community_id>/works")
@staff_required("plan.view")
def community_works(community_id: int):
    """The community's current plan's works (the community menu's 施工)."""
    plan = current_plan(community_id)
    if plan is None:
        return render_template("works/staff_none.html")
    return redirect(url_for("works.staff_list", community_id=community_id, plan_id=plan.id))


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/works")
@staff_required("plan.view")
def staff_list(community_id: int, plan_id: int):
    """A plan's works with status and progress, and its issue reports (overdue flagged)."""
    plan = plan_or_404(plan_id)
    today = local_today()
    issues = plan_issues(plan)
    return render_template(
        "works/staff_list.html",
        plan=plan,
        works=plan_works(plan),
        issues=issues,
        overdue={i.id for i in issues if is_overdue(i.status, i.deadline, today)},
        open_counts=open_issue_counts(plan),
        appointed=appointed_counts(plan),
        can_create=_may("manage_works", plan, "works.manage"),
        phase=phase_label(plan.phase),
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/works/create", methods=["POST"])
@staff_required("works.manage")
def staff_create(community_id: int, plan_id: int):
    """Create the works of the passed items that have none yet."""
    plan = plan_or_404(plan_id)
    try:
        created = create_works_for_plan(plan, current_user)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(_("已为 %(n)d 个通过的项目建立施工记录。", n=len(created)), "success")
    return redirect(url_for("works.staff_list", community_id=community_id, plan_id=plan.id))


def _detail(works: Works, plan: Plan, **forms):
    """The works page with its forms."""
    form = forms.get("form") or WorksForm(obj=works)
    if "form" not in forms:
        form.contract.data = fen_input(works.contract_fen) if works.contract_fen is not None else ""
    log_form = forms.get("log_form") or LogForm(entry_date=local_today())
    return render_template(
        "works/staff_detail.html",
        plan=plan,
        works=works,
        form=form,
        log_form=log_form,
        nominate_form=forms.get("nominate_form") or NominateForm(),
        log=works_log(works),
        supervisors=supervisors(works),
        issues=plan_issues(plan, works),
        can_manage=_may("manage_works", plan, "works.manage"),
        can_appoint=_may("appoint_supervisor", plan, "supervisor.appoint"),
        can_print=has_permission(current_user, "print"),
        public_url=url_for(
            "works.public", works_id=works.id, key=public_token(works.id), _external=True
        ),
        errors=forms.get("errors", []),
        progress_defaults="、".join(
            f"{works_label('works_status', status)} {value}%"
            for status, value in DEFAULT_PROGRESS.items()
            if value is not None
        ),
    )


@bp.route("/c/<int:community_id>/works/<int:works_id>")
@staff_required("plan.view")
def staff_detail(community_id: int, works_id: int):
    """One works: facts and status, the log, supervisors, its issue reports."""
    works, plan = _works(works_id)
    return _detail(works, plan)


@bp.route("/c/<int:community_id>/works/<int:works_id>/edit", methods=["POST"])
@staff_required("works.manage")
def staff_edit(community_id: int, works_id: int):
    """Save the works' facts, status and progress."""
    works, plan = _works(works_id)
    form = WorksForm()
    if not form.validate_on_submit():
        return _detail(works, plan, form=form, errors=form_errors(form)), 422
    try:
        contract = parse_yuan(form.contract.data) if (form.contract.data or "").strip() else None
        update_works(
            works,
            plan,
            current_user,
            contractor=form.contractor.data,
            site_supervisor=form.site_supervisor.data,
            complaints_contact=form.complaints_contact.data,
            contract_fen=contract,
            planned_start=form.planned_start.data,
            planned_end=form.planned_end.data,
            actual_start=form.actual_start.data,
            actual_end=form.actual_end.data,
            status=form.status.data,
            progress=form.progress.data,
        )
    except (DomainError, ValueError) as exc:
        if not isinstance(exc, DomainError):
            exc = DomainError(_("合同金额请填写数字（元）。"))
        flash_refusal(exc)
        return _detail(works, plan, form=form, errors=exc.reasons), 422
    flash(_("已保存。"), "success")
    return redirect(url_for("works.staff_detail", community_id=community_id, works_id=works.id))


@bp.route("/c/<int:community_id>/works/<int:works_id>/log", methods=["POST"])
@staff_required("works.manage")
def staff_log(community_id: int, works_id: int):
    """Add a dated log entry with photos."""
    works, plan = _works(works_id)
    form = LogForm()
    if not form.validate_on_submit():
        return _detail(works, plan, log_form=form, errors=form_errors(form)), 422
    try:
        add_log_entry(
            works,
            plan,
            current_user,
            entry_date=form.entry_date.data,
            text=form.text.data or "",
            stage=form.stage.data or None,
            photos=uploaded_photos(form.photos.data),
        )
    except DomainError as exc:
        flash_refusal(exc)
        return _detail(works, plan, log_form=form, errors=exc.reasons), 422
    flash(_("施工日志已添加。"), "success")
    return redirect(url_for("works.staff_detail", community_id=community_id, works_id=works.id))


@bp.route("/c/<int:community_id>/works/<int:works_id>/nominate", methods=["POST"])
@staff_required("works.manage")
def staff_nominate(community_id: int, works_id: int):
    """Nominate a household (by address) as resident supervisor."""
    works, plan = _works(works_id)
    form = NominateForm()
    if not form.validate_on_submit():
        return _detail(works, plan, nominate_form=form, errors=form_errors(form)), 422
    household = household_by_address(community_id, form.address.data)
    try:
        if household is None:
            raise DomainError(_("没有找到这一户，请按“楼栋-单元-房号”填写，如 3-2-301。"))
        nominate(works, plan, current_user, household, form.note.data or "")
    except DomainError as exc:
        flash_refusal(exc)
        return _detail(works, plan, nominate_form=form, errors=exc.reasons), 422
    flash(_("已推荐，等待居委会任命。"), "success")
    return redirect(url_for("works.staff_detail", community_id=community_id, works_id=works.id))


@bp.route("/c/<int:community_id>/supervisors/<int:supervisor_id>/appoint", methods=["POST"])
@staff_required("supervisor.appoint")
def staff_appoint(community_id: int, supervisor_id: int):
    """The committee appoints a volunteered or nominated household."""
    row = get_in_community_or_404(WorksSupervisor, supervisor_id)
    works, plan = _works(row.works_id)
    try:
        appoint(row, plan, current_user)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(_("已任命为居民监督员。"), "success")
    return redirect(url_for("works.staff_detail", community_id=community_id, works_id=works.id))


@bp.route("/c/<int:community_id>/works/<int:works_id>/notice.pdf")
@staff_required("print")
def staff_notice(community_id: int, works_id: int):
    """The site notice (施工公示) to post at the works."""
    works, plan = _works(works_id)
    item = works.item
    try:
        residents = item_residents_part(item)
    except ShareError:
        residents = None
    notice = SiteNotice(
        community=g.community.name,
        plan_title=plan.title,
        item_title=item.title,
        item_scope=scope_label(item),
        contractor=works.contractor,
        site_supervisor=works.site_supervisor,
        contract_fen=works.contract_fen,
        residents_fen=residents,
        planned_start=works.planned_start,
        planned_end=works.planned_end,
        status=_in_chinese(lambda: works_label("works_status", works.status)),
        contact=works.complaints_contact,
        supervisors=appointed_counts(plan).get(works.id, 0),
        url=url_for("works.public", works_id=works.id, key=public_token(works.id), _external=True),
        issued_on=local_today(),
    )
    return file_response(
        site_notice_pdf(notice), "application/pdf", f"施工公示-{item.title}.pdf", inline=True
    )


def _in_chinese(words):
    """Words for the paper notice: always Chinese, whatever language the worker reads."""
    with force_locale("zh_CN"):
        return words()


# Issue reports ------------------------------------------------------------------------------


def _issue_page(issue: IssueReport, plan: Plan, errors=(), **forms):
    """The staff page of one issue report."""
    today = local_today()
    return render_template(
        "works/issue.html",
        issue=issue,
        plan=plan,
        staff=True,
        overdue=is_overdue(issue.status, issue.deadline, today),
        can_handle=_may("handle_issues", plan, "issue.handle"),
        assign_form=forms.get("assign_form") or AssignForm(),
        rectify_form=forms.get("rectify_form") or RectifyForm(),
        reinspect_form=forms.get("reinspect_form") or ReinspectForm(),
        errors=list(errors),
    )


@bp.route("/c/<int:community_id>/issues/<int:issue_id>")
@staff_required("plan.view")
def staff_issue(community_id: int, issue_id: int):
    """One issue report: where it stands, and the forms of its next step."""
    issue = get_in_community_or_404(IssueReport, issue_id)
    return _issue_page(issue, plan_or_404(issue.plan_id))


ISSUE_STEP_FORMS = {"assign": AssignForm, "rectify": RectifyForm, "reinspect": ReinspectForm}


@bp.route("/c/<int:community_id>/issues/<int:issue_id>/handle", methods=["POST"])
@staff_required("issue.handle")
def staff_issue_step(community_id: int, issue_id: int):
    """Assign an issue report, record its rectification, or re-inspect (and close) it."""
    issue = get_in_community_or_404(IssueReport, issue_id)
    plan = plan_or_404(issue.plan_id)
    step = request.form.get("step")
    form = ISSUE_STEP_FORMS.get(step, AssignForm)()
    if step not in ISSUE_STEP_FORMS or not form.validate_on_submit():
        return _issue_page(issue, plan, form_errors(form), **{f"{step}_form": form}), 422
    try:
        if step == "assign":
            assign_issue(
                issue,
                plan,
                current_user,
                responsible=form.responsible.data,
                deadline=form.deadline.data,
                note=form.assign_note.data or "",
            )
        elif step == "rectify":
            rectify_issue(issue, plan, current_user, note=form.rectify_note.data)
        else:
            reinspect_issue(
                issue,
                plan,
                current_user,
                passed=form.result.data == "pass",
                note=form.reinspect_note.data or "",
                deadline=form.new_deadline.data,
            )
    except DomainError as exc:
        flash_refusal(exc)
        issue = db.session.get(IssueReport, issue_id)
        return _issue_page(issue, plan, exc.reasons, **{f"{step}_form": form}), 422
    flash(_("已保存。"), "success")
    return redirect(url_for("works.staff_issue", community_id=community_id, issue_id=issue.id))
