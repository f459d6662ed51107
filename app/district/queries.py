"""Reads for the district and city overview: one row per community, totals per district.

Turnout and items passed come from the same tally as the results pages (tally.queries.tally_plan,
through district.summaries, which stores each plan's few figures until its community changes), and
funds from the same shares, pledges and payments as the funding dashboard's total
(funding.ledger.funding_dashboard), so the overview never disagrees with a community's pages.
A plan before voting has no ballots (phases only move forward, ballots are cast while voting), so
it is not tallied: its turnout, results and pledge rate are "not yet", not zero; its funds are
what the draft asks of residents, item by item (the dashboard's per-item residents' parts).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fractions import Fraction

from babel.dates import get_timezone
from flask import current_app
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from app.aftercare.queries import acceptance_summary, evaluation_summary
from app.communities.models import Community, Household
from app.communities.tenancy import visible_communities_query
from app.core.vocabulary import label, phase_label
from app.district.funds import plans_funding
from app.district.summaries import (
    COUNTED,
    COUNTING,
    EARLIER,
    Counted,
    newest_audit_events,
    plan_summaries,
    summarize,
)
from app.extensions import db
from app.plans.models import RESULT_STAGES, Item, Plan
from app.plans.phases import (
    ACCEPTANCE,
    AFTER_RESULT,
    AFTER_VOTE,
    CLOSED,
    DRAFTING,
    EVALUATION,
    PHASES,
    PROPOSALS,
    PUBLISHED,
    VOTING,
)
from app.plans.queries import in_progress
from app.plans.shares import item_residents_part, shares_fixed
from app.rules.shares import ShareError
from app.tally.queries import tally_plan, voting_over
from app.voting.optin import plan_offers
from app.works.queries import WorksFigures, works_figures

NO_PLAN = "none"  # the phase filter's value for communities without a plan
TALLIED = (VOTING, *AFTER_RESULT)


@dataclass(frozen=True)
class CommunityRow:
    """One community in the overview: census, current plan, turnout, results and funds."""

    community_id: int
    name: str
    district: str
    street: str
    households: int
    plan_id: int | None = None
    plan_title: str = ""
    phase: str | None = None  # None: no plan yet (未建方案)
    phase_opens: date | None = None
    phase_closes: date | None = None  # the current phase's last day (closing date)
    note: str | None = None  # a stage_note code (app.core.vocabulary)
    tallied: bool = False  # voting or later: turnout, results, fixed shares and pledges exist
    provisional: bool = False  # results may still change (voting not over)
    electorate_households: int = 0
    voted_households: int = 0
    electorate_area_centi: int = 0
    voted_area_centi: int = 0
    items_total: int = 0
    items_passed: int = 0
    required_fen: int = 0  # residents' part: the sum of the shares (before voting: the draft's)
    pledged_fen: int = 0
    paid_fen: int = 0
    # Opt-in items (户内自选, not voted): how many, households in their scopes (summed over the
    # items) and of those how many signed up.
    optin_items: int = 0
    optin_in_scope: int = 0
    optin_signed_up: int = 0
    # How current the tally figures are (district.summaries: stored, counted, earlier — counted
    # at counted_at, the rollup recounting them — or counting); None: not tallied.
    summary_state: str | None = None
    counted_at: datetime | None = None

    @property
    def signup_rate(self) -> Fraction | None:
        """Sign-ups among the households the opt-in items were offered to."""
        return _rate(self.optin_signed_up, self.optin_in_scope)

    @property
    def counting(self) -> bool:
        """Tallied, but no figures yet: the rollup is counting them."""
        return self.summary_state == COUNTING

    # After the vote (app.works): works of the passed items, accepted ones, their average
    # progress (%), issue reports still open and those past their deadline.
    works_total: int = 0
    works_done: int = 0
    works_progress: int | None = None
    issues_open: int = 0
    issues_overdue: int = 0
    # After the works (app.aftercare): items accepted and how, open defects; the latest
    # evaluation round's participation and mean scores (None: no acceptance or round yet).
    acceptance: dict | None = None
    evaluation: dict | None = None

    @property
    def satisfaction(self) -> Fraction | None:
        """The mean of the latest round's three aspect means (None without answers)."""
        if not self.evaluation:
            return None
        means = [m for m in self.evaluation["averages"].values() if m is not None]
        return sum(means, Fraction(0)) / len(means) if means else None

    @property
    def evaluation_rate(self) -> Fraction | None:
        """Households that answered the latest round among all (None without a round)."""
        if not self.evaluation:
            return None
        return _rate(self.evaluation["responses"], self.evaluation["households"])

    @property
    def has_plan(self) -> bool:
        """The community has a plan."""
        return self.phase is not None

    @property
    def phase_name(self) -> str:
        """The phase in words, or 未建方案."""
        return phase_label(self.phase)

    @property
    def note_name(self) -> str:
        """The phase's state in words ("" when there is nothing to add)."""
        return label("stage_note", self.note) if self.note else ""

    @property
    def turnout(self) -> Fraction | None:
        """Households that voted among the electorate (None before voting)."""
        return _rate(self.voted_households, self.electorate_households) if self.tallied else None

    @property
    def area_turnout(self) -> Fraction | None:
        """Their area among the electorate's area (None before voting)."""
        return _rate(self.voted_area_centi, self.electorate_area_centi) if self.tallied else None

    @property
    def pledge_rate(self) -> Fraction | None:
        """Pledged among required, in fen (None before voting, or when nothing is required)."""
        return _rate(self.pledged_fen, self.required_fen) if self.tallied else None

    @property
    def paid_rate(self) -> Fraction | None:
        """Paid among required, in fen (None before voting)."""
        return _rate(self.paid_fen, self.required_fen) if self.tallied else None


def _rate(part: int, whole: int) -> Fraction | None:
    """part / whole exactly, None when whole is 0."""
    return Fraction(part, whole) if whole else None


def local_date(value: datetime | None) -> date | None:
    """A stored UTC time as a calendar day in the configured time zone."""
    if value is None:
        return None
    zone = get_timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def phase_window(plan: Plan) -> tuple[date | None, date | None]:
    """The current phase's first and last day (published: from publication to the end of the
    objection period; closed: the day it was archived)."""
    if plan.phase == PROPOSALS:
        return plan.proposals_opens, plan.proposals_closes
    if plan.phase == DRAFTING:
        return plan.drafting_opens, plan.drafting_closes
    if plan.phase == VOTING:
        return plan.voting_opens, plan.voting_closes
    if plan.phase == PUBLISHED:
        return local_date(plan.preliminary_published_at or plan.phase_changed_at), (
            plan.objections_close
        )
    return local_date(plan.phase_changed_at), None


def phase_note(plan: Plan, today: date) -> str | None:
    """What the phase alone does not say: voting not open yet or over, the result's stage."""
    if plan.phase == VOTING:
        if voting_over(plan, today):
            return "voting_over"
        if plan.voting_opens and today < plan.voting_opens:
            return "voting_not_open"
    if plan.phase == PUBLISHED and plan.result_stage in RESULT_STAGES:
        return plan.result_stage
    return None


def household_counts(community_ids: list[int]) -> dict[int, int]:
    """Households per community (one statement)."""
    if not community_ids:
        return {}
    rows = db.session.execute(
        select(Household.community_id, func.count())
        .where(Household.community_id.in_(community_ids))
        .group_by(Household.community_id)
    )
    return dict(rows.all())


def newest_plan_ids():
    """A select of each community's current plan id, as plans.queries.current_plan picks it: the
    plan voting or in its objection period (one at a time), else the newest that is not a
    revision vote on another plan's change order, else the newest."""
    return select(
        func.coalesce(
            func.max(case((in_progress(), Plan.id))),
            func.max(case((Plan.revises_plan_id.is_(None), Plan.id))),
            func.max(Plan.id),
        )
    ).group_by(Plan.community_id)


def current_plans(community_ids: list[int]) -> dict[int, Plan]:
    """Each community's current plan with its items, their funding and scopes (few statements)."""
    if not community_ids:
        return {}
    plans = db.session.scalars(
        select(Plan)
        .where(Plan.community_id.in_(community_ids), Plan.id.in_(newest_plan_ids()))
        .options(selectinload(Plan.items).selectinload(Item.funding))
        .options(selectinload(Plan.items).selectinload(Item.scopes))
    ).all()
    return {plan.community_id: plan for plan in plans}


def plan_figures(
    plan: Plan,
    today: date,
    funds: tuple[int, int, int] | None,
    counted: Counted | None = None,
) -> dict:
    """A plan's columns of the overview: phase, dates, turnout, items passed, and its funds
    (required, pledged, paid in fen; None before voting: the draft's ask is summed here).
    counted: the plan's tally summary (district.summaries.plan_summaries); without it the plan
    is tallied afresh."""
    opens, closes = phase_window(plan)
    figures = {
        "plan_id": plan.id,
        "plan_title": plan.title,
        "phase": plan.phase,
        "phase_opens": opens,
        "phase_closes": closes,
        "note": phase_note(plan, today),
        # Voted items only; opt-in items are counted apart (sign-ups, not results).
        "items_total": sum(1 for item in plan.items if item.kind == "vote"),
    }
    if any(item.kind == "opt_in" for item in plan.items):
        offers = plan_offers(plan)
        figures.update(
            optin_items=len(offers),
            optin_in_scope=sum(o.in_scope for o in offers),
            optin_signed_up=sum(o.signed_up for o in offers),
        )
    if plan.phase in TALLIED:
        counted = counted or Counted(summarize(tally_plan(plan, today)), COUNTED)
        figures.update(_tally_columns(counted))
    required, pledged, paid = funds if funds is not None else (draft_residents_part(plan), 0, 0)
    figures.update(required_fen=required, pledged_fen=pledged, paid_fen=paid)
    return figures


def _tally_columns(counted: Counted) -> dict:
    """A tallied plan's turnout and results columns; none but the flags while being counted."""
    summary = counted.summary
    columns = {"tallied": True, "summary_state": counted.state, "counted_at": counted.counted_at}
    if summary is None:
        return columns
    return columns | {
        "provisional": summary.provisional,
        "electorate_households": summary.electorate_households,
        "voted_households": summary.voted_households,
        "electorate_area_centi": summary.electorate_area_centi,
        "voted_area_centi": summary.voted_area_centi,
        "items_total": summary.items_total,
        "items_passed": summary.items_passed,
    }


def draft_residents_part(plan: Plan) -> int:
    """What a plan before voting asks of residents, in fen: its items' residents' parts.

    The shares of an item add up to its residents' part exactly (largest remainder,
    docs/counting.md#shares), so this is the dashboard's total without splitting every item
    over every household — the costly part of a draft's funding (about 60 ms a plan of 300
    households, bench/district.py).
    An item whose split cannot be made yet (e.g. a floor table without the estate's floors)
    still asks its part here, as the dashboard lists it; an item whose sources exceed its cost
    asks nothing, as there.
    """
    total = 0
    for item in plan.items:
        try:
            total += item_residents_part(item)
        except ShareError:
            continue
    return total


def community_rows(
    communities: list[Community], today: date, recount: int | None = None
) -> list[CommunityRow]:
    """One row per community, in the given order; communities without a plan show 未建方案.

    Tally figures are stored ones where still current; `recount` plans at most are counted now
    (None: every one not current, as an export needs), the rest show their stored figures of an
    earlier moment (with counted_at) or none yet until the rollup has recounted them."""
    ids = [c.id for c in communities]
    households = household_counts(ids)
    plans = current_plans(ids)
    funds = plans_funding([plan for plan in plans.values() if shares_fixed(plan)])
    tallied = [plan for plan in plans.values() if plan.phase in TALLIED]
    events = newest_audit_events([plan.community_id for plan in tallied])
    summaries = plan_summaries(tallied, today, events, recount)
    works = works_figures([plan.id for plan in plans.values() if plan.phase in AFTER_VOTE], today)
    rows = []
    for community in communities:
        plan = plans.get(community.id)
        figures = (
            plan_figures(plan, today, funds.get(plan.id), summaries.get(plan.id)) if plan else {}
        )
        rows.append(
            CommunityRow(
                community_id=community.id,
                name=community.name,
                district=community.district,
                street=community.street,
                households=households.get(community.id, 0),
                **figures,
                **(aftercare_figures(plan, figures.get("items_passed")) if plan else {}),
                **(_works_columns(works[plan.id]) if plan and plan.id in works else {}),
            )
        )
    return rows


def aftercare_figures(plan: Plan, items_passed: int | None) -> dict:
    """The acceptance and the latest evaluation round of a plan past the works (the items
    passed come from the cached tally summary)."""
    if plan.phase not in (ACCEPTANCE, EVALUATION, CLOSED):
        return {}
    return {
        "acceptance": acceptance_summary(plan, items_passed),
        "evaluation": evaluation_summary(plan),
    }


def _works_columns(figures: WorksFigures) -> dict:
    """A plan's works figures as CommunityRow fields."""
    return {
        "works_total": figures.works_total,
        "works_done": figures.works_done,
        "works_progress": figures.average_progress,
        "issues_open": figures.issues_open,
        "issues_overdue": figures.issues_overdue,
    }


def overview_communities(
    user, *, district: str = "", phase: str = "", q: str = ""
) -> list[Community]:
    """The communities the user may see, narrowed by district, current phase and name search."""
    query = visible_communities_query(user)
    if user.role == "district" and not user.district:
        return []  # a district account without a district sees nothing (as can_see_community)
    if district:
        query = query.where(Community.district == district)
    if q.strip():
        words = q.strip()
        query = query.where(
            or_(
                Community.name.contains(words, autoescape=True),
                Community.street.contains(words, autoescape=True),
            )
        )
    if phase == NO_PLAN:
        query = query.where(~Community.id.in_(select(Plan.community_id)))
    elif phase in PHASES:
        query = query.where(
            Community.id.in_(
                select(Plan.community_id).where(Plan.id.in_(newest_plan_ids()), Plan.phase == phase)
            )
        )
    return list(db.session.scalars(query))


def visible_districts(user) -> list[str]:
    """The districts of the communities the user may see, in order."""
    subquery = visible_communities_query(user).subquery()
    return list(
        db.session.scalars(select(subquery.c.district).distinct().order_by(subquery.c.district))
    )


@dataclass(frozen=True)
class Freshness:
    """How current the rows' tally figures are: plans shown as counted at an earlier moment
    (`since`: the earliest of those), and plans not counted yet."""

    earlier: int = 0
    since: datetime | None = None
    counting: int = 0
    counted: int = 0  # current, but counted for this page: none was stored for this moment

    @property
    def current(self) -> bool:
        """Every tally figure is of this moment."""
        return not self.earlier and not self.counting

    @property
    def stored(self) -> bool:
        """Every tally figure was read from the store, current: no rollup is needed."""
        return self.current and not self.counted


def freshness(rows: list[CommunityRow]) -> Freshness:
    """How current the tally figures of these rows are."""
    states = Counter(row.summary_state for row in rows)
    earlier = [row.counted_at for row in rows if row.summary_state == EARLIER]
    return Freshness(
        earlier=states[EARLIER],
        since=min(earlier) if earlier else None,
        counting=states[COUNTING],
        counted=states[COUNTED],
    )


@dataclass
class DistrictTotals:
    """Sums over community rows: one district, or the whole city."""

    district: str
    communities: int = 0
    with_plan: int = 0
    in_voting: int = 0
    published: int = 0  # results published (published or any later phase)
    households: int = 0
    electorate_households: int = 0  # of tallied plans only: the base of turnout
    voted_households: int = 0
    electorate_area_centi: int = 0
    voted_area_centi: int = 0
    items_total: int = 0
    items_passed: int = 0
    required_fen: int = 0  # of tallied plans only: shares are fixed from voting on
    pledged_fen: int = 0
    paid_fen: int = 0
    works_total: int = 0
    works_done: int = 0
    issues_overdue: int = 0

    def add(self, row: CommunityRow) -> None:
        """Count one community."""
        self.communities += 1
        self.with_plan += row.has_plan
        self.in_voting += row.phase == VOTING
        self.published += row.phase in AFTER_RESULT
        self.households += row.households
        if row.tallied:  # turnout only of plans that reached voting
            self.electorate_households += row.electorate_households
            self.voted_households += row.voted_households
            self.electorate_area_centi += row.electorate_area_centi
            self.voted_area_centi += row.voted_area_centi
        self.items_total += row.items_total
        self.items_passed += row.items_passed
        if row.tallied:  # funds only once shares are fixed: a draft's ask is not yet owed
            self.required_fen += row.required_fen
            self.pledged_fen += row.pledged_fen
            self.paid_fen += row.paid_fen
        self.works_total += row.works_total
        self.works_done += row.works_done
        self.issues_overdue += row.issues_overdue

    @property
    def turnout(self) -> Fraction | None:
        """Voted households among the electorates of plans that reached voting."""
        return _rate(self.voted_households, self.electorate_households)

    @property
    def area_turnout(self) -> Fraction | None:
        """Their area among those electorates' area."""
        return _rate(self.voted_area_centi, self.electorate_area_centi)

    @property
    def pledge_rate(self) -> Fraction | None:
        """Pledged among required, in fen."""
        return _rate(self.pledged_fen, self.required_fen)

    @property
    def paid_rate(self) -> Fraction | None:
        """Paid among required, in fen."""
        return _rate(self.paid_fen, self.required_fen)


@dataclass
class Summary:
    """Totals per district (in district order) and for all the rows together."""

    districts: list[DistrictTotals] = field(default_factory=list)
    total: DistrictTotals = field(default_factory=lambda: DistrictTotals(""))


def district_summary(rows: list[CommunityRow]) -> Summary:
    """Per-district totals of the rows, and their grand total (the city, for an admin)."""
    by_district: dict[str, DistrictTotals] = {}
    total = DistrictTotals("")
    for row in rows:
        by_district.setdefault(row.district, DistrictTotals(row.district)).add(row)
        total.add(row)
    return Summary([by_district[d] for d in sorted(by_district)], total)
