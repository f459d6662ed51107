"""Staff pages of plans: list, create or import, details with phase controls, items."""

import json

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.communities.models import Building, Unit
from app.communities.tenancy import scoped, staff_required
from app.core.confirm import confirmation_page, confirmed
from app.core.errors import DomainError
from app.core.permissions import has_permission
from app.core.refusals import flash_refusal, refuse
from app.core.vocabulary import label, phase_label
from app.extensions import db
from app.plans.access import item_or_404, plan_or_404
from app.plans.blueprint import bp
from app.plans.forms import (
    ItemForm,
    PhaseForm,
    PlanForm,
    PlanUploadForm,
    ReasonForm,
)
from app.plans.items import (
    CUSTOM_PARAMS,
    PLAN_FIELDS,
    create_plan,
    import_plan,
    item_edit_lock,
    locked_plan_fields,
    refuse_fixed_item_changes,
    revise_item,
    save_item,
    update_plan,
)
from app.plans.models import Item, Plan
from app.plans.phases import PHASES
from app.plans.planfile import PlanFileError, parse_plan_file
from app.plans.queries import (
    answered_proposal_ids,
    busy_plan,
    household_count,
    is_voting_open,
    local_today,
    scope_label,
)
from app.plans.workflow import close_voting, date_cuts, reopen_voting, set_phase


@bp.route("/c/<int:community_id>/plans")
@staff_required("plan.view")
def plan_list(community_id: int):
    """The community's plans."""
    plans = db.session.scalars(scoped(Plan).order_by(Plan.id.desc())).all()
    return render_template(
        "plans/plan_list.html", plans=plans, can_manage=has_permission(current_user, "plan.manage")
    )


@bp.route("/c/<int:community_id>/plans/new", methods=["GET", "POST"])
@staff_required("plan.manage")
def new_plan(community_id: int):
    """Start a plan by hand."""
    form = PlanForm()
    if form.validate_on_submit():
        try:
            plan = create_plan(
                g.community,
                form.title.data,
                **{k: getattr(form, k).data for k in PLAN_FIELDS if k != "title"},
            )
        except DomainError as exc:
            flash_refusal(exc)
        else:
            return redirect(
                url_for("plans.plan_detail", community_id=community_id, plan_id=plan.id)
            )
    return render_template("plans/plan_form.html", form=form, plan=None, locked={})


@bp.route("/c/<int:community_id>/plans/import", methods=["GET", "POST"])
@staff_required("plan.manage")
def upload_plan(community_id: int):
    """Create a plan from a plan file (JSON); every problem is listed, nothing half-written."""
    form = PlanUploadForm()
    problems = []
    if form.validate_on_submit():
        try:
            spec = parse_plan_file(form.file.data.read())
            plan = import_plan(g.community, spec)
        except PlanFileError as exc:
            problems = [str(p) for p in exc.problems]
        except DomainError as exc:
            problems = refuse(exc)
        else:
            flash(_("已导入方案，共 %(n)d 个项目。", n=len(spec.items)), "success")
            return redirect(
                url_for("plans.plan_detail", community_id=community_id, plan_id=plan.id)
            )
    return render_template("plans/plan_upload.html", form=form, problems=problems), (
        422 if problems else 200
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>")
@staff_required("plan.view")
def plan_detail(community_id: int, plan_id: int):
    """A plan: phase and dates, items, and the next step."""
    plan = plan_or_404(plan_id)
    return render_template(
        "plans/plan_detail.html",
        plan=plan,
        phases=PHASES,
        scope_label=scope_label,
        voting_open=is_voting_open(plan),
        reason_form=ReasonForm(),
        phase_form=PhaseForm(),
        answered=answered_proposal_ids([i.id for i in plan.items]),
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@staff_required("plan.manage")
def edit_plan(community_id: int, plan_id: int):
    """Change a plan's title, dates and policies; what the phase has fixed is read-only."""
    plan = plan_or_404(plan_id)
    form = PlanForm(obj=plan)
    locked = locked_plan_fields(plan)
    for name in locked:
        # A read-only field is not sent; one that is sent all the same (an old page) is
        # checked, and refused with its reason if it changes the value.
        if name not in request.form:
            getattr(form, name).data = getattr(plan, name)
    if form.validate_on_submit():
        try:
            update_plan(plan, **{k: getattr(form, k).data for k in PLAN_FIELDS})
        except DomainError as exc:
            flash_refusal(exc)
        else:
            return redirect(
                url_for("plans.plan_detail", community_id=community_id, plan_id=plan.id)
            )
    return render_template("plans/plan_form.html", form=form, plan=plan, locked=locked)


def _phase_consequences(plan: Plan, phase: str) -> tuple[list[str], list[str]]:
    """What moving the plan to `phase` today does, and what to watch for."""
    households = household_count(plan.community_id)
    lines, warnings = [], []
    if phase == "drafting":
        lines.append(_("居民不能再提交或支持提议（一上结束）。"))
        lines.append(_("本小区 %(n)d 户居民可以看到草案和自家的分摊金额。", n=households))
    elif phase == "voting":
        lines.append(_("本小区 %(n)d 户可以开始表决：网上、纸质票和上门代填。", n=households))
        lines.append(
            _(
                "%(n)d 个项目和每户的分摊金额从此固定，不能再直接修改；计票规则也不能再改。",
                n=len(plan.items),
            )
        )
        if not plan.items:
            warnings.append(_("方案还没有项目，不能开始表决。"))
        if plan.voting_closes is None:
            warnings.append(_("还没有设定表决截止日期。"))
        other = busy_plan(plan.community_id, exclude=plan.id)
        if other is not None:
            warnings.append(_("方案“%(t)s”正在表决或公示，本方案现在不能开始表决。", t=other.title))
    else:
        lines.append(_("方案进入“%(p)s”阶段。", p=phase_label(phase)))
    for field, (old, new) in date_cuts(plan, phase, local_today()).items():
        lines.append(
            _(
                "“%(f)s”由 %(old)s 改为今天 %(new)s。",
                f=PlanForm()[field].label.text,
                old=old or "—",
                new=new,
            )
        )
    return lines, warnings


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/phase", methods=["POST"])
@staff_required("plan.manage")
def change_phase(community_id: int, plan_id: int):
    """Move the plan to a later phase ahead of its date, once confirmed."""
    plan = plan_or_404(plan_id)
    form = PhaseForm()
    if not form.validate_on_submit() or form.phase.data not in PHASES:
        abort(400)
    detail = url_for("plans.plan_detail", community_id=community_id, plan_id=plan.id)
    if not confirmed():
        lines, warnings = _phase_consequences(plan, form.phase.data)
        return confirmation_page(
            _("进入下一阶段：%(p)s", p=label("phase_step", form.phase.data)),
            lines,
            warnings=warnings,
            button=_("确认进入“%(p)s”", p=phase_label(form.phase.data)),
            cancel_url=detail,
        )
    try:
        set_phase(plan, form.phase.data, reason="manual")
    except DomainError as exc:
        flash_refusal(exc)
    return redirect(detail)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/voting", methods=["POST"])
@staff_required("plan.manage")
def pause_or_resume_voting(community_id: int, plan_id: int):
    """Pause voting (with a reason) or resume it."""
    plan = plan_or_404(plan_id)
    form = ReasonForm()
    try:
        if request.form.get("action") == "resume":  # CSRFProtect has checked the token
            reopen_voting(plan)
        else:
            if not form.validate_on_submit():
                raise DomainError(_("请填写暂停表决的原因。"))
            close_voting(plan, form.reason.data)
    except DomainError as exc:
        flash_refusal(exc)
    return redirect(url_for("plans.plan_detail", community_id=community_id, plan_id=plan.id))


def _item_form(plan: Plan, item: Item | None) -> ItemForm:
    """The item form with the community's buildings and units to pick a scope from."""
    form = ItemForm(obj=item)
    buildings = db.session.scalars(scoped(Building).order_by(Building.name)).all()
    units = db.session.execute(
        select(Unit, Building.name)
        .join(Building, Unit.building_id == Building.id)
        .where(Unit.community_id == g.community.id, Unit.name != "")
        .order_by(Building.name, Unit.name)
    ).all()
    form.scope_buildings.choices = [(b.id, b.name) for b in buildings]
    form.scope_units.choices = [(u.id, f"{name}{u.name}") for u, name in units]
    if item is not None and request.method == "GET":
        form.scope_buildings.data = [s.building_id for s in item.scopes if s.unit_id is None]
        form.scope_units.data = [s.unit_id for s in item.scopes if s.unit_id is not None]
        for name, fen in (
            ("price", item.price_fen),
            ("price_per_m2", item.price_fen_per_m2),
            ("subsidy", item.subsidy_fen),
        ):
            form[name].data = f"{fen / 100:.2f}" if fen else ""
        params = json.loads(item.rule_params) if item.rule_params else {}
        for name in ("quorum", "approval", "strict", "base", "dimensions"):
            if name in params:
                getattr(form, f"custom_{name}").data = params[name]
    return form


def _item_fields(form: ItemForm) -> tuple[dict, list]:
    """Item fields and scope pairs from a validated form."""
    fields = {
        k: getattr(form, k).data.strip()
        if isinstance(getattr(form, k).data, str)
        else getattr(form, k).data
        for k in ("key", "title", "summary", "description", "category", "rule")
    }
    fields["rule_params"] = (
        json.dumps(
            {
                "quorum": form.custom_quorum.data,
                "approval": form.custom_approval.data,
                "strict": form.custom_strict.data,
                "base": form.custom_base.data,
                "dimensions": form.custom_dimensions.data,
            }
        )
        if form.rule.data == "custom"
        else None
    )
    opt_in = form.kind.data == "opt_in"
    fields.update(
        kind=form.kind.data,
        price_fen=form.price.fen,
        price_fen_per_m2=form.price_per_m2.fen,
        subsidy_fen=form.subsidy.fen or 0,
        min_uptake=form.min_uptake.data if opt_in else None,
        signup_closes=form.signup_closes.data if opt_in else None,
    )
    unit_building = dict(
        db.session.execute(
            select(Unit.id, Unit.building_id).where(Unit.community_id == g.community.id)
        ).all()
    )
    scope = [(b, None) for b in form.scope_buildings.data or []]
    scope += [
        (unit_building[u], u)
        for u in form.scope_units.data or []
        if unit_building.get(u) not in (form.scope_buildings.data or [])
    ]
    return fields, scope


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/items/new", methods=["GET", "POST"])
@bp.route("/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>", methods=["GET", "POST"])
@staff_required("plan.manage")
def edit_item(community_id: int, plan_id: int, item_id: int | None = None):
    """Create or edit an item; during voting an edit goes through the revise path."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id) if item_id else None
    form = _item_form(plan, item)
    reason = request.form.get("revision_reason", "")
    if form.validate_on_submit():
        fields, scope = _item_fields(form)
        try:
            if plan.phase == "voting" and item is not None:
                refuse_fixed_item_changes(item, **_posted_fixed_fields(form, fields, scope))
                revise_item(
                    item,
                    reason,
                    **{k: v for k, v in fields.items() if k in ("title", "summary", "description")},
                )
            else:
                saved = save_item(plan, item, scope=scope, **fields)
        except DomainError as exc:
            flash_refusal(exc)
        else:
            if item is None and has_permission(current_user, "funding.manage"):
                # A new item has no cost yet: go straight on to where it is filled in.
                flash(
                    _("已添加项目 %(key)s。请接着填写费用、资金来源和分摊方式。", key=saved.key),
                    "success",
                )
                return redirect(
                    url_for(
                        "funding.item_funding",
                        community_id=community_id,
                        plan_id=plan.id,
                        item_id=saved.id,
                    )
                )
            return redirect(
                url_for("plans.plan_detail", community_id=community_id, plan_id=plan.id)
            )
    answered = answered_proposal_ids([item.id]).get(item.id, []) if item else []
    return render_template(
        "plans/item_form.html",
        form=form,
        plan=plan,
        item=item,
        answered=answered,
        lock=item_edit_lock(plan) if item is not None else None,
        scope_text=(scope_label(item) or _("全小区")) if item is not None else "",
    )


def _posted_fixed_fields(form: ItemForm, fields: dict, scope: list) -> dict:
    """The fields fixed during voting that this POST sent (the page shows them read-only, so
    only an old page or a hand-made request sends them), to be checked before saving."""
    posted = set(request.form)
    sent = {name: fields[name] for name in ("key", "category", "rule", "kind") if name in posted}
    for name, field_name in (
        ("price", "price_fen"),
        ("price_per_m2", "price_fen_per_m2"),
        ("subsidy", "subsidy_fen"),
        ("min_uptake", "min_uptake"),
        ("signup_closes", "signup_closes"),
    ):
        if name in posted:
            sent[field_name] = fields[field_name]
    custom = {
        name: getattr(form, f"custom_{name}").data
        for name in CUSTOM_PARAMS
        if f"custom_{name}" in posted
    }
    if custom:
        sent["rule_params"] = custom
    if posted & {"scope_buildings", "scope_units"}:
        sent["scope"] = scope
    return sent


from app.plans import option_views  # noqa: E402, F401  (an item's options, on this blueprint)
