"""Staff pages of co-funding: item funding, the funding dashboard, reports (payments: see
payment_views.py, registered on the same blueprint)."""

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from app.communities.models import Building
from app.communities.tenancy import get_in_community_or_404, staff_required
from app.core.errors import DomainError
from app.core.refusals import refuse
from app.core.vocabulary import coefficient_text
from app.formats.downloads import export_response, file_response, plan_meta
from app.formats.tables import AREA, INT, TEXT, Column, Report, percent_value
from app.formats.writers import XLSX_MIMETYPE, report_xlsx
from app.funding.blueprint import bp
from app.funding.customfile import parse_custom_shares
from app.funding.forms import (
    COEFFICIENT_PREFIX,
    CustomUploadForm,
    FundingForm,
    read_floor_table,
    read_sources,
    source_fields,
)
from app.funding.ledger import funding_dashboard, households_of, ledger
from app.funding.operations import update_item_funding, upload_custom_shares
from app.funding.summaries import building_detail, building_summary, item_report
from app.plans.access import item_or_404, plan_or_404
from app.plans.models import Item, Plan
from app.plans.queries import current_plan
from app.plans.shares import (
    electorate_for_shares,
    floor_table,
    item_breakdown,
    items_editable,
    plan_shares,
    uploaded_custom_shares,
)
from app.rules.money import fen_input
from app.rules.shares import ShareError, household_order


@bp.app_template_filter("pct")
def percent_filter(value):
    """An exact ratio as a percentage with one decimal ("—" when undefined)."""
    rounded = percent_value(value)
    return "—" if rounded is None else f"{rounded * 100:.1f}%"


@bp.route("/c/<int:community_id>/funding")
@staff_required("funding.view")
def community_funding(community_id: int):
    """The menu entry: the current plan's funding dashboard."""
    plan = current_plan(community_id)
    if plan is None:
        return render_template("funding/no_plan.html")
    return redirect(url_for("funding.dashboard", community_id=community_id, plan_id=plan.id))


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/funding")
@staff_required("funding.view")
def dashboard(community_id: int, plan_id: int):
    """Per item: required from residents, pledged, gap, pledge rates, paid, outstanding."""
    plan = plan_or_404(plan_id)
    return render_template("funding/dashboard.html", plan=plan, board=funding_dashboard(plan))


def _funding_form_page(
    plan: Plan, item: Item, form: FundingForm, errors=(), status=200, *, upload_failed=False
):
    """Render the item funding page with `form` (filled from the item on first view)."""
    electorate = electorate_for_shares(item)
    try:
        table = floor_table(item) or {}
    except ShareError:
        table = {}
    if request.method == "POST":
        typed = {
            int(k[len(COEFFICIENT_PREFIX) :]): v
            for k, v in request.form.items()
            if k.startswith(COEFFICIENT_PREFIX)
            and k[len(COEFFICIENT_PREFIX) :].lstrip("-").isdigit()
        }
    else:
        typed = {f: coefficient_text(c) for f, c in table.items()}
    floors = sorted({h.floor for h in electorate} | set(typed))
    shares = plan_shares(plan)
    uploaded = uploaded_custom_shares(item) if item.share_method == "custom" else {}
    return render_template(
        "funding/item_funding.html",
        plan=plan,
        item=item,
        form=form,
        sources=source_fields(form),
        floors=[(f, typed.get(f, ""), sum(1 for h in electorate if h.floor == f)) for f in floors],
        breakdown=item_breakdown(item),
        electorate=electorate,
        shares=shares.shares.get(item.id, {}),
        share_problem=shares.problems.get(item.id),
        fixed=item.id in shares.fixed,
        uploaded=(len(uploaded), sum(uploaded.values())),
        editable=items_editable(plan),
        upload_form=CustomUploadForm(),
        errors=[str(e) for e in errors],
        upload_failed=upload_failed,
    ), status


def _fill(form: FundingForm, item: Item) -> None:
    """Put the item's current funding into an unsubmitted form."""
    form.cost.data = fen_input(item.cost_fen) if item.cost_fen else ""  # 未填写: ask for it
    form.share_method.data = item.share_method
    current = {f.source: f for f in item.funding}
    for source, amount, note in source_fields(form):
        if source in current:
            amount.data = fen_input(current[source].amount_fen)
            note.data = current[source].note


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/funding")
@staff_required("funding.view")
def item_funding(community_id: int, plan_id: int, item_id: int):
    """An item's cost, sources, residents' part, share method and each household's share."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    form = FundingForm(formdata=None)
    _fill(form, item)
    return _funding_form_page(plan, item, form)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/funding", methods=["POST"])
@staff_required("funding.manage")
def save_item_funding(community_id: int, plan_id: int, item_id: int):
    """Save an item's funding; during voting (paused) as a revision with a reason."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    form = FundingForm()
    if not form.validate_on_submit():
        return _funding_form_page(plan, item, form, status=422)
    table, errors = read_floor_table(request.form)
    if errors:
        return _funding_form_page(plan, item, form, errors, 422)
    try:
        update_item_funding(
            item,
            cost_fen=form.cost.fen,
            sources=read_sources(form),
            share_method=form.share_method.data,
            floor_coefficients=table or None,
            residents_check_fen=form.residents_check.fen,
            reason=form.reason.data or "",
        )
    except DomainError as exc:
        refuse(exc)
        item = item_or_404(plan_or_404(plan_id), item_id)
        return _funding_form_page(plan, item, form, exc.reasons, 422)
    flash(_("已保存 %(key)s 的资金安排。", key=item.key), "success")
    return redirect(
        url_for("funding.item_funding", community_id=community_id, plan_id=plan_id, item_id=item_id)
    )


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/funding/custom",
    methods=["POST"],
)
@staff_required("funding.manage")
def upload_custom(community_id: int, plan_id: int, item_id: int):
    """Upload every household's amount for the custom method: all or nothing."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    upload = CustomUploadForm()
    errors = []
    if not upload.validate_on_submit():
        errors = [e for field in (upload.file, upload.reason) for e in field.errors] or [
            _("请选择要上传的文件。")
        ]
    else:
        rows, errors = parse_custom_shares(upload.file.data.read(), upload.file.data.filename)
        if not errors:
            try:
                count = upload_custom_shares(
                    item, rows, filename=upload.file.data.filename, reason=upload.reason.data or ""
                )
            except DomainError as exc:
                errors = refuse(exc)
            else:
                flash(_("已导入 %(n)d 户的分摊金额。", n=count), "success")
                return redirect(
                    url_for(
                        "funding.item_funding",
                        community_id=community_id,
                        plan_id=plan_id,
                        item_id=item_id,
                    )
                )
    item = item_or_404(plan_or_404(plan_id), item_id)
    form = FundingForm(formdata=None)
    _fill(form, item)
    return _funding_form_page(plan, item, form, errors, 422, upload_failed=True)


@bp.route(
    "/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/funding/custom-template.xlsx"
)
@staff_required("funding.manage")
def custom_template(community_id: int, plan_id: int, item_id: int):
    """A spreadsheet of the item's households to fill in with their amounts."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    electorate = electorate_for_shares(item)
    info = households_of(plan.community_id, [h.id for h in electorate])
    current = uploaded_custom_shares(item)
    report = Report(
        title=item.key,
        sheet=item.key,
        columns=[
            Column(_("楼栋")),
            Column(_("单元")),
            Column(_("房号")),
            Column(_("业主")),
            Column(_("楼层"), INT),
            Column(_("面积"), AREA),
            Column(_("金额"), TEXT),
        ],
        rows=[
            [
                i.building,
                i.unit,
                i.room,
                i.owner_name,
                i.floor,
                i.area_centi,
                fen_input(current[h.id]) if h.id in current else "",
            ]
            for h in electorate
            for i in [info[h.id]]
        ],
    )
    return file_response(report_xlsx([report]), XLSX_MIMETYPE, f"{item.key}-每户金额.xlsx")


# --- reports -------------------------------------------------------------------------------


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/funding/report")
@staff_required("export")
def item_report_page(community_id: int, plan_id: int, item_id: int):
    """Every household of an item: share, pledge, paid, outstanding."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    report = item_report(item, ledger(plan))
    xlsx = url_for(
        "funding.item_report_xlsx", community_id=community_id, plan_id=plan_id, item_id=item_id
    )
    return render_template("funding/report.html", plan=plan, report=report, xlsx=xlsx)


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/items/<int:item_id>/funding/report.xlsx")
@staff_required("export")
def item_report_xlsx(community_id: int, plan_id: int, item_id: int):
    """The item report as a spreadsheet."""
    plan = plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    report = item_report(item, ledger(plan))
    return _export(plan, [report], report.title, f"item-{item.key}")


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/funding/buildings")
@staff_required("export")
def building_report(community_id: int, plan_id: int):
    """Per building and item: required, pledged, rates, paid, outstanding."""
    plan = plan_or_404(plan_id)
    lines = ledger(plan)
    buildings = sorted(
        {(line.household.building, line.household.building_id) for line in lines},
        key=lambda b: household_order(b[0]),
    )
    xlsx = url_for("funding.building_report_xlsx", community_id=community_id, plan_id=plan_id)
    return render_template(
        "funding/report.html",
        plan=plan,
        report=building_summary(lines),
        xlsx=xlsx,
        buildings=buildings,
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/funding/buildings.xlsx")
@staff_required("export")
def building_report_xlsx(community_id: int, plan_id: int):
    """The building summary and, one sheet each, every building's households."""
    plan = plan_or_404(plan_id)
    lines = ledger(plan)
    by_id: dict[int, list] = {}
    for line in lines:
        by_id.setdefault(line.household.building_id, []).append(line)
    details = [
        building_detail(group[0].household.building, group)
        for group in sorted(by_id.values(), key=lambda g: g[0].household.order)
    ]
    summary = building_summary(lines)
    return _export(plan, [summary, *details], summary.title, "funding-buildings")


def _building_lines(plan: Plan, building_id: int):
    """The building (of this community, else 404) and its ledger lines."""
    building = get_in_community_or_404(Building, building_id)
    return building, [line for line in ledger(plan) if line.household.building_id == building.id]


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/funding/buildings/<int:building_id>")
@staff_required("export")
def building_detail_page(community_id: int, plan_id: int, building_id: int):
    """Every household and item of one building."""
    plan = plan_or_404(plan_id)
    building, lines = _building_lines(plan, building_id)
    xlsx = url_for(
        "funding.building_detail_xlsx",
        community_id=community_id,
        plan_id=plan_id,
        building_id=building_id,
    )
    return render_template(
        "funding/report.html", plan=plan, report=building_detail(building.name, lines), xlsx=xlsx
    )


@bp.route("/c/<int:community_id>/plans/<int:plan_id>/funding/buildings/<int:building_id>.xlsx")
@staff_required("export")
def building_detail_xlsx(community_id: int, plan_id: int, building_id: int):
    """One building's households as a spreadsheet."""
    plan = plan_or_404(plan_id)
    building, lines = _building_lines(plan, building_id)
    report = building_detail(building.name, lines)
    return _export(plan, [report], report.title, f"funding-building-{building.id}")


def _export(plan: Plan, reports, title: str, name: str):
    """A funding report as an audited XLSX with the plan, time and exporter on top."""
    return export_response(
        reports,
        plan_meta(title, plan),
        "xlsx",
        f"{plan.title}-{title}",
        name=name,
        community_id=plan.community_id,
        record_type="plan",
        record_id=plan.id,
    )


from app.funding import payment_views  # noqa: E402, F401  (routes on the same blueprint)
