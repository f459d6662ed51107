"""Exports of the plan and its money: items with cost, sources and shares (方案与资金), and the
pledges and payments per household and item with every payment entry (承诺与缴款).

Shares, pledges and payments come from the funding module's ledger, the numbers its pages show.
"""

import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.vocabulary import (
    FUNDING_SOURCE_LABELS,
    PAYMENT_ENTRY_LABELS,
    PAYMENT_METHOD_LABELS,
    label,
)
from app.formats.tables import AREA, DATETIME, INT, MONEY, YESNO, Column, Report
from app.funding.ledger import Figures, households_of, ledger, payments_of
from app.funding.models import Payment
from app.funding.summaries import (
    building_summary,
    household_cells,
    household_columns,
    money_cells,
    money_columns,
    money_totals,
)
from app.plans.models import FUNDING_SOURCES, Plan
from app.plans.shares import item_breakdown, plan_shares
from app.proposals.queries import proposals_for_items
from app.reports.queries import correction_reasons, plan_items, scope_names, user_names
from app.reports.voting import rule_words
from app.rules.counting import parse_rule
from app.settlement.finals import plan_finals


def _rule_of(item):
    """The item's parsed rule, or None when its stored parameters do not parse."""
    try:
        params = json.loads(item.rule_params) if item.rule_params else None
        return parse_rule(item.rule, params if item.rule == "custom" else None)
    except ValueError:
        return None


def plan_reports(plan: Plan) -> list[Report]:
    """The items (cost, funding, residents' part, method, rule) and every household's share."""
    items = plan_items(plan)
    shares = plan_shares(plan)
    taken_up = proposals_for_items([i.id for i in items])
    scopes = scope_names(items, plan.community_id)
    report = Report(
        title=str(_l("方案项目与资金")),
        columns=[
            Column(str(_l("编号"))),
            Column(str(_l("项目"))),
            Column(str(_l("类别"))),
            Column(str(_l("范围"))),
            Column(str(_l("表决规则"))),
            Column(str(_l("表决门槛"))),
            Column(str(_l("版本")), INT),
            Column(str(_l("修改原因"))),
            Column(str(_l("总费用（元）")), MONEY),
            *[
                Column(str(_l("%(s)s（元）", s=FUNDING_SOURCE_LABELS[s])), MONEY)
                for s in FUNDING_SOURCES
            ],
            Column(str(_l("居民出资（元）")), MONEY),
            Column(str(_l("分摊方式"))),
            Column(str(_l("每户份额已确定")), YESNO),
            Column(str(_l("分摊问题"))),
            Column(str(_l("采纳的居民提议"))),
            Column(str(_l("说明"))),
        ],
        sheet=str(_l("项目与资金")),
    )
    for item in items:
        b = item_breakdown(item)
        by_source = {s: 0 for s in FUNDING_SOURCES}
        for f in item.funding:
            by_source[f.source] = by_source.get(f.source, 0) + f.amount_fen
        rule = _rule_of(item)
        report.rows.append(
            [
                item.key,
                item.title,
                label("category", item.category),
                scopes.get(item.id) or _("全小区"),
                label("rule_name", item.rule),
                rule_words(rule) if rule else "",
                item.revision,
                item.revision_reason or "",
                item.cost_fen,
                *[by_source[s] for s in FUNDING_SOURCES],
                b.residents_fen,
                b.method_words,
                item.id in shares.fixed,
                shares.problems.get(item.id) or b.problem or "",
                "、".join(f"{p.id} {p.title}" for p in taken_up.get(item.id, [])),
                item.description or item.summary or "",
            ]
        )
    sums = [sum(row[i] or 0 for row in report.rows) for i in range(8, 9 + len(FUNDING_SOURCES) + 1)]
    report.total = [str(_l("合计")), "", "", "", "", "", None, "", *sums, "", None, "", "", ""]
    return [report, share_matrix(plan, items, shares.shares)]


def share_matrix(plan: Plan, items, shares: dict[int, dict[int, int]]) -> Report:
    """Every household's share of every item, one row per household (blank: not in scope)."""
    homes = households_of(plan.community_id)
    report = Report(
        title=str(_l("每户分摊金额")),
        columns=[
            *household_columns(),
            Column(str(_l("楼层")), INT),
            Column(str(_l("面积（㎡）")), AREA),
            *[Column(str(_l("%(k)s 份额（元）", k=i.key)), MONEY) for i in items],
            Column(str(_l("合计（元）")), MONEY),
        ],
        sheet=str(_l("每户分摊")),
    )
    columns = [shares.get(i.id, {}) for i in items]
    for h in sorted(homes.values(), key=lambda h: (h.order, h.id)):
        own = [column.get(h.id) for column in columns]
        total = sum(fen for fen in own if fen is not None)
        report.rows.append([*household_cells(h), h.floor, h.area_centi, *own, total])
    report.total = [
        str(_l("合计 %(n)d 户", n=len(report.rows))),
        "",
        "",
        "",
        None,
        sum(h.area_centi for h in homes.values()),
        *[sum(column.values()) for column in columns],
        sum(sum(column.values()) for column in columns),
    ]
    return report


def pledge_reports(plan: Plan) -> list[Report]:
    """Per household and item with something owed or paid: share, pledge, paid, outstanding;
    then every payment entry (corrections included) and the funding pages' building summary."""
    plan_items(plan)  # loads items with their funding for the ledger (no query per item)
    lines = ledger(plan)
    report = Report(
        title=str(_l("承诺与缴款")),
        columns=[
            *household_columns(),
            Column(str(_l("面积（㎡）")), AREA),
            Column(str(_l("项目编号"))),
            Column(str(_l("项目"))),
            *money_columns(),
        ],
        sheet=str(_l("承诺与缴款")),
    )
    figures = Figures()
    for line in lines:
        if not line.share_fen and not line.paid_fen:
            continue  # nothing owed, nothing paid (e.g. an exempt floor, a subsidised item)
        h = line.household
        figures.add(line)
        report.rows.append(
            [
                *household_cells(h),
                h.area_centi,
                line.item.key,
                line.item.title,
                *money_cells(line),
            ]
        )
    report.total = [
        str(_l("合计 %(n)d 条", n=len(report.rows))),
        "",
        "",
        "",
        None,
        "",
        "",
        *money_totals(figures),
    ]
    reports = [report, payment_entries(plan), building_summary(lines)]
    finals = final_accounts_report(plan)
    return reports + ([finals] if finals.rows else [])


def final_accounts_report(plan: Plan) -> Report:
    """决算退补: per item with final accounts and household, planned and final share, the
    refund (退, negative) or top-up (补, positive); empty before any final accounts."""
    finals = plan_finals(plan)
    items = {i.id: i for i in plan.items}
    ids = {s.household_id for f in finals.values() for s in f.shares}
    households = households_of(plan.community_id, ids) if ids else {}
    report = Report(
        title=str(_l("决算退补")),
        columns=[
            *household_columns(),
            Column(str(_l("项目编号"))),
            Column(str(_l("决算状态"))),
            Column(str(_l("原定份额（元）")), MONEY),
            Column(str(_l("决算份额（元）")), MONEY),
            Column(str(_l("退补（元，负数为退）")), MONEY),
        ],
        sheet=str(_l("决算退补")),
    )
    planned = actual = 0
    for final in sorted(finals.values(), key=lambda f: items[f.item_id].position):
        for share in sorted(final.shares, key=lambda s: households[s.household_id].order):
            if not share.planned_fen and not share.actual_fen:
                continue
            planned += share.planned_fen
            actual += share.actual_fen
            report.rows.append(
                [
                    *household_cells(households[share.household_id]),
                    items[final.item_id].key,
                    label("final_status", final.status),
                    share.planned_fen,
                    share.actual_fen,
                    share.actual_fen - share.planned_fen,
                ]
            )
    if report.rows:
        report.total = [
            str(_l("合计 %(n)d 条", n=len(report.rows))),
            "",
            "",
            "",
            "",
            "",
            planned,
            actual,
            actual - planned,
        ]
    return report


def _entry_kind(payment: Payment) -> str:
    """A payment entry's kind (a payment_entry code of app.core.vocabulary)."""
    if payment.amount_fen < 0:
        return "reversal"
    return "replacement" if payment.corrects_id else "payment"


def payment_entries(plan: Plan) -> Report:
    """Every payment entry in the order recorded, with corrections and who recorded each."""
    payments = sorted(payments_of(plan), key=lambda p: p.id)
    homes = households_of(plan.community_id, {p.household_id for p in payments})
    keys = {i.id: (i.key, i.title) for i in plan.items}
    names = user_names(p.recorded_by_id for p in payments)
    reasons = correction_reasons(plan.community_id)
    reversed_ids = {p.corrects_id for p in payments if p.amount_fen < 0 and p.corrects_id}
    kinds = {kind: str(words) for kind, words in PAYMENT_ENTRY_LABELS.items()}
    methods = {m: str(words) for m, words in PAYMENT_METHOD_LABELS.items()}
    report = Report(
        title=str(_l("缴费记录")),
        columns=[
            Column(str(_l("登记号")), INT),
            Column(str(_l("缴费日期")), DATETIME),
            *household_columns(),
            Column(str(_l("项目编号"))),
            Column(str(_l("项目"))),
            Column(str(_l("金额（元）")), MONEY),
            Column(str(_l("方式"))),
            Column(str(_l("收据号"))),
            Column(str(_l("类型"))),
            Column(str(_l("更正的登记号")), INT),
            Column(str(_l("已被冲正")), YESNO),
            Column(str(_l("更正原因"))),
            Column(str(_l("登记人"))),
            Column(str(_l("登记时间")), DATETIME),
        ],
        sheet=str(_l("缴费记录")),
    )
    for p in payments:
        h = homes[p.household_id]
        key, title = keys.get(p.item_id, ("", ""))
        report.rows.append(
            [
                p.id,
                p.paid_on,
                *household_cells(h),
                key,
                title,
                p.amount_fen,
                methods.get(p.method, p.method),
                p.receipt_no,
                kinds[_entry_kind(p)],
                p.corrects_id,
                p.id in reversed_ids,
                reasons.get(p.corrects_id, "") if p.corrects_id else "",
                names.get(p.recorded_by_id, ""),
                p.created_at,
            ]
        )
    report.total = [
        str(_l("合计 %(n)d 笔", n=len(report.rows))),
        None,
        "",
        "",
        "",
        "",
        "",
        "",
        sum(p.amount_fen for p in payments),
        "",
        "",
        "",
        None,
        None,
        "",
        "",
        None,
    ]
    return report
