"""The overview's per-plan tally summary, kept in this process and keyed so it is never stale.

The city page shows a few integers of every plan's tally (turnout, items passed); counting them
(tally.queries.tally_plan: four statements and a few ms of Python a plan) is most of its time.
They change only when the community's data changes, and every write in CoPlan appends an audit
event carrying the community's id in the same transaction (core.audit.log_event): ballots of every
channel, paper entry, deliveries, roster import, items and their revisions, plan policies, phase
moves — those the dates make (plans.workflow.sync_phase) included. So a summary is identified by

    (plan id, the community's newest audit event, today's date)

— the date because "provisional" follows the calendar (voting may end without a write). Audit ids
are given out in commit order (log_event holds a lock until commit on PostgreSQL; SQLite has one
writer), so a write always moves its community's newest event. The event is named by id AND hash:
ids start again when tables are emptied (the tests) or an older backup is restored while the
process runs, and the hash, chained over every earlier event, tells such histories apart. A
community without any audit event is never cached: nothing would tell its states apart.

The summary holds numbers only (no words), so one entry serves every locale. Entries are few
bytes; the cache holds one per plan (a newer state replaces the plan's older one), at most
MAX_PLANS, least recently used dropped first. It is per process: each worker fills its own.
"""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from threading import Lock

from sqlalchemy import func, select

from app.communities.models import area_to_centi
from app.core.audit import AuditEvent
from app.extensions import db
from app.plans.models import Plan
from app.tally.queries import PlanTally, tally_plan

MAX_PLANS = 2000

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


class SummaryCache:
    """A bounded, thread-safe map of plan id → (fingerprint, summary); least recently used out."""

    def __init__(self, max_plans: int = MAX_PLANS) -> None:
        """An empty cache holding at most max_plans plans."""
        self.max_plans = max_plans
        self._entries: OrderedDict[int, tuple[Fingerprint, TallySummary]] = OrderedDict()
        self._lock = Lock()

    def get(self, plan_id: int, fingerprint: Fingerprint) -> TallySummary | None:
        """The plan's summary counted at exactly this fingerprint, or None."""
        with self._lock:
            entry = self._entries.get(plan_id)
            if entry is None or entry[0] != fingerprint:
                return None
            self._entries.move_to_end(plan_id)
            return entry[1]

    def put(self, plan_id: int, fingerprint: Fingerprint, summary: TallySummary) -> None:
        """Keep the plan's summary at this fingerprint (replacing any other state of the plan)."""
        with self._lock:
            self._entries[plan_id] = (fingerprint, summary)
            self._entries.move_to_end(plan_id)
            while len(self._entries) > self.max_plans:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every summary."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        """Plans held."""
        return len(self._entries)


SUMMARIES = SummaryCache()


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


def plan_summary(plan: Plan, today: date, newest_event: tuple[int, str] | None) -> TallySummary:
    """The plan's tally summary: from the cache when its community has not changed since it was
    counted (same newest audit event, same day), else counted now by tally_plan and kept."""
    if newest_event is None:
        return summarize(tally_plan(plan, today))
    fingerprint = (*newest_event, today)
    summary = SUMMARIES.get(plan.id, fingerprint)
    if summary is None:
        summary = summarize(tally_plan(plan, today))
        SUMMARIES.put(plan.id, fingerprint, summary)
    return summary
