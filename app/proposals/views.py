"""Residents' proposal pages (一上): the list with one-tap support, the form, photos.

Workers' pages live in staff_views.py on the same blueprint.
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
from werkzeug.exceptions import RequestEntityTooLarge

from app.communities.tenancy import household_required
from app.core.errors import DomainError
from app.core.refusals import flash_refusal, form_errors, refuse
from app.extensions import db, limiter
from app.plans.access import household_plan
from app.plans.models import Plan
from app.plans.phases import phase_allows
from app.plans.workflow import sync_phase
from app.proposals.blueprint import bp
from app.proposals.editing import edit_proposal, may_change, withdraw_proposal
from app.proposals.forms import CATEGORY_HINTS, ProposalForm, SupportForm
from app.proposals.models import Proposal, ProposalPhoto
from app.proposals.operations import create_proposal, support_proposal, withdraw_support
from app.proposals.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from app.proposals.queries import photo_ids, proposal_card, resident_sections
from app.proposals.uploads import UPLOAD_LIMIT, raise_upload_limit_for

# Endpoints that take photos: room for three full-size phone photos (each shrunk on arrival)
# and the form around them. A larger request gets the form again with a clear message.
UPLOAD_ENDPOINTS = ("proposals.new", "proposals.staff_new", "proposals.edit")
UPLOAD_LIMIT_MB = UPLOAD_LIMIT // (1024 * 1024)
bp.url_value_preprocessor(raise_upload_limit_for(UPLOAD_ENDPOINTS))


@bp.errorhandler(RequestEntityTooLarge)
def photos_too_large(exc):
    """A photo form over the request limit: say how much fits, and what to do."""
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return render_template("error.html", code=413, message=_("上传的文件太大。")), 413
    message = _(
        "照片太大，没有提交：一次最多上传 %(mb)d MB（%(n)d 张照片，每张不超过 12 MB）。"
        "请少选几张或换小一点的照片，返回后重新提交。",
        mb=UPLOAD_LIMIT_MB,
        n=MAX_PHOTOS,
    )
    return render_template("error.html", code=413, message=message), 413


@bp.context_processor
def proposal_labels():
    """What each category covers, for every proposals template (labels: app.core.vocabulary)."""
    return {"category_hints": CATEGORY_HINTS}


def uploaded_photos(files) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the chosen files; reads at most one byte past the size limit."""
    photos = []
    for storage in files or []:
        if storage is None or not getattr(storage, "filename", ""):
            continue
        photos.append((storage.filename, storage.stream.read(MAX_PHOTO_BYTES + 1)))
    return photos


def photo_response(photo: ProposalPhoto, *, private_cache: bool) -> Response:
    """The stored (re-encoded) image bytes."""
    response = Response(photo.data, mimetype=photo.content_type)
    response.headers["Content-Disposition"] = "inline"
    if private_cache:
        response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _household_proposal(proposal_id: int) -> Proposal:
    """A proposal of the household's community; any other answers 404."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.community_id != g.household.community_id:
        abort(404)
    return proposal


def _back(proposal: Proposal) -> str:
    """Where a support button returns: the page it was on, at this proposal."""
    if request.form.get("back") == "detail":
        return url_for("proposals.detail", proposal_id=proposal.id)
    return url_for("proposals.index", _anchor=f"p{proposal.id}")


@bp.route("/proposals")
@household_required
def index():
    """Every proposal of the plan by status, the household's own first, with support counts."""
    plan = household_plan()
    if plan is None:
        return render_template("proposals/index.html", plan=None)
    return render_template(
        "proposals/index.html",
        plan=plan,
        sections=resident_sections(plan, g.household),
        household=g.household,
        can_propose=phase_allows("household", "propose", plan.phase),
        can_support=phase_allows("household", "support", plan.phase),
        can_view=phase_allows("household", "view_proposals", plan.phase),
        form=SupportForm(),
    )


def _proposer_key() -> str:
    """Proposals are limited per household (each may carry photos that take work to shrink)."""
    household = getattr(current_user, "household", None)
    return f"propose:{household.id}" if household is not None else f"propose:{request.remote_addr}"


@bp.route("/proposals/new", methods=["GET", "POST"])
@household_required
@limiter.limit("10 per hour", methods=["POST"], key_func=lambda: _proposer_key())
def new():
    """Propose an item: one sentence, optional details, a category, up to three photos."""
    plan = household_plan()
    form = ProposalForm()
    errors = []
    if plan is not None and form.validate_on_submit():
        try:
            create_proposal(
                plan,
                household=g.household,
                title=form.title.data,
                body=form.body.data or "",
                category=form.category.data,
                photos=uploaded_photos(form.photos.data),
            )
        except DomainError as exc:
            errors = refuse(exc)
        else:
            flash(_("您的提议已提交。其他住户可以在“居民提议”中看到并支持它。"), "success")
            return redirect(url_for("proposals.index", _anchor="mine"))
    elif request.method == "POST":
        errors = form_errors(form)
    return render_template(
        "proposals/new.html",
        plan=plan,
        form=form,
        errors=errors,
        can_propose=plan is not None and phase_allows("household", "propose", plan.phase),
        max_photos=MAX_PHOTOS,
    ), (422 if errors else 200)


@bp.route("/proposals/<int:proposal_id>")
@household_required
def detail(proposal_id: int):
    """One proposal in full, with its photos and what became of it."""
    proposal = _household_proposal(proposal_id)
    plan = db.session.get(Plan, proposal.plan_id)
    sync_phase(plan)
    return render_template(
        "proposals/detail.html",
        card=proposal_card(proposal, viewer=g.household),
        household=g.household,
        photos=photo_ids(proposal),
        can_support=phase_allows("household", "support", plan.phase),
        form=SupportForm(),
    )


@bp.route("/proposals/<int:proposal_id>/support", methods=["POST"])
@household_required
def support(proposal_id: int):
    """Support a proposal (one support per household; a second tap changes nothing)."""
    proposal = _household_proposal(proposal_id)
    if not SupportForm().validate_on_submit():
        abort(400)
    try:
        support_proposal(proposal, g.household)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(_("已支持“%(title)s”。", title=proposal.title), "success")
    return redirect(_back(proposal))


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["POST"])
@household_required
def withdraw(proposal_id: int):
    """Withdraw the household's support while proposals are open."""
    proposal = _household_proposal(proposal_id)
    if not SupportForm().validate_on_submit():
        abort(400)
    try:
        withdraw_support(proposal, g.household)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(_("已取消对“%(title)s”的支持。", title=proposal.title), "success")
    return redirect(_back(proposal))


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@household_required
@limiter.limit("20 per hour", methods=["POST"], key_func=lambda: _proposer_key())
def edit(proposal_id: int):
    """The household's own open proposal: change its words, category and photos, or withdraw it."""
    proposal = _household_proposal(proposal_id)
    plan = db.session.get(Plan, proposal.plan_id)
    sync_phase(plan)
    if not may_change(proposal, g.household, plan):
        flash(_("这条提议现在不能修改或撤回。"), "error")
        return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    form = ProposalForm(obj=proposal if request.method == "GET" else None)
    errors = []
    if form.validate_on_submit():
        try:
            edit_proposal(
                proposal,
                g.household,
                title=form.title.data,
                body=form.body.data or "",
                category=form.category.data,
                remove_photo_ids=[i for i in request.form.getlist("remove_photo") if i.isdigit()],
                photos=uploaded_photos(form.photos.data),
            )
        except DomainError as exc:
            errors = refuse(exc)
        else:
            flash(_("提议已修改。"), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    elif request.method == "POST":
        errors = form_errors(form)
    return render_template(
        "proposals/edit.html",
        proposal=proposal,
        form=form,
        errors=errors,
        photos=photo_ids(proposal),
        removing={int(i) for i in request.form.getlist("remove_photo") if i.isdigit()},
        withdraw_form=SupportForm(),
        max_photos=MAX_PHOTOS,
    ), (422 if errors else 200)


@bp.route("/proposals/<int:proposal_id>/retract", methods=["POST"])
@household_required
def retract(proposal_id: int):
    """Withdraw the household's own open proposal altogether."""
    proposal = _household_proposal(proposal_id)
    if not SupportForm().validate_on_submit():
        abort(400)
    title = proposal.title
    try:
        withdraw_proposal(proposal, g.household)
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(url_for("proposals.detail", proposal_id=proposal_id))
    flash(_("已撤回提议“%(title)s”。", title=title), "success")
    return redirect(url_for("proposals.index"))


@bp.route("/proposals/photos/<int:photo_id>")
@household_required
def photo(photo_id: int):
    """A proposal photo, for households of the same community only."""
    record = db.session.get(ProposalPhoto, photo_id)
    if record is None or record.community_id != g.household.community_id:
        abort(404)
    return photo_response(record, private_cache=True)


from app.proposals import staff_views  # noqa: E402, F401  (workers' routes on this blueprint)
