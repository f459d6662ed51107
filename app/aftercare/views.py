"""Staff pages of the acceptance (竣工验收): the group, each passed item's check, the notice."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.aftercare import operations
from app.aftercare.blueprint import bp
from app.aftercare.forms import DefectForm, MemberForm, PostForm, RectifyForm
from app.aftercare.models import AcceptanceDefect, AcceptanceMember
from app.aftercare.pdfs import acceptance_notice_pdf
from app.aftercare.queries import acceptance_of, addresses, members, passed_items
from app.communities.queries import households_at
from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.audit import log_event
from app.core.errors import DomainError
from app.core.refusals import form_errors
from app.formats.downloads import file_response
from app.plans.access import item_or_404, plan_or_404
from app.plans.phases import phase_allows
from app.rules.satisfaction import RESULTS

BASE = "/c/<int:community_id>/plans/<int:plan_id>/acceptance"


def _may_run(plan) -> bool:
    return phase_allows(current_user.role, "run_acceptance", plan.phase)


def _require_run(plan) -> None:
    if not _may_run(plan):
        raise DomainError(_("现在不在竣工验收阶段，不能办理验收。"))


@bp.route(BASE)
@staff_required("plan.view")
def acceptance(community_id: int, plan_id: int):
    """The acceptance group, every passed item's result and its defects."""
    plan = plan_or_404(plan_id)
    group = members(plan)
    return render_template(
        "aftercare/acceptance.html",
        plan=plan,
        members=group,
        homes=addresses(m.household_id for m in group),
        rows=acceptance_of(plan),
        may_run=_may_run(plan),
        member_form=MemberForm(),
        form=PostForm(),
    )


@bp.route(BASE + "/members", methods=["POST"])
@staff_required("acceptance.run")
def add_member(community_id: int, plan_id: int):
    """Add a resident representative (by address) or a staff member to the group."""
    plan = plan_or_404(plan_id)
    _require_run(plan)
    form = MemberForm()
    if not form.validate_on_submit():
        raise DomainError(*form_errors(form))
    household = None
    if form.kind.data == "resident":
        found = households_at(community_id, form.address.data or "")
        if len(found) != 1:
            raise DomainError(_("请填写居民代表的房屋，例如 3-2-301（须是本小区的一户）。"))
        household = found[0]
    operations.add_member(
        plan,
        kind=form.kind.data,
        name=form.name.data,
        role=form.role.data,
        household=household,
    )
    flash(_("已加入验收小组。"), "success")
    return redirect(url_for("aftercare.acceptance", community_id=community_id, plan_id=plan.id))


@bp.route(BASE + "/members/<int:member_id>/remove", methods=["POST"])
@staff_required("acceptance.run")
def remove_member(community_id: int, plan_id: int, member_id: int):
    """Take a member out of the group."""
    plan = plan_or_404(plan_id)
    _require_run(plan)
    PostForm().validate_on_submit() or abort(400)
    member = get_in_community_or_404(AcceptanceMember, member_id)
    if member.plan_id != plan.id:
        abort(404)
    operations.remove_member(plan, member)
    flash(_("已移出验收小组。"), "success")
    return redirect(url_for("aftercare.acceptance", community_id=community_id, plan_id=plan.id))


@bp.route(BASE + "/items/<int:item_id>", methods=["GET", "POST"])
@staff_required("acceptance.run")
def check_item(community_id: int, plan_id: int, item_id: int):
    """One passed item: edit its checklist, tick the lines, record the result; its defects."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    if item.id not in {i.id for i in passed_items(plan)}:
        raise DomainError(_("这个项目没有通过表决（或还没有最终结果），不在验收之列。"))
    form = PostForm()
    if request.method == "POST":
        _require_run(plan)
        if not form.validate_on_submit():
            abort(400)
        texts = request.form.getlist("line")
        ticked = set(request.form.getlist("ok"))
        lines = [(t, str(n) in ticked) for n, t in enumerate(texts)]
        extra = (request.form.get("new_line") or "").strip()
        if extra:
            lines.append((extra, "new" in ticked))
        result = request.form.get("result") or None
        operations.save_check(
            plan,
            item,
            lines=lines,
            result=result if result in RESULTS else None,
            notes=request.form.get("notes", ""),
            user=current_user,
        )
        flash(_("验收记录已保存。"), "success")
        return redirect(request.path)
    (row,) = acceptance_of(plan, [item])
    return render_template(
        "aftercare/check_item.html",
        plan=plan,
        row=row,
        may_run=_may_run(plan),
        form=form,
        defect_form=DefectForm(),
        rectify_form=RectifyForm(),
        rectify_open=plan.phase in ("acceptance", "evaluation")
        and phase_allows(current_user.role, "handle_issues", plan.phase),
    )


@bp.route(BASE + "/items/<int:item_id>/defects", methods=["POST"])
@staff_required("acceptance.run")
def add_defect(community_id: int, plan_id: int, item_id: int):
    """Record a defect found at acceptance."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    _require_run(plan)
    form = DefectForm()
    if not form.validate_on_submit():
        raise DomainError(*form_errors(form))
    operations.add_defect(
        plan,
        item,
        description=form.description.data,
        responsible=form.responsible.data,
        deadline=form.deadline.data,
    )
    flash(_("问题已记录。"), "success")
    return redirect(url_for("aftercare.check_item", community_id=community_id, plan_id=plan.id,
                            item_id=item.id))  # fmt: skip


@bp.route(BASE + "/defects/<int:defect_id>/rectify", methods=["POST"])
@staff_required("acceptance.run")
def rectify(community_id: int, plan_id: int, defect_id: int):
    """Record a defect's rectification."""
    plan = plan_or_404(plan_id)
    if not phase_allows(current_user.role, "handle_issues", plan.phase):
        raise DomainError(_("现在不能登记整改：验收问题在竣工验收和满意度评价阶段登记整改。"))
    defect = get_in_community_or_404(AcceptanceDefect, defect_id)
    if defect.plan_id != plan.id:
        abort(404)
    form = RectifyForm()
    if not form.validate_on_submit():
        raise DomainError(*form_errors(form))
    operations.rectify_defect(plan, defect, rectification=form.rectification.data)
    flash(_("整改情况已记录。"), "success")
    return redirect(url_for("aftercare.check_item", community_id=community_id, plan_id=plan.id,
                            item_id=defect.item_id))  # fmt: skip


@bp.route(BASE + "/notice.pdf")
@staff_required("print")
def acceptance_notice(community_id: int, plan_id: int):
    """The acceptance notice (竣工验收公示) as a PDF; printing it is audited."""
    plan = plan_or_404(plan_id)
    if not passed_items(plan):
        raise DomainError(_("还没有通过表决、需要验收的项目，不能打印竣工验收公示。"))
    data = acceptance_notice_pdf(plan)
    log_event(
        "acceptance.notice_print",
        "plan",
        plan.id,
        community_id=plan.community_id,
        after={"bytes": len(data)},
    )
    return file_response(data, "application/pdf", f"竣工验收公示-{plan.id}.pdf", inline=True)


from app.aftercare import evaluation_views  # noqa: E402, F401  (evaluation pages on this blueprint)
