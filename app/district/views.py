"""The district and city overview (read-only): every visible community's plan, turnout and funds,
totals per district, and its CSV/XLSX export (audited)."""

from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.closeout.exports import closeout_report
from app.communities.tenancy import staff_required
from app.core.db import begin_read_snapshot, commit_or_rollback, utcnow
from app.core.permissions import has_permission
from app.core.vocabulary import phase_label
from app.district.blueprint import bp
from app.district.jobs import queue_rollup
from app.district.listing import SORTS, page_of, sort_rows
from app.district.queries import (
    NO_PLAN,
    community_rows,
    district_summary,
    freshness,
    overview_communities,
    visible_districts,
)
from app.district.reports import communities_report, summary_report
from app.formats.downloads import export_response, exporter_name
from app.formats.writers import ExportMeta
from app.plans.phases import PHASES
from app.plans.queries import local_today

PER_PAGE = 50


@dataclass(frozen=True)
class Filters:
    """What the overview shows: district (admin only), phase, name search, sort and page."""

    district: str
    phase: str
    q: str
    sort: str
    desc: bool
    page: int

    def args(self, **changes) -> dict:
        """Query arguments of this view with some changed (empty ones left out)."""
        values = {
            "district": self.district,
            "phase": self.phase,
            "q": self.q,
            "sort": self.sort,
            "desc": "1" if self.desc else "",
            "page": self.page,
        }
        values.update(changes)
        defaults = {"sort": "name", "page": 1}
        return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}


def read_filters() -> Filters:
    """The filters from the query string; district staff are always held to their district."""
    district = request.args.get("district", "").strip()
    if current_user.role != "admin":
        district = current_user.district or ""
    phase = request.args.get("phase", "")
    sort = request.args.get("sort", "name")
    return Filters(
        district=district,
        phase=phase if phase in (*PHASES, NO_PLAN) else "",
        q=request.args.get("q", "").strip()[:60],
        sort=sort if sort in SORTS else "name",
        desc=request.args.get("desc") == "1",
        page=max(request.args.get("page", 1, type=int) or 1, 1),
    )


def scope_name(filters: Filters) -> str:
    """What the overview covers: a district's name, or 全市 for an admin without a filter."""
    if filters.district:
        return filters.district
    return _("全市") if current_user.role == "admin" else _("（未填区）")


def overview_rows(filters: Filters, recount: int | None):
    """The filtered, sorted rows and their per-district summary, all read at one moment (a
    tally counted while ballots arrive would otherwise mix its statements' moments). At most
    `recount` stale tally summaries are counted here (None: all): see district.summaries."""
    begin_read_snapshot()
    communities = overview_communities(
        current_user, district=filters.district, phase=filters.phase, q=filters.q
    )
    rows = community_rows(communities, local_today(), recount)
    rows = sort_rows(rows, filters.sort, filters.desc)
    return rows, district_summary(rows)


def total_label(filters: Filters, summary) -> str | None:
    """The label of the summary's total row; None when one district row already says it all."""
    if len(summary.districts) < 2:
        return None
    return _("全市合计") if current_user.role == "admin" and not filters.district else _("合计")


@bp.route("/district")
@staff_required("district.overview")
def overview():
    """Every visible community: plan, phase, turnout, items passed, funds; district totals."""
    filters = read_filters()
    rows, summary = overview_rows(filters, current_app.config["DISTRICT_INLINE_RECOUNTS"])
    page = page_of(rows, filters.page, PER_PAGE)
    fresh = freshness(rows)
    if not fresh.stored:
        queue_rollup()  # the worker stores what this page counted, showed as earlier or lacked
    page_html = render_template(
        "district/overview.html",
        fresh=fresh,
        filters=filters,
        page=page,
        summary=summary,
        total_label=total_label(filters, summary),
        scope=scope_name(filters),
        districts=visible_districts(current_user) if current_user.role == "admin" else [],
        phase_names=phase_filter_names(),
        can_view_community=has_permission(current_user, "community.view"),
    )
    # Figures still being counted: the page looks again by itself in a few seconds.
    return (page_html, 200, {"Refresh": "5"}) if fresh.counting else page_html


@bp.route("/district/overview.csv", defaults={"fmt": "csv"})
@bp.route("/district/overview.xlsx", defaults={"fmt": "xlsx"})
@staff_required("district.overview")
def export(fmt: str):
    """The filtered overview as CSV (communities) or XLSX (communities and district totals)."""
    filters = read_filters()
    rows, summary = overview_rows(filters, recount=None)  # a file is exact: every plan current
    commit_or_rollback()  # the snapshot ends before the export's audit event reads its chain
    scope = scope_name(filters)
    meta = ExportMeta(
        title=_("小区改造进度总览"),
        scope=[(_("范围"), scope)]
        + ([(_("阶段"), dict(phase_filter_names())[filters.phase])] if filters.phase else [])
        + ([(_("搜索"), filters.q)] if filters.q else []),
        exported_at=utcnow(),
        exported_by=exporter_name(),
    )
    return export_response(
        [communities_report(rows), summary_report(summary, total_label(filters, summary))]
        # XLSX only (CSV holds the first table): final accounts and change orders (决算, 设计变更).
        + (
            [closeout_report((r.name, r.district, r.plan_id) for r in rows)]
            if fmt == "xlsx"
            else []
        ),
        meta,
        fmt,
        f"{scope}-{_('小区改造进度')}-{local_today().isoformat()}",
        name="district-overview",
        community_id=None,
        record_type="district",
        record_id=filters.district or None,
    )


def phase_filter_names() -> list[tuple[str, str]]:
    """(value, label) of the phase filter's choices."""
    return [(p, phase_label(p)) for p in PHASES] + [(NO_PLAN, phase_label(None))]
