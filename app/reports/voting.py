"""Exports of voting (二上): every ballot version (投票记录), the result per item (表决结果) and
turnout per building and unit (楼栋投票率).

Results and turnout come from `tally_plan`, the one counting code: an export never recounts.
"""

from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.communities.normalize import natural_key
from app.core.vocabulary import (
    BLANK_CHOICE_LABEL,
    CHANNEL_LABELS,
    CHECK_LABELS,
    CHOICE_LABELS,
    label,
)
from app.formats.tables import AREA, DATETIME, INT, PERCENT, TEXT, YESNO, Column, Report
from app.funding.ledger import households_of
from app.funding.summaries import household_cells, household_columns
from app.plans.models import Plan
from app.reports.queries import ballot_versions, plan_items, scope_names, user_names
from app.rules.counting import ItemTally, Measure, Rule
from app.tally.explain import owners_exact_text, threshold_text
from app.tally.listings import place_names
from app.tally.queries import PlanTally, tally_plan


def _mark_words() -> dict:
    """Every cell text of an item column, translated once per export (not once per cell):
    (choice, current revision?) → 同意/反对/弃权/未填, or void when the item was revised after
    the mark (it then counts as abstain). An item not on the ballot stays empty."""
    words = {choice: str(text) for choice, text in CHOICE_LABELS.items()}
    words[None] = str(BLANK_CHOICE_LABEL)
    cells = {(choice, True): text for choice, text in words.items()}
    for choice, text in words.items():
        cells[(choice, False)] = _("作废（项目已修改，原：%(c)s）", c=text)
    return cells


def ballot_reports(plan: Plan) -> list[Report]:
    """One row per recorded ballot, effective or not: who, how, when, and every item's mark."""
    items = plan_items(plan)
    versions = ballot_versions(plan)
    homes = households_of(plan.community_id, {v.household_id for v in versions})
    names = user_names(v.recorded_by_id for v in versions)
    latest: dict[tuple[int, bool], int] = {}  # (household, online?) → its latest ballot
    for v in sorted(versions, key=lambda v: (v.recorded_at, v.id)):
        latest[(v.household_id, v.channel == "online")] = v.id
    report = Report(
        title=str(_l("投票记录")),
        columns=[
            *household_columns(),
            Column(str(_l("方式"))),
            Column(str(_l("记录时间")), DATETIME),
            Column(str(_l("录入人"))),
            Column(str(_l("纸质票编号"))),
            Column(str(_l("授权人"))),
            Column(str(_l("见证人"))),
            Column(str(_l("回执码"))),
            Column(str(_l("计入结果")), YESNO),
            Column(str(_l("说明"))),
            Column(str(_l("网上与纸质不一致")), YESNO),
            *[Column(f"{i.key} {i.title}") for i in items],
            Column(str(_l("承诺出资"))),
        ],
        sheet=str(_l("投票记录")),
    )
    cells = _mark_words()
    counted, passed_over = _("计入"), _("未计入（按方案的冲突处理规则）")
    replaced = {
        True: _("已被这户后来的网上表决替代"),
        False: _("已被这户后来的纸质或代填票替代"),
    }
    channels = {c: str(words) for c, words in CHANNEL_LABELS.items()}
    ordered = sorted(versions, key=lambda v: (homes[v.household_id].order, v.recorded_at, v.id))
    for v in ordered:
        home = homes[v.household_id]
        online = v.channel == "online"
        if v.effective:
            state = counted
        elif latest[(v.household_id, online)] != v.id:
            state = replaced[online]
        else:
            state = passed_over
        marks = [
            cells[(mark[1], mark[0] == i.revision)] if (mark := v.choices.get(i.id)) else ""
            for i in items
        ]
        pledged = [
            i.key
            for i in items
            if (mark := v.choices.get(i.id)) and mark[2] and mark[0] == i.revision
        ]
        report.rows.append(
            [
                *household_cells(home),
                channels.get(v.channel, v.channel),
                v.recorded_at,
                names.get(v.recorded_by_id, ""),
                v.serial or "",
                v.authorised_by or "",
                v.witness or "",
                v.receipt,
                v.effective,
                state,
                v.conflict,
                *marks,
                "、".join(pledged),
            ]
        )
    return [report]


def _heads(owners: Fraction):
    """A headcount for a cell: a whole number as a number, else as read aloud (16又1/2)."""
    return owners.numerator if owners.denominator == 1 else owners_exact_text(owners)


def _centi(area: Decimal) -> int:
    """m² (registered areas: two decimals at most) as centi-m²."""
    return int(area * 100)


def _measure_cells(m: Measure) -> list:
    """Households, headcount and area of a total."""
    return [m.households, _heads(m.owners), _centi(m.area)]


def _measure_columns(name: str) -> list[Column]:
    return [
        Column(str(_l("%(m)s户数", m=name)), INT),
        Column(str(_l("%(m)s人数", m=name)), TEXT),
        Column(str(_l("%(m)s面积（㎡）", m=name)), AREA),
    ]


def rule_words(rule: Rule) -> str:
    """The thresholds a rule sets, in words: 参与表决的人数达到总人数的三分之二以上；…"""
    t = rule.thresholds
    dims = ("headcount", "area") if t.dimensions == "both" else (t.dimensions,)
    bases = {
        ("electorate", "headcount"): _("总人数"),
        ("electorate", "area"): _("总面积"),
        ("participating", "headcount"): _("参与表决人数"),
        ("participating", "area"): _("参与表决面积"),
    }
    parts = []
    for prefix, value, op, base in (
        ("quorum", t.quorum, ">=", "electorate"),
        ("approval", t.approval, t.op, t.base),
    ):
        if prefix == "quorum" and not value:
            continue  # quorum 0: none
        for d in dims:
            what, of, word = CHECK_LABELS[f"{prefix}_{d}"], bases[(base, d)], threshold_text(value)
            if op == ">=":
                parts.append(_("%(what)s达到%(of)s的%(t)s以上", what=what, of=of, t=word))
            else:
                parts.append(_("%(what)s超过%(of)s的%(t)s", what=what, of=of, t=word))
    return "；".join(parts)


def _ratio(tally: ItemTally, name: str) -> Fraction | None:
    """The measured ratio of one check (e.g. agree heads over participating heads)."""
    return next((c.actual for c in tally.checks if c.name == name), None)


def _outcome(passed: bool, provisional: bool) -> str:
    words = _("通过") if passed else _("未通过")
    return _("%(w)s（临时）", w=words) if provisional else words


def tally_reports(plan: Plan, result: PlanTally | None = None) -> list[Report]:
    """Per item: electorate, participating, agree, oppose, abstain; ratios, thresholds, outcome.
    Then the ballot counts (effective, by channel, conflicts, awaiting entry)."""
    result = result or tally_plan(plan)
    scopes = scope_names(plan_items(plan), plan.community_id)
    policy = plan.non_voter_policy != "none"
    columns = [
        Column(str(_l("编号"))),
        Column(str(_l("项目"))),
        Column(str(_l("范围"))),
        Column(str(_l("表决规则"))),
    ]
    for name in (_l("应参与"), _l("参与"), _l("同意"), _l("反对"), _l("弃权")):
        columns += _measure_columns(str(name))
    if policy:
        columns += _measure_columns(str(_l("视为同意多数")))
    columns += [
        Column(str(_l("参与率（人数）")), PERCENT),
        Column(str(_l("参与率（面积）")), PERCENT),
        Column(str(_l("同意率（人数）")), PERCENT),
        Column(str(_l("同意率（面积）")), PERCENT),
        Column(str(_l("表决门槛"))),
        Column(str(_l("参与达到门槛")), YESNO),
        Column(str(_l("同意达到门槛")), YESNO),
        Column(str(_l("结果"))),
    ]
    if policy:
        columns.append(Column(str(_l("不计未表决户时的结果"))))
    report = Report(title=str(_l("表决结果")), columns=columns, sheet=str(_l("表决结果")))
    for r in result.items:
        t = r.tally
        row = [
            r.item.key,
            r.item.title,
            scopes.get(r.item.id) or _("全小区"),
            label("rule_name", r.item.rule_kind),
        ]
        for m in (t.electorate, t.participating, t.agree, t.oppose, t.abstain):
            row += _measure_cells(m)
        if policy:
            row += _measure_cells(t.deemed)
        row += [
            _ratio(t, "quorum_headcount"),
            _ratio(t, "quorum_area"),
            _ratio(t, "approval_headcount"),
            _ratio(t, "approval_area"),
            rule_words(t.rule),
            t.quorum_met,
            t.approved,
            _outcome(r.passed, result.provisional),
        ]
        if policy:
            plain = r.without_policy
            row.append(_outcome(plain.passed, result.provisional) if plain else "")
        report.rows.append(row)
    return [report, *option_reports(result), ballot_count_report(result)]


def option_reports(result: PlanTally) -> list[Report]:
    """Items with options (方案比选): one row per option with its agree totals, its share of the
    participants, whether it passes on its own (threshold) and the item's outcome. Empty when no
    item has options."""
    rows = []
    for r in result.items:
        if r.options is None:
            continue
        titles = {key: title for _id, key, title in r.item.options}
        t = r.tally
        for o in r.options.options:
            if r.options.chosen == o.key:
                outcome = _("选定")
            elif not r.options.decided and o.key in r.options.runoff:
                outcome = _("进入决选")
            else:
                outcome = ""
            rows.append(
                [
                    r.item.key,
                    r.item.title,
                    label("option_rule", r.item.option_rule),
                    o.key,
                    titles.get(o.key, ""),
                    *_measure_cells(o.agree),
                    _share(o.agree.owners, t.participating.owners),
                    _share(o.agree.area, t.participating.area),
                    o.passed,
                    outcome,
                ]
            )
    if not rows:
        return []
    name = str(_l("方案比选"))
    columns = [
        Column(str(_l("编号"))),
        Column(str(_l("项目"))),
        Column(str(_l("方案选定规则"))),
        Column(str(_l("方案"))),
        Column(str(_l("方案名称"))),
        *_measure_columns(str(_l("同意该方案"))),
        Column(str(_l("占参与人数")), PERCENT),
        Column(str(_l("占参与面积")), PERCENT),
        Column(str(_l("单独达到门槛")), YESNO),
        Column(str(_l("结果"))),
    ]
    return [Report(title=name, columns=columns, sheet=name, rows=rows)]


def _share(part, whole) -> Fraction | None:
    """part / whole exactly (None for an empty whole)."""
    return Fraction(part) / Fraction(whole) if whole else None


def ballot_count_report(result: PlanTally) -> Report:
    """Effective ballots by channel, households with ballots that differ, paper awaiting entry."""
    b = result.ballots
    report = Report(
        title=str(_l("计票概况")),
        columns=[Column(str(_l("项目"))), Column(str(_l("数量")), INT)],
        sheet=str(_l("计票概况")),
    )
    report.rows = [
        [_("计入的表决票"), b.effective],
        *[
            [_("其中：%(c)s", c=CHANNEL_LABELS[c]), b.by_channel.get(c, 0)]
            for c in ("online", "paper", "assisted")
        ],
        [_("网上与纸质不一致的住户"), b.conflicts],
        [_("纸质票待录入或待核对的住户"), b.awaiting_entry],
    ]
    return report


def _turnout_cells(place) -> list:
    """Households, heads and area: electorate, voted, and the ratios."""
    e, p = place.electorate, place.participating

    def ratio(part, whole):
        return Fraction(part) / Fraction(whole) if whole else None

    return [
        e.households,
        p.households,
        ratio(p.households, e.households),
        _heads(e.owners),
        _heads(p.owners),
        ratio(p.owners, e.owners),
        _centi(e.area),
        _centi(p.area),
        ratio(p.area, e.area),
    ]


def turnout_reports(plan: Plan, result: PlanTally | None = None) -> list[Report]:
    """Turnout per building, then each of its units; the community on the total row.

    Heads weigh 1/k with k an owner's households in the community (as on the results page).
    """
    result = result or tally_plan(plan)
    buildings, units = place_names(plan.community_id)
    report = Report(
        title=str(_l("楼栋投票率")),
        columns=[
            Column(str(_l("楼栋"))),
            Column(str(_l("单元"))),
            Column(str(_l("户数")), INT),
            Column(str(_l("已表决户数")), INT),
            Column(str(_l("投票率（户数）")), PERCENT),
            Column(str(_l("人数"))),
            Column(str(_l("已表决人数"))),
            Column(str(_l("投票率（人数）")), PERCENT),
            Column(str(_l("面积（㎡）")), AREA),
            Column(str(_l("已表决面积（㎡）")), AREA),
            Column(str(_l("投票率（面积）")), PERCENT),
        ],
        sheet=str(_l("楼栋投票率")),
    )
    whole_buildings = [p for p in result.places if p.unit_id is None]
    for b in sorted(whole_buildings, key=lambda p: natural_key(buildings.get(p.building_id, ""))):
        name = buildings.get(b.building_id, "")
        report.rows.append([name, _("全楼"), *_turnout_cells(b)])
        own = [p for p in result.places if p.building_id == b.building_id and p.unit_id]
        for u in sorted(own, key=lambda p: natural_key(units.get(p.unit_id, ""))):
            report.rows.append([name, units.get(u.unit_id) or _("（无单元）"), *_turnout_cells(u)])
    report.total = [_("全小区"), "", *_turnout_cells(result.community)]
    return [report]
