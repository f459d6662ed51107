"""Staff pages of the census: communities, overview, households, roster import, codes, audit."""

import io
from datetime import date

from flask import (
    Response,
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

from app.communities.blueprint import bp
from app.communities.codes import issue_codes, rotate_code, write_codes_csv
from app.communities.forms import (
    CommunityForm,
    ConfirmForm,
    IssueCodesForm,
    RosterUploadForm,
    RotateCodeForm,
)
from app.communities.models import Household, RosterUpload
from app.communities.operations import (
    apply_roster_import,
    create_community,
    mark_upload_imported,
    plan_roster_import,
    store_roster_upload,
)
from app.communities.queries import (
    CODE_FILTERS,
    AuditFilter,
    audit_page,
    audit_vocabulary,
    code_counts,
    distinct_owner_count,
    household_list,
    recent_events,
    roster_stats,
)
from app.communities.roster import parse_roster
from app.communities.tenancy import (
    get_in_community_or_404,
    staff_required,
    visible_communities_query,
)
from app.core.codes import format_code
from app.core.confirm import confirmation_page, confirmed
from app.core.errors import DomainError
from app.core.nav import page_sections
from app.core.paging import page_number
from app.core.permissions import has_permission
from app.core.refusals import refuse
from app.extensions import db


@bp.route("/staff/")
@staff_required("community.view")
def staff_home():
    """The communities this staff user may see."""
    communities = db.session.scalars(visible_communities_query(current_user)).all()
    return render_template(
        "communities/staff_home.html",
        communities=communities,
        can_create=has_permission(current_user, "community.create"),
    )


@bp.route("/staff/communities/new", methods=["GET", "POST"])
@staff_required("community.create")
def new_community():
    """Create a community (admin; district staff inside their district)."""
    form = CommunityForm()
    if current_user.role == "district" and request.method == "GET":
        form.district.data = current_user.district
    errors = []
    if form.validate_on_submit():
        district = (
            current_user.district if current_user.role == "district" else form.district.data or ""
        )
        try:
            community = create_community(
                form.name.data, district, form.street.data or "", form.address.data or ""
            )
        except DomainError as exc:
            errors = refuse(exc)
        else:
            return redirect(url_for("communities.overview", community_id=community.id))
    return render_template("communities/community_form.html", form=form, errors=errors)


@bp.route("/c/<int:community_id>/")
@staff_required("community.view")
def overview(community_id: int):
    """Roster statistics per building, codes issued, recent audit events."""
    stats = roster_stats(g.community)
    return render_template(
        "communities/overview.html",
        stats=stats,
        totals={
            "households": sum(s.households for s in stats),
            "units": sum(s.units for s in stats),
            "area": sum((s.area for s in stats), 0),
            "codes": sum(s.codes_issued for s in stats),
            "owners": distinct_owner_count(g.community),
        },
        events=recent_events(g.community),
        sections=page_sections("community_overview", g.community),
    )


@bp.route("/c/<int:community_id>/households")
@staff_required("household.view")
def households(community_id: int):
    """All households, paginated and searchable."""
    q = request.args.get("q", "")[:100]
    codes = request.args.get("codes", "")
    codes = codes if codes in CODE_FILTERS else ""
    page = household_list(
        g.community,
        q,
        page_number(request.args),
        current_app.config["PAGE_SIZE"],
        codes=codes,
    )
    return render_template("communities/households.html", page=page, q=q, codes=codes)


@bp.route("/c/<int:community_id>/households/<int:household_id>")
@staff_required("household.view")
def household(community_id: int, household_id: int):
    """One household and its sign-in code status."""
    record = get_in_community_or_404(Household, household_id)
    return render_template(
        "communities/household.html",
        household=record,
        form=RotateCodeForm(),
        can_rotate=has_permission(current_user, "codes.issue"),
    )


@bp.route("/c/<int:community_id>/households/<int:household_id>/code", methods=["POST"])
@staff_required("codes.issue")
def rotate_household_code(community_id: int, household_id: int):
    """Replace a lost code; the old one stops working at once. The new code shows only once."""
    record = get_in_community_or_404(Household, household_id)
    form = RotateCodeForm()
    if not form.validate_on_submit():
        abort(400)
    code = rotate_code(record, form.reason.data or "")
    return render_template(
        "communities/new_code.html",
        household=record,
        code=format_code(code),
        link=signin_link(code),
    )


def signin_link(code: str) -> str:
    """The QR sign-in URL printed on a household's letter."""
    base = current_app.config["PUBLIC_BASE_URL"] or request.host_url
    return base.rstrip("/") + url_for("accounts.qr_signin", token=code)


@bp.route("/c/<int:community_id>/roster", methods=["GET", "POST"])
@staff_required("roster.import")
def roster_upload(community_id: int):
    """Upload a roster file; show its preview (or every error) before anything is imported."""
    form = RosterUploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read()
        result = parse_roster(data, storage.filename or "roster.csv")
        if result.errors:
            return render_template(
                "communities/roster_upload.html",
                form=form,
                errors=result.errors,
                skipped=result.skipped,
                filename=storage.filename,
            ), 422
        upload = store_roster_upload(g.community, current_user, storage.filename or "", data)
        return redirect(
            url_for("communities.roster_preview", community_id=community_id, upload_id=upload.id)
        )
    return render_template("communities/roster_upload.html", form=form, errors=None)


def _pending_upload(upload_id: int) -> RosterUpload:
    """An upload of this community that has not been imported yet."""
    upload = get_in_community_or_404(RosterUpload, upload_id)
    if upload.imported_at is not None:
        abort(404)
    return upload


@bp.route("/c/<int:community_id>/roster/<int:upload_id>", methods=["GET", "POST"])
@staff_required("roster.import")
def roster_preview(community_id: int, upload_id: int):
    """What the import will do; confirming writes it all, or nothing."""
    upload = _pending_upload(upload_id)
    result = parse_roster(upload.data, upload.filename)
    if result.errors:  # only if the parser changed since the upload
        return render_template(
            "communities/roster_upload.html",
            form=RosterUploadForm(),
            errors=result.errors,
            skipped=result.skipped,
            filename=upload.filename,
        ), 422
    plan = plan_roster_import(g.community, result.rows)
    form = ConfirmForm()
    if form.validate_on_submit():
        summary = apply_roster_import(
            g.community,
            plan,
            filename=upload.filename,
            sha256=upload.sha256,
            skipped_rows=[issue.row for issue in result.skipped],
        )
        mark_upload_imported(upload)
        flash(
            _(
                "已导入花名册：新增 %(created)d 户，更新 %(updated)d 户，未变 %(unchanged)d 户。",
                **summary,
            ),
            "success",
        )
        return redirect(url_for("communities.overview", community_id=community_id))
    return render_template(
        "communities/roster_preview.html",
        plan=plan,
        upload=upload,
        form=form,
        skipped=result.skipped,
    )


@bp.route("/c/<int:community_id>/codes", methods=["GET", "POST"])
@staff_required("codes.issue")
def codes(community_id: int):
    """Issue sign-in codes and download them once, as a CSV for the letters."""
    form = IssueCodesForm()
    counts = code_counts(community_id)
    total, with_code = counts.households, counts.live
    if form.validate_on_submit() and not form.only_missing.data and with_code and not confirmed():
        return confirmation_page(
            _("给全部住户重新发码"),
            [
                _("本小区全部 %(n)d 户都换成新的登录码。", n=total),
                _(
                    "其中 %(n)d 户原有的登录码立即失效：用旧码登录的住户都会被退出，"
                    "已经发出的信件和二维码不能再用。",
                    n=with_code,
                ),
                _("新登录码只在下载的文件里出现一次，需要重新打印信件发给每一户。"),
            ],
            button=_("确认重新发码并下载"),
            cancel_url=url_for("communities.codes", community_id=community_id),
        )
    if form.validate_on_submit():
        issued = issue_codes(g.community, only_missing=form.only_missing.data)
        filename = f"codes-{community_id}.csv"
        return Response(
            codes_csv(issued),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={filename}"},
        )
    return render_template("communities/codes.html", form=form, counts=counts)


def codes_csv(issued) -> str:
    """The codes file: UTF-8 with BOM so Excel opens it; one row per household."""
    out = io.StringIO()
    out.write("\ufeff")
    header = [_("楼栋"), _("单元"), _("房号"), _("业主"), _("登录码"), _("登录链接")]
    write_codes_csv(out, issued, signin_link, header)
    return out.getvalue()


@bp.route("/c/<int:community_id>/audit")
@staff_required("audit.view")
def audit(community_id: int):
    """The community's audit trail, newest first, by action, record type, actor and dates."""
    actions, record_types = audit_vocabulary(g.community)
    args = request.args
    wanted = AuditFilter(
        action=args.get("action", "") if args.get("action") in actions else "",
        record_type=args.get("record_type", "") if args.get("record_type") in record_types else "",
        actor=args.get("actor", "")[:80],
        date_from=parse_day(args.get("date_from", "")),
        date_to=parse_day(args.get("date_to", "")),
    )
    page = audit_page(g.community, page_number(args), current_app.config["PAGE_SIZE"], wanted)
    return render_template(
        "communities/audit.html",
        page=page,
        wanted=wanted,
        actions=actions,
        record_types=record_types,
    )


def parse_day(text: str) -> date | None:
    """A date typed as YYYY-MM-DD (what a date input sends); None when empty or malformed."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None
