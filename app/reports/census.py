"""Exports of the people side: the roster (住户名册) and the residents' proposals (居民提议)."""

from flask_babel import lazy_gettext as _l

from app.core.vocabulary import label
from app.formats.tables import AREA, DATETIME, INT, YESNO, Column, Report
from app.funding.ledger import households_of
from app.plans.models import Plan
from app.proposals.queries import proposal_cards
from app.reports.queries import roster_rows


def roster_report(community_id: int, only: set[int] | None = None) -> Report:
    """Every household (or those in `only`): place, area, owner, owner ID's last four, phone,
    whether a code was issued.

    Never the sign-in code, its hash or the owner key: the hint is all an export may show.
    """
    report = Report(
        title=str(_l("住户名册")),
        columns=[
            Column(str(_l("楼栋"))),
            Column(str(_l("单元"))),
            Column(str(_l("房号"))),
            Column(str(_l("楼层")), INT),
            Column(str(_l("面积（㎡）")), AREA),
            Column(str(_l("业主"))),
            Column(str(_l("证件号后四位"))),
            Column(str(_l("同一业主户数")), INT),
            Column(str(_l("电话"))),
            Column(str(_l("已发登录码")), YESNO),
            Column(str(_l("登录码发放时间")), DATETIME),
        ],
        sheet=str(_l("住户名册")),
    )
    for r in roster_rows(community_id):
        if only is not None and r.id not in only:
            continue
        report.rows.append(
            [
                r.building,
                r.unit,
                r.room,
                r.floor,
                r.area_centi,
                r.owner_name,
                (r.owner_id_hint or "").lstrip("…"),
                r.owner_households,
                r.phone or "",
                r.code_issued,
                r.code_issued_at,
            ]
        )
    report.total = [
        str(_l("合计 %(n)d 户", n=len(report.rows))),
        "",
        "",
        None,
        sum(row[4] for row in report.rows),
        "",
        "",
        None,
        "",
        sum(1 for row in report.rows if row[9]),
        None,
    ]
    return report


def plan_roster(plan: Plan) -> list[Report]:
    """The roster of the plan's community."""
    return [roster_report(plan.community_id)]


def proposal_reports(plan: Plan) -> list[Report]:
    """Every proposal of the plan: who proposed it, support, what became of it."""
    cards = sorted(proposal_cards(plan), key=lambda c: c.proposal.id)
    places = households_of(
        plan.community_id, {c.proposal.household_id for c in cards if c.proposal.household_id}
    )
    report = Report(
        title=str(_l("居民提议")),
        columns=[
            Column(str(_l("编号")), INT),
            Column(str(_l("标题"))),
            Column(str(_l("类别"))),
            Column(str(_l("来源"))),
            Column(str(_l("提议住户"))),
            Column(str(_l("支持户数")), INT),
            Column(str(_l("状态"))),
            Column(str(_l("未采纳原因"))),
            Column(str(_l("合并到"))),
            Column(str(_l("提出时间")), DATETIME),
            Column(str(_l("处理时间")), DATETIME),
            Column(str(_l("纳入项目"))),
            Column(str(_l("内容"))),
        ],
        sheet=str(_l("居民提议")),
    )
    for card in cards:
        p = card.proposal
        home = places.get(p.household_id)
        merged = card.merged_into
        report.rows.append(
            [
                p.id,
                p.title,
                label("category", p.category),
                label("proposal_source", p.source),
                home.label if home else "",
                card.supports,
                label("proposal_status", p.status),
                p.decline_reason or "",
                f"{merged.id} {merged.title}" if merged else "",
                p.created_at,
                p.decided_at,
                "、".join(f"{i.key} {i.title}" for i in card.items),
                p.body or "",
            ]
        )
    return [report]
