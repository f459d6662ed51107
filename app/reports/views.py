"""Staff pages of exports: a plan's export page, its CSV/XLSX downloads, the community roster."""

from flask import abort, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.communities.queries import CODE_FILTERS, filtered_household_ids
from app.communities.tenancy import staff_required
from app.core.db import utcnow
from app.core.permissions import has_permission
from app.core.vocabulary import label
from app.formats.downloads import FORMATS, export_response, exporter_name, plan_meta
from app.formats.writers import ExportMeta
from app.plans.access import plan_or_404
from app.plans.queries import local_today
from app.reports.blueprint import bp
from app.reports.census import roster_report
from app.reports.exports import EXPORTS


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
