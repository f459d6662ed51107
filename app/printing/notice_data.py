"""What a result notice or tally sheet says, read from the tally (``app.tally.queries``)."""

from datetime import UTC

from babel.dates import get_timezone
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.communities.electorate import correction_change, corrections, snapshot_for
from app.communities.models import Community
from app.core.audit import chain_head
from app.extensions import db
from app.formats.pdf import cn_date
from app.plans.models import Item, Plan
from app.plans.queries import local_today, scope_label
from app.printing.notices import (
    ROWS,
    Figures,
    NoticeData,
    NoticeItem,
    correction_cn,
)
from app.printing.option_chart import OptionLine
from app.tally.charts import bar_labels, option_bars
from app.tally.explain import item_sentence, option_summary, rule_text
from app.tally.models import Objection
from app.tally.queries import tally_plan, voting_over
from app.tally.runoff import runoff_origin, runoffs_of
from app.voting.optin import plan_offers
from app.voting.optin_lists import status_words

NOTICE_KINDS = ("preliminary", "final", "sheet")


def notice_problem(plan: Plan, kind: str):
    """Why this notice cannot be printed yet (a message), or None."""
    if kind == "preliminary" and plan.result_stage not in ("preliminary", "final"):
        return _l("初步结果公布后才能打印公示。")
    if kind == "final" and plan.result_stage != "final":
        return _l("最终结果公布后才能打印公告。")
    if kind == "sheet" and not voting_over(plan, local_today()):
        return _l("表决结束后才能打印计票表。")
    return None


def _figures(measure) -> Figures:
    """A tally Measure as plain figures."""
    return Figures(measure.owners, measure.area, measure.households)


def _option_lines(result) -> tuple[OptionLine, ...]:
    """An item's options as the notice draws them (call under the notice's locale)."""
    lines = []
    for bar in option_bars(result):
        owners, area = bar_labels(bar)
        notes = ["【选定】"] if bar.chosen else []  # the font has CJK brackets, maybe no ✓
        if bar.passed is not None:
            notes.append("单独达到标准" if bar.passed else "未单独达到标准")
        note = " ".join(notes)
        lines.append(
            OptionLine(bar.key, bar.title, bar.owners_share, bar.area_share, owners, area, note)
        )
    return tuple(lines)


def _runoff_note(result, runoff) -> str:
    """For a runoff item, the vote it decides; for an undecided item, the runoff opened."""
    if result.item.runoff_of_id is not None:
        origin = runoff_origin(result.item.runoff_of_id)
        if origin is not None:
            plan, item = origin
            return f"本项目是《{plan.title}》{item.key}“{item.title}”的决选，表决范围与原表决相同。"
    if runoff is not None:
        period = f"{cn_date(runoff.voting_opens)}至{cn_date(runoff.voting_closes)}"
        return f"本项目已发起决选（《{runoff.plan_title}》，{period}表决）。"
    return ""


def notice_data(plan: Plan, kind: str, contact: str = "") -> NoticeData:
    """The notice or tally sheet of a plan, from its tally."""
    result = tally_plan(plan)
    provisional = kind == "sheet" and result.provisional
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.plan_id == plan.id))}
    notice_items = []
    runoffs = runoffs_of([r.item.id for r in result.items if r.options is not None])
    for r in result.items:
        tally = r.tally
        with force_locale("zh_CN"):  # notices go on paper, always in Chinese
            reason, rule = item_sentence(r, provisional), rule_text(tally.rule)
            options, options_text = _option_lines(r), option_summary(r)
        notice_items.append(
            NoticeItem(
                key=r.item.key,
                title=r.item.title,
                rule=rule,
                scope=scope_label(items[r.item.id]) if r.item.scoped else "",
                figures={name: _figures(getattr(tally, name)) for name, _label in ROWS},
                passed=r.passed,
                reason=reason,
                without_policy_passed=r.without_policy.passed if r.without_policy else None,
                options=options,
                options_text=options_text,
                runoff_note=_runoff_note(r, runoffs.get(r.item.id)),
            )
        )
    received, resolved = db.session.execute(
        select(func.count(Objection.id), func.count(Objection.resolved_at)).where(
            Objection.plan_id == plan.id
        )
    ).one()
    published = plan.final_published_at if kind == "final" else plan.preliminary_published_at
    b = result.ballots
    return NoticeData(
        kind=kind,
        community=db.session.get(Community, plan.community_id).name,
        plan_title=plan.title,
        voting_opens=plan.voting_opens,
        voting_closes=plan.voting_closes,
        published_on=published.date() if published else None,
        objections_close=plan.objections_close,
        contact=contact.strip(),
        ballots={
            "effective": b.effective,
            "conflicts": b.conflicts,
            "awaiting": b.awaiting_entry,
            **{c: b.by_channel.get(c, 0) for c in ("online", "paper", "assisted")},
        },
        turnout=(_figures(result.community.electorate), _figures(result.community.participating)),
        items=tuple(notice_items),
        objections=(received, resolved),
        corrections=_correction_lines(plan),
        opt_in=opt_in_lines(plan),
        audit_head=head.head if (head := chain_head(plan.community_id)) else None,
    )


def opt_in_lines(plan: Plan) -> tuple[str, ...]:
    """Each opt-in item's sign-ups in words, for the notice (in Chinese: it goes on paper)."""
    lines = []
    for s in plan_offers(plan):
        with force_locale("zh_CN"):
            state = str(status_words(s))
        lines.append(
            f"{s.item.key} {s.item.title}：范围内 {s.in_scope} 户，参加 {s.signed_up} 户，"
            f"不参加 {s.declined} 户，未答复 {s.unanswered} 户；{state}。"
        )
    return tuple(lines)


def _correction_lines(plan: Plan) -> tuple[str, ...]:
    """Every correction of the plan's frozen electorate so far, in words (design §3c)."""
    lines = []
    for c in corrections(snapshot_for(plan.id)):
        before, after = correction_change(c)
        zone = get_timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        on = c.created_at.replace(tzinfo=UTC).astimezone(zone).date()
        lines.append(correction_cn(c.kind, c.address, before, after, c.reason, on))
    return tuple(lines)
