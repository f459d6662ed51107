"""The district export's sheet of final accounts and change orders, per community."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from app.closeout.queries import closeout_figures
from app.extensions import db
from app.formats.tables import INT, MONEY, TEXT, Column, Report
from app.plans.models import Plan

CLOSEOUT_COLUMNS = [
    Column(_l("小区"), TEXT),
    Column(_l("区"), TEXT),
    Column(_l("方案"), TEXT),
    Column(_l("已确认决算项目"), INT),
    Column(_l("待确认决算项目"), INT),
    Column(_l("原定居民出资（元）"), MONEY),
    Column(_l("决算居民出资（元）"), MONEY),
    Column(_l("应退（元）"), MONEY),
    Column(_l("应补（元）"), MONEY),
    Column(_l("设计变更"), INT),
    Column(_l("已生效变更"), INT),
    Column(_l("待修订表决"), INT),
]


def closeout_report(rows: Iterable[tuple[str, str, int | None]]) -> Report:
    """(community name, district, plan id or None) → one row each: the figures of the
    confirmed final accounts and the change orders of that plan (blank without a plan)."""
    values = []
    for name, district, plan_id in rows:
        plan = db.session.get(Plan, plan_id) if plan_id else None
        if plan is None:
            values.append([name, district, ""] + [None] * (len(CLOSEOUT_COLUMNS) - 3))
            continue
        f = closeout_figures(plan)
        values.append(
            [
                name,
                district,
                plan.title,
                f.items_final,
                f.items_entered,
                f.planned_residents_fen,
                f.actual_residents_fen,
                f.refunds_fen,
                f.top_ups_fen,
                f.change_orders,
                f.changes_effective,
                f.pending_votes,
            ]
        )
    return Report(
        title=str(_l("决算与设计变更")),
        columns=[Column(str(c.label), c.kind) for c in CLOSEOUT_COLUMNS],
        rows=values,
        sheet=str(_l("决算与设计变更")),
    )
