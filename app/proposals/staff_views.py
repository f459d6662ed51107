"""Workers' proposal pages: list and filters, add from visits or surveys, merge, accept, decline."""

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.confirm import confirmation_page, confirmed
from app.core.errors import DomainError
from app.core.paging import page_number
from app.core.permissions import has_permission
from app.core.refusals import flash_refusal, form_errors, refuse
from app.extensions import db
from app.plans.access import item_or_404, plan_or_404
from app.plans.models import CATEGORIES, Item, Plan
from app.plans.phases import phase_allows
from app.plans.queries import current_plan
from app.proposals.blueprint import bp
from app.proposals.forms import (
    AcceptForm,
    DeclineForm,
    LinkForm,
    MergeForm,
    StaffProposalForm,
    UndoForm,
)
from app.proposals.models import PROPOSAL_STATUSES, Proposal, ProposalPhoto
from app.proposals.operations import (
    accept_into_new_item,
    create_proposal,
    decline_proposal,
    link_to_item,
    merge_preview,
    merge_proposals,
    remove_draft_item,
    undo_decline,
    undo_merge,
)
from app.proposals.photos import MAX_PHOTOS
from app.proposals.queries import (
    household_by_address,
    merge_targets,
    merged_from,
    photo_ids,
    plan_items,
    proposal_card,
    proposal_card_page,
    proposals_for_items,
    suggested_key,
)
from app.proposals.views import photo_response, uploaded_photos


def _proposal(plan: Plan, proposal_id: int) -> Proposal:
    """A proposal of this plan in the current community; anything else answers 404."""
    proposal = get_in_community_or_404(Proposal, proposal_id)
    if proposal.plan_id != plan.id:
        abort(404)
    return proposal


def _may(action: str, plan: Plan) -> bool:
    """The signed-in worker may take a proposal action in the plan's phase."""
    return has_permission(current_user, "proposal.manage") and phase_allows(
        current_user.role, action, plan.phase
    )


@bp.route("/c/<int:community_id>/proposals")
@staff_required("plan.view")
def community_proposals(community_id: int):
    """The proposals of the community's current plan."""
    plan = current_plan(g.community.id)
    if plan is None:
        return render_template("proposals/staff_no_plan.html")
    return redirect(url_for("proposals.staff_list", community_id=community_id, plan_id=plan.id))


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/proposals")
@staff_required("plan.view")
def staff_list(community_id: int, plan_id: int):
    """The plan's proposals, most supported first, filtered by status, category and words."""
    plan = plan_or_404(plan_id)
    status = request.args.get("status", "")
    category = request.args.get("category", "")
    q = request.args.get("q", "")[:100]
    status = status if status in PROPOSAL_STATUSES else ""
    category = category if category in CATEGORIES else ""
    page = proposal_card_page(
        plan,
        status=status,
        category=category,
        search=q,
        page=page_number(request.args),
        per_page=current_app.config["PAGE_SIZE"],
        with_households=True,
    )
    return render_template(
        "proposals/staff_list.html",
        plan=plan,
        page=page,
        status=status,
        category=category,
        q=q,
        statuses=PROPOSAL_STATUSES,
        categories=CATEGORIES,
        can_add=_may("add_proposal", plan),
        show_households=has_permission(current_user, "household.view"),
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/proposals/new", methods=["GET", "POST"])
@staff_required("proposal.manage")
def staff_new(community_id: int, plan_id: int):
    """Add a proposal gathered door to door or by survey, for a household or for nobody."""
    plan = plan_or_404(plan_id)
    form = StaffProposalForm()
    errors = []
    if form.validate_on_submit():
        household = None
        if (form.household.data or "").strip():
            household = household_by_address(g.community.id, form.household.data)
            if household is None:
                errors = [
                    _(
                        "找不到住户“%(text)s”。请按“3号楼2单元301”的样子填写，或留空。",
                        text=form.household.data,
                    )
                ]
        if not errors:
            try:
                proposal = create_proposal(
                    plan,
                    household=household,
                    source=form.source.data,
                    entered_by=current_user,
                    title=form.title.data,
                    body=form.body.data or "",
                    category=form.category.data,
                    photos=uploaded_photos(form.photos.data),
                )
            except DomainError as exc:
                errors = refuse(exc)
            else:
                flash(_("已添加提议“%(title)s”。", title=proposal.title), "success")
                return redirect(
                    url_for("proposals.staff_list", community_id=community_id, plan_id=plan.id)
                )
    elif request.method == "POST":
        errors = form_errors(form)
    return render_template(
        "proposals/staff_new.html",
        plan=plan,
        form=form,
        errors=errors,
        can_add=_may("add_proposal", plan),
        max_photos=MAX_PHOTOS,
    ), (422 if errors else 200)


def _decision_forms(plan: Plan, proposal: Proposal) -> dict:
    """The forms of the detail page, their choices filled from this plan."""
    merge = MergeForm()
    merge.target.choices = [
        SelectChoice(p.id, f"#{p.id} {p.title}") for p in merge_targets(proposal)
    ]
    link = LinkForm()
    link.item.choices = [SelectChoice(i.id, f"{i.key} {i.title}") for i in plan_items(plan)]
    accept = AcceptForm()
    if request.endpoint != "proposals.staff_accept":
        accept.key.data = suggested_key(plan)
        accept.title.data = proposal.title
        accept.category.data = proposal.category
    return {"merge": merge, "link": link, "accept": accept, "decline": DeclineForm()}


def _render_detail(plan: Plan, proposal: Proposal, forms: dict, errors=(), status=200):
    """The worker's page for one proposal."""
    return render_template(
        "proposals/staff_detail.html",
        plan=plan,
        card=proposal_card(proposal),
        photos=photo_ids(proposal),
        merged=merged_from(proposal),
        forms=forms,
        errors=list(errors),
        can_decide=_may("decide_proposal", plan),
        has_manage=has_permission(current_user, "proposal.manage"),
        show_households=has_permission(current_user, "household.view"),
    ), status


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/proposals/<int:proposal_id>")
@staff_required("plan.view")
def staff_detail(community_id: int, plan_id: int, proposal_id: int):
    """One proposal: text, photos, supporters, and the decisions a worker can take."""
    plan = plan_or_404(plan_id)
    proposal = _proposal(plan, proposal_id)
    return _render_detail(plan, proposal, _decision_forms(plan, proposal))


def _decide(plan_id: int, proposal_id: int, form_name: str, act, ask=None):
    """Validate one decision form and apply `act(form)`; show the reasons when refused.

    With `ask(plan, proposal, form)`, the first POST answers with the confirmation page it
    returns (None: nothing to confirm) and only a confirmed POST acts.
    """
    plan = plan_or_404(plan_id)
    proposal = _proposal(plan, proposal_id)
    forms = _decision_forms(plan, proposal)
    form = forms[form_name]
    if form.validate_on_submit():
        if ask is not None and not confirmed():
            page = ask(plan, proposal, form)
            if page is not None:
                return page
        try:
            message = act(proposal, form)
        except DomainError as exc:
            refuse(exc)
            return _render_detail(plan, proposal, forms, exc.reasons, 422)
        flash(message, "success")
        return redirect(
            url_for(
                "proposals.staff_detail",
                community_id=plan.community_id,
                plan_id=plan.id,
                proposal_id=proposal.id,
            )
        )
    errors = form_errors(form)
    return _render_detail(plan, proposal, forms, errors, 422)


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/proposals/<int:proposal_id>/merge",
    methods=["POST"],
)
@staff_required("proposal.manage")
def staff_merge(community_id: int, plan_id: int, proposal_id: int):
    """Merge this duplicate into another proposal; its supporters move over."""

    def act(proposal, form):
        keep = get_in_community_or_404(Proposal, form.target.data)
        merge_proposals(proposal, keep)
        return _("已将本提议并入“%(title)s”，支持者已合并计算。", title=keep.title)

    def ask(plan, proposal, form):
        keep = get_in_community_or_404(Proposal, form.target.data)
        moving, both = merge_preview(proposal, keep)
        return confirmation_page(
            _("合并提议"),
            [
                _(
                    "提议 #%(d)d“%(a)s”并入 #%(k)d“%(b)s”。",
                    d=proposal.id,
                    a=proposal.title,
                    k=keep.id,
                    b=keep.title,
                ),
                _(
                    "%(n)d 户的支持转到“%(b)s”；%(m)d 户两条都支持，只算一次。",
                    n=moving,
                    b=keep.title,
                    m=both,
                ),
                _("提议人和居民会看到本条“已并入”，不能再单独支持。"),
            ],
            button=_("确认合并"),
            cancel_url=_detail_url(plan, proposal),
            undo=_("在方案进入表决前，可以在本提议的页面撤销合并，支持会转回来。"),
        )

    return _decide(plan_id, proposal_id, "merge", act, ask)


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/proposals/<int:proposal_id>/accept",
    methods=["POST"],
)
@staff_required("proposal.manage")
def staff_accept(community_id: int, plan_id: int, proposal_id: int):
    """Accept the proposal as a new item of the draft plan."""

    def act(proposal, form):
        item = accept_into_new_item(
            proposal, key=form.key.data, title=form.title.data, category=form.category.data
        )
        return _(
            "已采纳为方案项目 %(key)s。请在方案中补全该项目的范围、表决规则和资金。", key=item.key
        )

    return _decide(plan_id, proposal_id, "accept", act)


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/proposals/<int:proposal_id>/link",
    methods=["POST"],
)
@staff_required("proposal.manage")
def staff_link(community_id: int, plan_id: int, proposal_id: int):
    """Accept the proposal as answered by an item already in the draft."""

    def act(proposal, form):
        item = get_in_community_or_404(Item, form.item.data)
        link_to_item(proposal, item)
        return _("已采纳：本提议由方案项目 %(key)s 解决。", key=item.key)

    return _decide(plan_id, proposal_id, "link", act)


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/proposals/<int:proposal_id>/decline",
    methods=["POST"],
)
@staff_required("proposal.manage")
def staff_decline(community_id: int, plan_id: int, proposal_id: int):
    """Decline the proposal with a reason the proposer sees."""

    def act(proposal, form):
        decline_proposal(proposal, form.reason.data)
        return _("已标记为不采纳，提议人会看到原因。")

    return _decide(plan_id, proposal_id, "decline", act)


def _detail_url(plan: Plan, proposal: Proposal) -> str:
    """The worker's page of a proposal."""
    return url_for(
        "proposals.staff_detail",
        community_id=plan.community_id,
        plan_id=plan.id,
        proposal_id=proposal.id,
    )


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/proposals/<int:proposal_id>/undo",
    methods=["POST"],
)
@staff_required("proposal.manage")
def staff_undo(community_id: int, plan_id: int, proposal_id: int):
    """Undo a merge or a decline while the draft is still open; the proposal is open again."""
    plan = plan_or_404(plan_id)
    proposal = _proposal(plan, proposal_id)
    if not UndoForm().validate_on_submit():
        abort(400)
    try:
        if proposal.status == "merged":
            back = undo_merge(proposal)
            flash(_("已撤销合并，%(n)d 户的支持已转回本提议。", n=back), "success")
        else:
            undo_decline(proposal)
            flash(_("已撤销不采纳，本提议重新等待处理。"), "success")
    except DomainError as exc:
        flash_refusal(exc)
    return redirect(_detail_url(plan, proposal))


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/proposals/photos/<int:photo_id>")
@staff_required("plan.view")
def staff_photo(community_id: int, plan_id: int, photo_id: int):
    """A proposal photo of this community's plan."""
    plan = plan_or_404(plan_id)
    record = get_in_community_or_404(ProposalPhoto, photo_id)
    if db.session.get(Proposal, record.proposal_id).plan_id != plan.id:
        abort(404)
    return photo_response(record, private_cache=False)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/delete", methods=["POST"])
@staff_required("plan.manage")
def remove_item(community_id: int, plan_id: int, item_id: int):
    """Delete an item while the plan is being drafted, once confirmed; the proposals it
    answered reopen."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    if not confirmed():
        if not UndoForm().validate_on_submit():  # the CSRF token only
            abort(400)
        return confirmation_page(
            _("删除项目 %(key)s", key=item.key),
            [
                _(
                    "项目 %(key)s“%(t)s”从方案中删除，连同它的范围、资金和上传的每户金额。",
                    key=item.key,
                    t=item.title,
                ),
                _(
                    "它解决的 %(n)d 条提议回到“征集中”，需要重新处理。",
                    n=len(proposals_for_items([item.id]).get(item.id, [])),
                ),
            ],
            button=_("确认删除"),
            cancel_url=url_for(
                "plans.edit_item", community_id=community_id, plan_id=plan.id, item_id=item.id
            ),
        )
    try:
        remove_draft_item(item)
    except DomainError as exc:
        flash_refusal(exc)
    return redirect(url_for("plans.plan_detail", community_id=community_id, plan_id=plan.id))
