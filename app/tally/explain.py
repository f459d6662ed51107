"""A result in words: exact numbers as people read them, why an item fails, and the arithmetic of
one item in sentences a committee member can read aloud (Civil Code art. 278 ¶2)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from flask_babel import gettext as _

from app.core.vocabulary import CHECK_LABELS, CHOICE_LABELS, RULE_NAMES, THRESHOLD_LABELS
from app.rules.counting import Check, ItemTally, Measure, _leader
from app.tally.queries import ItemResult


def owners_text(owners: Fraction) -> str:
    """A headcount as read aloud: 3, 1/2, 16又1/2."""
    owners = Fraction(owners)
    sign = "-" if owners < 0 else ""
    whole, part = divmod(abs(owners.numerator), owners.denominator)
    if not part:
        return f"{sign}{whole}"
    fraction = f"{part}/{owners.denominator}"
    return sign + (_("%(whole)d又%(part)s", whole=whole, part=fraction) if whole else fraction)


def area_text(area: Decimal | Fraction) -> str:
    """Square metres to the hundredth (exact for registered areas; rounded half up else)."""
    if isinstance(area, Fraction):
        area = Decimal(area.numerator) / Decimal(area.denominator)
    return f"{area.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def percent_text(value: Fraction | None) -> str:
    """A ratio as a percentage with one decimal, rounded half up; "—" when undefined."""
    if value is None:
        return "—"
    pct = Decimal(value.numerator * 100) / Decimal(value.denominator)
    return f"{pct.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def threshold_text(value: Fraction) -> str:
    """A threshold in words where it has a common name (三分之二), else as n/d."""
    word = THRESHOLD_LABELS.get(value)
    return str(word) if word else f"{value.numerator}/{value.denominator}"


def amount_text(dimension: str, value: Fraction) -> str:
    """An amount in its unit: people, m², households."""
    if dimension == "headcount":
        return _("%(n)s 人", n=owners_text(value))
    if dimension == "area":
        if (Fraction(value) * 100).denominator != 1:  # e.g. 2/3 of an area: shown rounded
            return _("约 %(n)s 平方米", n=area_text(value))
        return _("%(n)s 平方米", n=area_text(value))
    return _("%(n)s 户", n=owners_text(value))


def measure_text(measure: Measure) -> str:
    """Households, heads and area of a total in one phrase."""
    return _(
        "%(households)d 户，折合 %(owners)s 人，面积 %(area)s 平方米",
        households=measure.households,
        owners=owners_text(measure.owners),
        area=area_text(measure.area),
    )


def requirement_text(check: Check) -> str:
    """What a check demands: 三分之二以上 (≥) or 超过半数 (>)."""
    word = threshold_text(check.required)
    return _("%(t)s以上", t=word) if check.op == ">=" else _("超过%(t)s", t=word)


def reason_text(check: Check) -> str:
    """Why a failed check fails, and by how much."""
    if check.name == "electorate_nonempty":
        return _("表决范围内没有住户。")
    if check.name == "participants_present":
        return _("还没有住户参与表决。")
    short = -check.margin
    label, need = CHECK_LABELS[check.name], requirement_text(check)
    if check.base == 0:
        return _("%(label)s无法计算：基数为零。", label=label)
    if check.op == ">" and short == 0:
        return _(
            "%(label)s恰好等于%(t)s，须超过才算通过。",
            label=label,
            t=threshold_text(check.required),
        )
    return _(
        "%(label)s为 %(pct)s，未达到%(need)s，还差 %(short)s%(more)s。",
        label=label,
        pct=percent_text(check.actual),
        need=need,
        short=amount_text(check.dimension, short),
        more=_("以上") if check.op == ">" else "",
    )


def failure_reasons(tally: ItemTally) -> list[str]:
    """The reasons an item does not pass, one per failed check."""
    return [reason_text(c) for c in tally.checks if not c.met]


@dataclass(frozen=True)
class CheckLine:
    """One threshold test as read aloud: what is checked, the arithmetic, met or not."""

    label: str
    arithmetic: str
    requirement: str
    outcome: str
    met: bool


def _outcome_text(check: Check) -> str:
    """Met or not, and the distance from the bound, in the check's unit."""
    margin, dim = check.margin, check.dimension
    if check.met:
        if margin == 0:
            return _("达到（恰好等于界线）")
        return _("达到（比界线多 %(m)s）", m=amount_text(dim, margin))
    if check.op == ">" and margin == 0:
        return _("未达到（恰好等于界线，须超过才算）")
    if check.op == ">":
        return _("未达到（还要多出 %(m)s 以上）", m=amount_text(dim, -margin))
    return _("未达到（还差 %(m)s）", m=amount_text(dim, -margin))


def check_line(check: Check) -> CheckLine:
    """A check in words and exact numbers, e.g. 6 人 ÷ 12 人 = 50.0%."""
    dim = check.dimension
    bound = amount_text(dim, check.required * check.base)
    return CheckLine(
        str(CHECK_LABELS[check.name]),
        _(
            "%(v)s ÷ %(b)s = %(r)s",
            v=amount_text(dim, check.value),
            b=amount_text(dim, check.base),
            r=percent_text(check.actual),
        ),
        _("要求%(need)s，界线是 %(bound)s", need=requirement_text(check), bound=bound),
        _outcome_text(check),
        check.met,
    )


def _rule_sentence(tally: ItemTally) -> str:
    """The rule in one sentence: who must take part, who must agree."""
    t = tally.rule.thresholds
    dims = {
        "both": _("人数和面积都"),
        "headcount": _("人数"),
        "area": _("面积"),
    }[t.dimensions]
    base = _("参与表决的业主") if t.base == "participating" else _("表决范围内全体业主")
    quorum = (
        _("须有%(dims)s占%(q)s以上的业主参与表决；", dims=dims, q=threshold_text(t.quorum))
        if t.quorum
        else _("不设参与比例要求；")
    )
    approval = (
        _(
            "并经%(base)s中%(dims)s%(need)s同意。",
            base=base,
            dims=dims,
            need=_("超过%(t)s", t=threshold_text(t.approval)),
        )
        if t.strict
        else _(
            "并经%(base)s中%(dims)s占%(t)s以上的同意。",
            base=base,
            dims=dims,
            t=threshold_text(t.approval),
        )
    )
    return _("本项目按%(rule)s表决：", rule=RULE_NAMES[tally.rule.kind]) + quorum + approval


def explain_item(result: ItemResult, scope_label: str, provisional: bool) -> dict:
    """Paragraphs and check rows that explain one item's result."""
    t = result.tally
    paragraphs = []
    where = scope_label or _("全小区")
    paragraphs.append(
        _(
            "本项目的表决范围是%(where)s：共 %(households)d 户，属于 %(owners)s 位业主，"
            "专有部分面积合计 %(area)s 平方米。",
            where=where,
            households=t.electorate.households,
            owners=owners_text(t.electorate.owners),
            area=area_text(t.electorate.area),
        )
    )
    if t.electorate.owners != t.electorate.households:
        paragraphs.append(
            _(
                "同一业主在范围内有几套房的，只算一人；这一人按套数平分到各套房上"
                "（最高人民法院建筑物区分所有权司法解释第九条）。"
            )
        )
    paragraphs.append(_("已参与表决：%(m)s。", m=measure_text(t.participating)))
    paragraphs.append(
        _(
            "其中同意 %(agree)s；反对 %(oppose)s；弃权（含未填写的）%(abstain)s。",
            agree=measure_text(t.agree),
            oppose=measure_text(t.oppose),
            abstain=measure_text(t.abstain),
        )
    )
    if result.without_policy is not None:
        voters = result.without_policy  # the actual participants decide which side leads
        paragraphs.append(
            _(
                "本方案采用“未表决视为随多数”：已送达表决票但未表决的 %(m)s，计为已参与；"
                "人数上计入“%(head)s”，面积上计入“%(area)s”"
                "（各按实际参与表决者中占多的一方，相等时计为弃权）。",
                m=measure_text(t.deemed),
                head=CHOICE_LABELS[_leader(voters.agree.owners, voters.oppose.owners)],
                area=CHOICE_LABELS[_leader(voters.agree.area, voters.oppose.area)],
            )
        )
    paragraphs.append(_rule_sentence(t))
    verdict = _("本项目通过。") if t.passed else _("本项目未通过。")
    quorum = _("参与比例已达到") if t.quorum_met else _("参与比例未达到")
    approval = _("同意比例已达到") if t.approved else _("同意比例未达到")
    conclusion = _("结论：%(q)s，%(a)s，%(v)s", q=quorum, a=approval, v=verdict)
    if provisional:
        conclusion += _("表决尚未结束，这是临时结果。")
    comparison = None
    if result.without_policy is not None:
        plain = result.without_policy
        comparison = _(
            "如果不采用“未表决视为随多数”，参与表决的是 %(m)s，本项目%(v)s。",
            m=measure_text(plain.participating),
            v=_("通过") if plain.passed else _("不通过"),
        )
    return {
        "paragraphs": paragraphs,
        "checks": [check_line(c) for c in t.checks if c.dimension != "households"],
        "reasons": failure_reasons(t),
        "conclusion": conclusion,
        "comparison": comparison,
    }
