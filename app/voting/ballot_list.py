"""Reads for the staff list of ballots: every recorded version, who/when/how, never the choices.

One row per ballot (an online change adds a version). A ballot's status says whether it counts
(docs/counting.md): it is the household's effective ballot; it takes part in an unresolved
disagreement between the household's ballots (the latest online one and every paper or
assisted one, when they differ); or it was superseded (an older online version, or a ballot
the conflict policy set aside while agreeing with the one that counts).
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.communities.models import Building, Household, Unit
from app.communities.queries import household_search
from app.core.codes import normalize_code
from app.core.paging import RowPagination, paginate_rows
from app.extensions import db
from app.plans.models import Plan
from app.voting.models import CHANNELS, Ballot, EffectiveBallot

# Status filter values: "" lists every ballot. A row's status is one of counted,
# counted_conflict (counts, but the household's ballots differ), conflict (part of that
# disagreement, does not count) and superseded.
STATUS_FILTERS = ("counted", "conflict", "superseded")


@dataclass(frozen=True)
class BallotFilter:
    """What the list narrows to; empty fields narrow nothing."""

    channel: str = ""
    status: str = ""
    search: str = ""

    def args(self) -> dict:
        """The filter as URL arguments (empty ones left out), for the pager links."""
        values = {"channel": self.channel, "status": self.status, "q": self.search}
        return {key: value for key, value in values.items() if value}


@dataclass
class BallotTotals:
    """The plan's ballots at a glance (whatever the filter)."""

    ballots: int = 0
    households_voted: int = 0
    conflicts: int = 0
    by_channel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))


def ballot_totals(plan: Plan) -> BallotTotals:
    """Recorded ballots by channel (every version), households with a ballot that counts,
    and households whose ballots differ: two grouped queries."""
    totals = BallotTotals()
    by_channel = (
        select(Ballot.channel, func.count())
        .where(Ballot.plan_id == plan.id)
        .group_by(Ballot.channel)
    )
    for channel, n in db.session.execute(by_channel):
        totals.by_channel[channel] = n
        totals.ballots += n
    voted, conflicts = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((EffectiveBallot.conflict.is_(True), 1), else_=0)), 0),
        ).where(EffectiveBallot.plan_id == plan.id)
    ).one()
    totals.households_voted, totals.conflicts = voted, conflicts
    return totals


def _newest_online_or_paper():
    """Whether a ballot is one precedence compares: any paper or assisted ballot, and the
    latest online one (an older online version is superseded by the newer one, always)."""
    newer = aliased(Ballot)
    newer_online = exists().where(
        newer.plan_id == Ballot.plan_id,
        newer.household_id == Ballot.household_id,
        newer.channel == "online",
        or_(
            newer.recorded_at > Ballot.recorded_at,
            and_(newer.recorded_at == Ballot.recorded_at, newer.id > Ballot.id),
        ),
    )
    return or_(Ballot.channel != "online", ~newer_online)


def _with_effective(query):
    """`query` over Ballot, outer-joined to its household's effective ballot row."""
    return query.outerjoin(
        EffectiveBallot,
        and_(
            EffectiveBallot.plan_id == Ballot.plan_id,
            EffectiveBallot.household_id == Ballot.household_id,
        ),
    )


def _with_address(query):
    """`query` over Ballot, joined to its household, building and unit."""
    return (
        query.join(Household, Household.id == Ballot.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Unit, Unit.id == Household.unit_id)
    )


def _search_condition(community_id: int, text: str):
    """Rows whose household matches the search, or whose receipt is the one typed."""
    receipt = normalize_code(text)
    condition = household_search(community_id, text)
    if len(receipt) >= 4:
        condition = or_(condition, Ballot.receipt.startswith(receipt, autoescape=True))
    return condition


def _filtered(query, plan: Plan, wanted: BallotFilter, search=None):
    """`query` over Ballot narrowed to the plan and the filter, joining only what it needs;
    `search` is the search condition, built once by the caller (it looks up place names)."""
    query = query.where(Ballot.plan_id == plan.id)
    if wanted.channel in CHANNELS:
        query = query.where(Ballot.channel == wanted.channel)
    # A semi-join on the effective ballots: the planner estimates it well (a join condition
    # on both household and ballot id made PostgreSQL expect one row and loop over thousands).
    counted = Ballot.id.in_(
        select(EffectiveBallot.ballot_id).where(EffectiveBallot.plan_id == plan.id)
    )
    if wanted.status == "counted":
        query = query.where(counted)
    elif wanted.status in ("conflict", "superseded"):
        # The effective ballot is always one precedence compares, so "in a disagreement" is
        # the household's conflict flag on a compared ballot, counted or not.
        disputed = and_(EffectiveBallot.conflict.is_(True), _newest_online_or_paper())
        query = _with_effective(query).where(
            disputed if wanted.status == "conflict" else and_(~counted, ~disputed)
        )
    if search is not None:
        query = _with_address(query).where(search)
    return query


def ballot_page(
    plan: Plan, wanted: BallotFilter, page: int = 1, per_page: int = 50
) -> RowPagination:
    """A page of the plan's ballots, newest first, as rows for the list (no choices).

    The page's ballot ids are cut first (sorting ballots only), then the 50 rows are dressed
    with address, recorder and status: the last page costs about what the first does.
    """
    search = None
    if wanted.search.strip():
        search = _search_condition(plan.community_id, wanted.search)
    ids = _filtered(select(Ballot.id).select_from(Ballot), plan, wanted, search).order_by(
        Ballot.recorded_at.desc(), Ballot.id.desc()
    )
    count = _filtered(select(func.count()).select_from(Ballot), plan, wanted, search)
    result = paginate_rows(ids, page, per_page, count=count)
    wanted_ids = [row.id for row in result.items]
    result.items = ballot_rows(wanted_ids)
    return result


def ballot_rows(ballot_ids: list[int]) -> list:
    """The list's rows for these ballots, in the order given."""
    if not ballot_ids:
        return []
    counts = EffectiveBallot.ballot_id == Ballot.id
    conflict = EffectiveBallot.conflict.is_(True)
    status = case(
        (and_(counts, conflict), "counted_conflict"),
        (counts, "counted"),
        (and_(conflict, _newest_online_or_paper()), "conflict"),
        else_="superseded",
    )
    recorder = aliased(User)
    query = select(
        Ballot.id,
        Ballot.channel,
        Ballot.recorded_at,
        Ballot.receipt,
        Ballot.authorised_by,
        Household.id.label("household_id"),
        Building.name.label("building"),
        Unit.name.label("unit"),
        Household.room,
        Household.owner_name,
        func.coalesce(func.nullif(recorder.display_name, ""), recorder.username).label(
            "recorded_by"
        ),
        status.label("status"),
    ).select_from(Ballot)
    query = (
        _with_effective(_with_address(query))
        .outerjoin(recorder, recorder.id == Ballot.recorded_by_id)
        .where(Ballot.id.in_(ballot_ids))
    )
    rows = {row.id: row for row in db.session.execute(query)}
    return [rows[i] for i in ballot_ids]
