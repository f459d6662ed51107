"""The overview as report tables (app.reports): the same values for the CSV and XLSX exports."""

from flask_babel import lazy_gettext as _l

from app.core.vocabulary import label
from app.district.queries import CommunityRow, DistrictTotals, Summary
from app.formats.tables import INT, MONEY, PERCENT, TEXT, Column, Report
from app.rules.satisfaction import ASPECTS, one_decimal

COMMUNITY_COLUMNS = [
    Column(_l("小区"), TEXT),
    Column(_l("区"), TEXT),
    Column(_l("街道"), TEXT),
    Column(_l("户数"), INT),
    Column(_l("方案"), TEXT),
    Column(_l("阶段"), TEXT),
    Column(_l("阶段说明"), TEXT),
    Column(_l("阶段开始"), TEXT),
    Column(_l("截止日期"), TEXT),
    Column(_l("已投票户数"), INT),
    Column(_l("投票率（户）"), PERCENT),
    Column(_l("投票率（面积）"), PERCENT),
    Column(_l("通过项目"), INT),
    Column(_l("项目数"), INT),
    Column(_l("结果"), TEXT),
    Column(_l("居民应筹（元）"), MONEY),
    Column(_l("已承诺（元）"), MONEY),
    Column(_l("承诺率"), PERCENT),
    Column(_l("已缴（元）"), MONEY),
    Column(_l("户内自选报名户次"), INT),
    Column(_l("户内自选报名率"), PERCENT),
    Column(_l("施工项目"), INT),
    Column(_l("已验收项目"), INT),
    Column(_l("平均施工进度（%）"), INT),
    Column(_l("待办问题反映"), INT),
    Column(_l("超期问题反映"), INT),
    Column(_l("验收结果"), TEXT),
    Column(_l("验收项目"), INT),
    Column(_l("待整改问题"), INT),
    Column(_l("评价参与率"), PERCENT),
    Column(_l("满意度（改造内容）"), TEXT),
    Column(_l("满意度（施工过程）"), TEXT),
    Column(_l("满意度（长效管理）"), TEXT),
]

SUMMARY_COLUMNS = [
    Column(_l("区"), TEXT),
    Column(_l("小区数"), INT),
    Column(_l("有方案"), INT),
    Column(_l("表决中"), INT),
    Column(_l("已公布结果"), INT),
    Column(_l("户数"), INT),
    Column(_l("已投票户数"), INT),
    Column(_l("投票率（户）"), PERCENT),
    Column(_l("投票率（面积）"), PERCENT),
    Column(_l("通过项目"), INT),
    Column(_l("项目数"), INT),
    Column(_l("居民应筹（元）"), MONEY),
    Column(_l("已承诺（元）"), MONEY),
    Column(_l("承诺率"), PERCENT),
    Column(_l("已缴（元）"), MONEY),
    Column(_l("施工项目"), INT),
    Column(_l("已验收项目"), INT),
    Column(_l("超期问题反映"), INT),
]


def _labelled(columns: list[Column]) -> list[Column]:
    """The columns with their labels translated now (the writers expect text)."""
    return [Column(str(c.label), c.kind) for c in columns]


def result_word(row: CommunityRow) -> str:
    """Whether the row's results are provisional, final, or not there yet."""
    if not row.tallied:
        return ""
    return str(_l("暂计") if row.provisional else _l("已定"))


def community_values(row: CommunityRow) -> list:
    """One community's cells, in COMMUNITY_COLUMNS order (exact values; writers format)."""
    plan = row.has_plan
    return [
        row.name,
        row.district,
        row.street,
        row.households,
        row.plan_title if plan else "",
        row.phase_name,
        row.note_name,
        row.phase_opens.isoformat() if row.phase_opens else "",
        row.phase_closes.isoformat() if row.phase_closes else "",
        row.voted_households if row.tallied else None,
        row.turnout,
        row.area_turnout,
        row.items_passed if row.tallied else None,
        row.items_total if plan else None,
        result_word(row),
        row.required_fen if plan else None,
        row.pledged_fen if row.tallied else None,  # nothing can be pledged before voting
        row.pledge_rate,
        row.paid_fen if row.tallied else None,
        row.optin_signed_up if row.optin_items else None,
        row.signup_rate,
        row.works_total if row.works_total else None,
        row.works_done if row.works_total else None,
        row.works_progress,
        row.issues_open if row.works_total or row.issues_open else None,
        row.issues_overdue if row.works_total or row.issues_open else None,
        *aftercare_values(row),
    ]


def aftercare_values(row: CommunityRow) -> list:
    """The acceptance and satisfaction cells (blank before acceptance and evaluation)."""
    a, e = row.acceptance, row.evaluation
    return [
        label("acceptance_result", a["outcome"]) if a else "",
        a["checked"] if a else None,
        a["defects_open"] if a else None,
        row.evaluation_rate,
        *((one_decimal(e["averages"][k]) if e else "") for k in ASPECTS),
    ]


def totals_values(totals: DistrictTotals, label: str) -> list:
    """One district's (or the total's) cells, in SUMMARY_COLUMNS order."""
    return [
        label,
        totals.communities,
        totals.with_plan,
        totals.in_voting,
        totals.published,
        totals.households,
        totals.voted_households,
        totals.turnout,
        totals.area_turnout,
        totals.items_passed,
        totals.items_total,
        totals.required_fen,
        totals.pledged_fen,
        totals.pledge_rate,
        totals.paid_fen,
        totals.works_total,
        totals.works_done,
        totals.issues_overdue,
    ]


def district_label(district: str) -> str:
    """A district's name as tables show it ("（未填区）" for communities without one)."""
    return district or str(_l("（未填区）"))


def communities_report(rows: list[CommunityRow]) -> Report:
    """Every community of the (filtered, sorted) overview."""
    return Report(
        title=str(_l("小区改造进度")),
        columns=_labelled(COMMUNITY_COLUMNS),
        rows=[community_values(r) for r in rows],
        sheet=str(_l("各小区")),
    )


def summary_report(summary: Summary, total_label: str | None) -> Report:
    """Totals per district; a total row under them when `total_label` is given."""
    return Report(
        title=str(_l("分区汇总")),
        columns=_labelled(SUMMARY_COLUMNS),
        rows=[totals_values(t, district_label(t.district)) for t in summary.districts],
        total=totals_values(summary.total, total_label) if total_label else None,
        sheet=str(_l("分区汇总")),
    )
