"""The overview's per-plan tally summaries: stored in a table the district rollup fills, and
keyed so that a stored summary is never taken for current when it is not.

The city page shows a few integers of every plan's tally (turnout, items passed); counting them
(tally.queries.tally_plan: five statements and a few ms of Python a plan) is most of its time.
They change only when the community's data changes, and every write in CoPlan appends an audit
event carrying the community's id in the same transaction (core.audit.log_event): ballots of every
channel, paper entry, deliveries, roster import, items and their revisions, plan policies, phase
moves — those the dates make (plans.workflow.sync_phase) included. So a summary is identified by

    (the community's newest audit event, today's date)

— the date because "provisional" follows the calendar (voting may end without a write). The
event is named by id AND hash: ids start again when tables are emptied (the tests) or an older
backup is restored, and the hash, chained over every earlier event, tells such histories apart.
A community without any audit event is never stored: nothing would tell its states apart.

How the overview uses them (``plan_summaries``): a stored summary at its community's current
fingerprint is exact and used as it is. A page recounts at most DISTRICT_INLINE_RECOUNTS (20)
plans whose summary is missing or stale itself (a plan of about a hundred households takes about
2 ms: bench/district.py), so a town's overview is always current. Beyond
that — a city's voting evening, when every ballot moves its community — it shows the stale figures
marked with the time they were counted (or "being counted" where none is stored yet), and the
view queues the rollup (district.jobs): the queue's worker recounts every stale plan of the
city, a batch of plans per read snapshot, and stores them for every web worker at once.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from app.communities.models import area_to_centi
from app.core.audit import AuditEvent
from app.core.db import begin_read_snapshot, commit_or_rollback, insert_on_conflict, utcnow
from app.district.models import PlanSummary
from app.extensions import db
from app.plans.models import Plan
from app.tally.queries import PlanTally, tally_plan

# Plans the rollup recounts in one read snapshot before it stores them.
BATCH = 25

# The community's newest audit event (id, hash) and the day: what a summary was counted at.
Fingerprint = tuple[int, str, date]


@dataclass(frozen=True)
class TallySummary:
    """What the overview shows of a plan's tally: turnout, items passed, provisional."""

    provisional: bool
    electorate_households: int
    voted_households: int
    electorate_area_centi: int
    voted_area_centi: int
    items_passed: int
    items_total: int


# How current a plan's summary on the overview is: read from the store and still holding;
# counted for this page (none was stored for this moment); stored, of an earlier moment
# (counted_at says when); none yet (the rollup is counting it).
STORED, COUNTED, EARLIER, COUNTING = "stored", "counted", "earlier", "counting"


@dataclass(frozen=True)
class Counted:
    """A plan's summary for the overview, and how current it is."""

    summary: TallySummary | None  # None while COUNTING
    state: str = COUNTED
    counted_at: datetime | None = None  # when an EARLIER summary was counted


def summarize(tally: PlanTally) -> TallySummary:
    """The overview's figures of a tally (the community-wide turnout; items passed)."""
    electorate, voted = tally.community.electorate, tally.community.participating
    return TallySummary(
        provisional=tally.provisional,
        electorate_households=electorate.households,
        voted_households=voted.households,
        electorate_area_centi=area_to_centi(electorate.area),
        voted_area_centi=area_to_centi(voted.area),
        items_passed=sum(1 for result in tally.items if result.passed),
        items_total=len(tally.items),
    )


def newest_audit_events(community_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Each community's newest audit event as (id, hash), in one statement (a grouped max);
    communities without any event are left out."""
    if not community_ids:
        return {}
    newest = (
        select(func.max(AuditEvent.id))
        .where(AuditEvent.community_id.in_(community_ids))
        .group_by(AuditEvent.community_id)
    )
    rows = db.session.execute(
        select(AuditEvent.community_id, AuditEvent.id, AuditEvent.hash).where(
            AuditEvent.id.in_(newest)
        )
    )
    return {community_id: (event_id, digest) for community_id, event_id, digest in rows}


_FIGURES = (
    "provisional",
    "electorate_households",
    "voted_households",
    "electorate_area_centi",
    "voted_area_centi",
    "items_passed",
    "items_total",
)


def stored_summaries(plan_ids: list[int]) -> dict[int, tuple[Fingerprint, TallySummary, datetime]]:
    """The stored summaries of these plans: {plan id: (fingerprint, summary, counted at)}."""
    if not plan_ids:
        return {}
    s = PlanSummary
    figures = [getattr(s, name) for name in _FIGURES]
    rows = db.session.execute(
        select(s.plan_id, s.event_id, s.event_hash, s.day, s.counted_at, *figures).where(
            s.plan_id.in_(plan_ids)
        )
    )
    return {
        plan_id: ((event_id, event_hash, day), TallySummary(*values), counted_at)
        for plan_id, event_id, event_hash, day, counted_at, *values in rows
    }


def _holds(entry, event: tuple[int, str] | None, today: date) -> bool:
    """Whether a stored summary (stored_summaries' entry) was counted at the community's newest
    audit event today: nothing it rests on has changed since."""
    return entry is not None and event is not None and entry[0] == (*event, today)


def plan_summaries(
    plans: list[Plan], today: date, events: dict, recount: int | None = None
) -> dict[int, Counted]:
    """Each plan's summary for the overview: stored when its community has not changed since
    (same newest audit event, same day); else counted now for up to `recount` plans (None: all),
    those never counted first; else the stale stored one with its time, or none yet. `events`:
    newest_audit_events of the plans' communities."""
    stored = stored_summaries([plan.id for plan in plans])
    result: dict[int, Counted] = {}
    stale = []
    for plan in plans:
        entry = stored.get(plan.id)
        if _holds(entry, events.get(plan.community_id), today):
            result[plan.id] = Counted(entry[1], STORED)
        else:
            stale.append(plan)
    stale.sort(key=lambda plan: plan.id in stored)  # the never counted first
    for n, plan in enumerate(stale):
        if recount is None or n < recount:
            result[plan.id] = Counted(summarize(tally_plan(plan, today)), COUNTED)
        elif plan.id in stored:
            _fingerprint, summary, counted_at = stored[plan.id]
            result[plan.id] = Counted(summary, EARLIER, counted_at)
        else:
            result[plan.id] = Counted(None, COUNTING)
    return result


def refresh_summaries(plan_ids: list[int], today: date) -> int:
    """Recount and store the summaries of these plans that are missing or stale: read in one
    snapshot (each tally's statements see one moment while ballots arrive), then stored in a
    short write of their own. Returns how many were recounted."""
    begin_read_snapshot()
    plans = db.session.scalars(select(Plan).where(Plan.id.in_(plan_ids))).all()
    events = newest_audit_events(sorted({plan.community_id for plan in plans}))
    stored = stored_summaries(plan_ids)
    counted = []
    for plan in plans:
        event = events.get(plan.community_id)
        if event is None:
            continue  # no history to key a summary by: the overview counts it itself
        if _holds(stored.get(plan.id), event, today):
            continue
        summary = summarize(tally_plan(plan, today))
        counted.append((plan.id, plan.community_id, (*event, today), summary))
    commit_or_rollback()  # the snapshot ends before the write
    if counted:
        _store(counted)
        commit_or_rollback()
    return len(counted)


def _store(counted: list[tuple[int, int, Fingerprint, TallySummary]]) -> None:
    """Insert or replace the plans' summaries (one statement)."""
    now = utcnow()
    rows = [
        {
            "plan_id": plan_id,
            "community_id": community_id,
            "event_id": fingerprint[0],
            "event_hash": fingerprint[1],
            "day": fingerprint[2],
            "counted_at": now,
            **{name: getattr(summary, name) for name in _FIGURES},
        }
        for plan_id, community_id, fingerprint, summary in counted
    ]
    statement = insert_on_conflict(PlanSummary).values(rows)
    replace = {
        name: statement.excluded[name]
        for name in ("community_id", "event_id", "event_hash", "day", "counted_at", *_FIGURES)
    }
    db.session.execute(
        statement.on_conflict_do_update(index_elements=[PlanSummary.plan_id], set_=replace)
    )
