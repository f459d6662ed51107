"""A result in words: exact numbers as people read them, why an item fails, and the arithmetic of
one item in sentences a committee member can read aloud (Civil Code art. 278 ¶2)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction

from flask_babel import gettext as _

from app.core.vocabulary import CHECK_LABELS, CHOICE_LABELS, RULE_NAMES, THRESHOLD_LABELS
from app.rules.counting import Check, ItemTally, Measure, Rule, _leader
from app.tally.queries import ItemResult


def owners_text(owners: Fraction, rounding: str = ROUND_HALF_UP) -> str:
    """A headcount as pages and notices show it: whole, or with one decimal (104.1); the exact
    fraction is on the explain page (``owners_exact_text``)."""
    owners = Fraction(owners)
    if owners.denominator == 1:
        return str(owners.numerator)
    value = Decimal(owners.numerator) / Decimal(owners.denominator)
    return str(value.quantize(Decimal("0.1"), rounding=rounding) + 0)  # + 0: no "-0.0"


def owners_exact_text(owners: Fraction) -> str:
    """A headcount exactly, as read aloud: 3, 1/2, 16又1/2."""
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


def amount_text(dimension: str, value: Fraction, rounding: str = ROUND_HALF_UP) -> str:
    """An amount in its unit: people (one decimal when not whole), m², households.

    ``rounding`` applies to a headcount that is not whole: a shortfall is rounded up
    (ROUND_CEILING), so "还差 0.1 人" never reads as nothing missing.
    """
    if dimension == "headcount":
        return _("%(n)s 人", n=owners_text(value, rounding))
    if dimension == "area":
        if (Fraction(value) * 100).denominator != 1:  # e.g. 2/3 of an area: shown rounded
            return _("约 %(n)s 平方米", n=area_text(value))
        return _("%(n)s 平方米", n=area_text(value))
    return _("%(n)s 户", n=owners_exact_text(value))


def exact_amount_text(dimension: str, value: Fraction) -> str:
    """An amount exactly: a headcount as a fraction (104又1/8 人), others as amount_text."""
    if dimension == "headcount":
        return _("%(n)s 人", n=owners_exact_text(value))
    return amount_text(dimension, value)


def measure_text(measure: Measure, exact: bool = False) -> str:
    """Households, heads and area of a total in one phrase; ``exact`` adds a headcount's exact
    fraction when it is not whole (the explain page)."""
    owners = amount_text("headcount", measure.owners)
    if exact and Fraction(measure.owners).denominator != 1:
        owners = _(
            "%(n)s（精确为 %(exact)s）",
            n=owners,
            exact=exact_amount_text("headcount", measure.owners),
        )
    return _(
        "%(households)d 户，折合 %(owners)s，面积 %(area)s 平方米",
        households=measure.households,
        owners=owners,
        area=area_text(measure.area),
    )


def requirement_text(check: Check) -> str:
    """What a check demands: 三分之二以上 (≥) or 超过半数 (>)."""
    word = threshold_text(check.required)
    return _("%(t)s以上", t=word) if check.op == ">=" else _("超过%(t)s", t=word)


def reason_text(check: Check, base: str | None = None) -> str:
    """Why a failed check fails, and by how much; ``base`` names what the percentage is taken
    of (表决范围内全体业主, 参与表决业主)."""
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
    if base:
        return _(
            "%(label)s为%(base)s的 %(pct)s，未达到%(need)s，还差 %(short)s%(more)s。",
            label=label,
            base=base,
            pct=percent_text(check.actual),
            need=need,
            short=amount_text(check.dimension, short, ROUND_CEILING),
            more=_("以上") if check.op == ">" else "",
        )
    return _(
        "%(label)s为 %(pct)s，未达到%(need)s，还差 %(short)s%(more)s。",
        label=label,
        pct=percent_text(check.actual),
        need=need,
        short=amount_text(check.dimension, short, ROUND_CEILING),
        more=_("以上") if check.op == ">" else "",
    )


def check_base(check: Check, rule: Rule) -> str:
    """What a check's percentage is taken of: everyone in scope for participation, the rule's
    base for agreement."""
    if check.name.startswith("approval_"):
        return _base_text(rule.thresholds.base)
    return _base_text("electorate")


def failure_reasons(tally: ItemTally) -> list[str]:
    """The reasons an item does not pass, one per failed check, each with its shortfall."""
    return [reason_text(c, check_base(c, tally.rule)) for c in tally.checks if not c.met]


@dataclass(frozen=True)
class CheckLine:
    """One threshold test as read aloud: what is checked, the arithmetic, met or not; ``exact``
    repeats the arithmetic with exact headcounts when one of them is not whole."""

    label: str
    arithmetic: str
    requirement: str
    outcome: str
    met: bool
    exact: str | None = None


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
        return _("未达到（还要多出 %(m)s 以上）", m=amount_text(dim, -margin, ROUND_CEILING))
    return _("未达到（还差 %(m)s）", m=amount_text(dim, -margin, ROUND_CEILING))


def _requirement_line(check: Check, base: str | None, bound: str) -> str:
    """What a check demands, of what, and where the bound lies."""
    t = threshold_text(check.required)
    if not base:
        return _("要求%(need)s，界线是 %(bound)s", need=requirement_text(check), bound=bound)
    if check.op == ">=":
        return _("要求达到%(base)s的%(t)s以上，界线是 %(bound)s", base=base, t=t, bound=bound)
    return _("要求超过%(base)s的%(t)s，界线是 %(bound)s", base=base, t=t, bound=bound)


def check_line(check: Check, base: str | None = None) -> CheckLine:
    """A check in words and numbers, e.g. 6 人 ÷ 12 人 = 50.0%, exact fractions alongside;
    ``base`` names what the bound is taken of."""
    dim = check.dimension
    bound = check.required * check.base
    exact = None
    amounts = (check.value, check.base, bound, check.margin)
    if dim == "headcount" and any(Fraction(a).denominator != 1 for a in amounts):
        exact = _(
            "精确值：%(v)s ÷ %(b)s；界线 %(bound)s；相差 %(m)s",
            v=exact_amount_text(dim, check.value),
            b=exact_amount_text(dim, check.base),
            bound=exact_amount_text(dim, bound),
            m=exact_amount_text(dim, check.margin),
        )
    return CheckLine(
        str(CHECK_LABELS[check.name]),
        _(
            "%(v)s ÷ %(b)s = %(r)s",
            v=amount_text(dim, check.value),
            b=amount_text(dim, check.base),
            r=percent_text(check.actual),
        ),
        _requirement_line(check, base, amount_text(dim, bound)),
        _outcome_text(check),
        check.met,
        exact,
    )


def _dimensions_text(dimensions: str) -> str:
    """人数, 面积 or 人数和面积."""
    return {"both": _("人数和面积"), "headcount": _("人数"), "area": _("面积")}[dimensions]


def _base_text(base: str) -> str:
    """What a fraction is taken of: the participants or everyone in the item's scope."""
    return _("参与表决业主") if base == "participating" else _("表决范围内全体业主")


def rule_text(rule: Rule) -> str:
    """A rule spelt out with its thresholds and what each is taken of (custom rules included)."""
    t = rule.thresholds
    dims = _dimensions_text(t.dimensions)
    if t.quorum:
        quorum = _(
            "参与表决的%(dims)s须达到表决范围内全体业主的%(t)s以上",
            dims=dims,
            t=threshold_text(t.quorum),
        )
    else:
        quorum = _("不设参与比例要求")
    if t.strict:
        approval = _(
            "同意的%(dims)s须超过%(base)s的%(t)s",
            dims=dims,
            base=_base_text(t.base),
            t=threshold_text(t.approval),
        )
    else:
        approval = _(
            "同意的%(dims)s须达到%(base)s的%(t)s以上",
            dims=dims,
            base=_base_text(t.base),
            t=threshold_text(t.approval),
        )
    return _("%(name)s：%(quorum)s；%(approval)s。", name=RULE_NAMES[rule.kind], quorum=quorum,
             approval=approval)  # fmt: skip


def _percentages_text(checks: list[Check]) -> str:
    """The measured percentages of some checks: 按人数 54.8%，按面积 50.1%."""
    parts = []
    for check in checks:
        pct = percent_text(check.actual)
        if check.dimension == "headcount":
            parts.append(_("按人数 %(p)s", p=pct))
        else:
            parts.append(_("按面积 %(p)s", p=pct))
    return _("，").join(parts)


def _group_text(checks: list[Check], what: str, base: str) -> str:
    """One group of checks (participation or agreement) in one clause: met or not, the bound,
    what it is taken of, and the percentages measured."""
    dims = _dimensions_text("both" if len(checks) > 1 else checks[0].dimension)
    values = _percentages_text(checks)
    t = threshold_text(checks[0].required)
    met = all(c.met for c in checks)
    words = {"what": what, "dims": dims, "base": base, "t": t, "values": values}
    if checks[0].op == ">=":
        if met:
            return _("%(what)s的%(dims)s达到%(base)s的%(t)s以上（%(values)s）", **words)
        return _("%(what)s的%(dims)s未达到%(base)s的%(t)s以上（%(values)s）", **words)
    if met:
        return _("%(what)s的%(dims)s超过%(base)s的%(t)s（%(values)s）", **words)
    return _("%(what)s的%(dims)s未超过%(base)s的%(t)s（%(values)s）", **words)


def result_reasons(tally: ItemTally) -> list[str]:
    """Why an item passed or failed, one clause per group of checks that decides it.

    A failed item names only what it missed (participation, agreement, or the checks that
    there is anyone to count); a passed one names both groups it met. Every percentage says
    what it is taken of. Pure: reads only the tally, no request or database.
    """
    guards = [c for c in tally.checks if c.dimension == "households" and not c.met]
    if guards:
        return [reason_text(guards[0]).rstrip("。")]
    groups = (
        ("quorum_", _("参与表决"), _base_text("electorate")),
        ("approval_", _("同意"), _base_text(tally.rule.thresholds.base)),
    )
    clauses = []
    for prefix, what, base in groups:
        checks = [c for c in tally.checks if c.name.startswith(prefix)]
        shown = checks if tally.passed else [c for c in checks if not c.met]
        if shown:
            clauses.append(_group_text(shown, what, base))
    return clauses


def result_sentence(tally: ItemTally, provisional: bool = False) -> str:
    """The outcome and why, in one plain sentence, e.g. "未通过：参与表决的人数未达到表决范围内
    全体业主的三分之二以上（按人数 54.8%）。"."""
    if provisional:
        head = _("目前通过") if tally.passed else _("目前未通过")
    else:
        head = _("通过") if tally.passed else _("未通过")
    return _("%(head)s：%(why)s。", head=head, why=_("；").join(result_reasons(tally)))


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
            owners=owners_exact_text(t.electorate.owners),
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
    paragraphs.append(_("已参与表决：%(m)s。", m=measure_text(t.participating, exact=True)))
    paragraphs.append(
        _(
            "其中同意 %(agree)s；反对 %(oppose)s；弃权（含未填写的）%(abstain)s。",
            agree=measure_text(t.agree, exact=True),
            oppose=measure_text(t.oppose, exact=True),
            abstain=measure_text(t.abstain, exact=True),
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
    paragraphs.append(_("本项目的规则是%(rule)s", rule=rule_text(t.rule)))
    verdict = _("本项目通过。") if result.passed else _("本项目未通过。")
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
        "options": option_paragraphs(result),
        "checks": [
            check_line(c, check_base(c, t.rule)) for c in t.checks if c.dimension != "households"
        ],
        "reasons": failure_reasons(t),
        "conclusion": conclusion,
        "sentence": result_sentence(t, provisional),
        "comparison": comparison,
    }


def _names(keys) -> str:
    """Option keys as a list in words: A、B."""
    return "、".join(str(k) for k in keys)


def option_summary(result: ItemResult) -> str:
    """How an item's options came out, in one or two plain sentences ("" for a plain item):
    the chosen option and why, or why none was chosen and what happens next (design §3a)."""
    outcome = result.options
    if outcome is None:
        return ""
    titles = {key: title for _id, key, title in result.item.options}
    if outcome.chosen is not None:
        chosen = f"{outcome.chosen} {titles.get(outcome.chosen, '')}".strip()
        if outcome.option_rule == "threshold":
            return _("选定方案：%(o)s。它单独达到了本项目的同意标准。", o=chosen)
        return _("选定方案：%(o)s。同意它的人数和面积都最多。", o=chosen)
    if outcome.option_rule == "threshold" and result.tally.passed:
        return _(
            "没有一个方案单独达到本项目的同意标准（按“每个方案单独计票”的规则），本项目未通过。"
        )
    if not outcome.passed:
        return _("本项目未通过，不选定方案。")
    heads, area = outcome.leaders_headcount, outcome.leaders_area
    if len(heads) > 1:
        why_heads = _("同意人数上 %(o)s 并列最多", o=_names(heads))
    else:
        why_heads = _("同意人数最多的是 %(o)s", o=_names(heads))
    if len(area) > 1:
        why_area = _("同意面积上 %(o)s 并列最多", o=_names(area))
    else:
        why_area = _("同意面积最多的是 %(o)s", o=_names(area))
    if result.item.runoff_of_id is not None:
        return _(
            "决选仍未决出方案：%(h)s，%(a)s。本项目须修改后重新表决，才能实施。",
            h=why_heads,
            a=why_area,
        )
    return _(
        "未决出方案，需决选：%(h)s，%(a)s。将在 %(o)s 之间决选。",
        h=why_heads,
        a=why_area,
        o=_names(outcome.runoff),
    )


def item_sentence(result: ItemResult, provisional: bool = False) -> str:
    """result_sentence for one item, and for a ``threshold`` item whose options all fell short
    the reason it failed although agree as a whole was enough."""
    outcome = result.options
    if outcome is not None and result.tally.passed and not outcome.passed:
        head = _("目前未通过") if provisional else _("未通过")
        return _("%(head)s：%(why)s", head=head, why=option_summary(result))
    return result_sentence(result.tally, provisional)


def option_paragraphs(result: ItemResult) -> list[str]:
    """Each option's agree exactly, how the option rule reads them, and the outcome in words."""
    outcome = result.options
    if outcome is None:
        return []
    titles = {key: title for _id, key, title in result.item.options}
    lines = [_("本项目有 %(n)d 个方案，同意的住户各选其一；同意合计是各方案之和。", n=len(titles))]
    for o in outcome.options:
        line = _(
            "方案 %(k)s（%(t)s）：同意 %(m)s。",
            k=o.key,
            t=titles.get(o.key, ""),
            m=measure_text(o.agree, exact=True),
        )
        if o.passed is not None:
            passed, failed = _("单独达到本项目的同意标准。"), _("未单独达到本项目的同意标准。")
            line += passed if o.passed else failed
        lines.append(line)
    if outcome.option_rule == "threshold":
        lines.append(
            _(
                "选定规则：每个方案单独按本项目的规则计票，达到的方案选定；没有方案达到，本项目不通过。"
            )
        )
    else:
        lines.append(
            _(
                "选定规则：本项目通过时，同意人数和同意面积都最多的方案选定；"
                "两者不是同一个方案，或有并列，则需在领先的方案之间决选。"
            )
        )
    lines.append(option_summary(result))
    return lines
