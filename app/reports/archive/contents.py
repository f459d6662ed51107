"""What the archive (一小区一档案) holds, read from the database: the roster snapshot, the plan's
frozen electorate, the plan,
publication, the print register, the audit trail (ballots and paper: ballots.py).

Each reader returns plain data (dicts, lists, rows) or yields it in chunks, so a community of
thousands of households streams into the ZIP without being held in memory at once. Never read
here: sign-in code hashes, owner keys (owners appear only as a per-archive group label), phones.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import func, select

from app.accounts.models import User
from app.communities.electorate import correction_change, corrections, snapshot_for
from app.communities.models import Building, FrozenHousehold, Household, Unit, centi_to_area
from app.communities.queries import household_rows
from app.core.audit import AuditEvent, chain_of
from app.extensions import db
from app.formats.tables import AREA, INT, TEXT, Column, Report
from app.plans.models import FundingSource, Item, ItemProposal, ItemScope, Plan
from app.printing.models import PRINT_KINDS, PrintJob
from app.proposals.models import Proposal, ProposalSupport
from app.tally.models import Objection


def iso(value: datetime | date | None) -> str | None:
    """A stored time as ISO text (UTC, marked Z), a date as YYYY-MM-DD, None as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat()


class Places:
    """The community's households (address, order) and staff usernames, read once."""

    def __init__(self, community_id: int):
        self.community_id = community_id
        self.rows = household_rows(
            community_id,
            Household.floor,
            Household.area_centi,
            Household.owner_name,
            Household.owner_id_hint,
            Household.owner_key,
        )
        self.address = {r[0]: f"{r[1]}{r[2]}{r[3]}" for r in self.rows}
        self.order = [r[0] for r in self.rows]
        self.owner_group = _owner_groups(self.rows)
        self.users = dict(db.session.execute(select(User.id, User.username)).all())

    def user(self, user_id: int | None) -> str | None:
        """The username of a staff user id (None stays None)."""
        return self.users.get(user_id) if user_id is not None else None

    def household(self, household_id: int | None) -> dict | None:
        """A household reference: id and address."""
        if household_id is None:
            return None
        return {"id": household_id, "address": self.address.get(household_id, "")}


def _owner_groups(rows) -> dict[int, str]:
    """Households of one owner (same owner key) share a label "O<smallest household id>".

    The counting rule needs to know which households belong to one owner (SPC interpretation
    art. 9), but the owner key itself is a keyed hash of the ID number: it stays in the database.
    """
    members: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row[8]:
            members[row[8]].append(row[0])
    return {hid: f"O{min(ids)}" for ids in members.values() if len(ids) > 1 for hid in ids}


def roster_report(places: Places) -> Report:
    """The roster at archive time: one row per household, in household order."""
    columns = [
        Column("编号", INT),
        Column("楼栋", TEXT),
        Column("单元", TEXT),
        Column("房号", TEXT),
        Column("楼层", INT),
        Column("面积", AREA),
        Column("业主", TEXT),
        Column("证件号提示", TEXT),
        Column("同一业主", TEXT),
    ]
    rows = [
        [r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or "", places.owner_group.get(r[0], "")]
        for r in places.rows
    ]
    return Report(title="roster", columns=columns, rows=rows)


def electorate_document(plan: Plan, places: Places) -> dict:
    """The plan's frozen electorate (design §3c): the households counted, as fixed when voting
    opened and corrected since, and every correction with its reason. None before opening."""
    snapshot = snapshot_for(plan.id)
    if snapshot is None:
        return {"plan": plan.id, "fixed_at": None, "households": [], "corrections": []}
    rows = db.session.execute(
        select(
            FrozenHousehold.household_id,
            FrozenHousehold.floor,
            FrozenHousehold.area_centi,
            FrozenHousehold.owner_key,
        ).where(FrozenHousehold.snapshot_id == snapshot.id)
    ).all()
    members: dict[str, list[int]] = defaultdict(list)
    for hid, _floor, _centi, key in rows:
        if key:
            members[key].append(hid)
    group = {h: f"O{min(ids)}" for ids in members.values() if len(ids) > 1 for h in ids}
    position = {hid: n for n, hid in enumerate(places.order)}
    rows = sorted(rows, key=lambda r: (position.get(r[0], len(position)), r[0]))
    users = places.users
    return {
        "plan": plan.id,
        "fixed_at": iso(snapshot.taken_at),
        "households": [
            {
                "id": hid,
                "address": places.address.get(hid, ""),
                "floor": floor,
                "area": str(centi_to_area(centi)),
                "owner_group": group.get(hid),
            }
            for hid, floor, centi, _key in rows
        ],
        "corrections": [
            {
                "id": c.id,
                "household": {"id": c.household_id, "address": c.address},
                "kind": c.kind,
                "before": correction_change(c)[0],
                "after": correction_change(c)[1],
                "reason": c.reason,
                "by": users.get(c.user_id),
                "at": iso(c.created_at),
            }
            for c in corrections(snapshot)
        ],
    }


def plan_document(plan: Plan, places: Places) -> dict:
    """The plan as decided: phases with dates, policies, items with scope, rule and funding."""
    items = db.session.scalars(
        select(Item).where(Item.plan_id == plan.id).order_by(Item.position, Item.id)
    ).all()
    names = dict(
        db.session.execute(
            select(Building.id, Building.name).where(Building.community_id == plan.community_id)
        ).all()
    )
    units = dict(
        db.session.execute(
            select(Unit.id, Unit.name).where(Unit.community_id == plan.community_id)
        ).all()
    )
    scopes = defaultdict(list)
    for item_id, building_id, unit_id in db.session.execute(
        select(ItemScope.item_id, ItemScope.building_id, ItemScope.unit_id)
        .join(Item, Item.id == ItemScope.item_id)
        .where(Item.plan_id == plan.id)
        .order_by(ItemScope.id)
    ):
        scopes[item_id].append((names[building_id], units.get(unit_id) if unit_id else None))
    funding = defaultdict(list)
    for f in db.session.scalars(
        select(FundingSource)
        .join(Item, Item.id == FundingSource.item_id)
        .where(Item.plan_id == plan.id)
        .order_by(FundingSource.id)
    ):
        funding[f.item_id].append({"source": f.source, "amount_fen": f.amount_fen, "note": f.note})
    taken_up = defaultdict(list)
    for item_id, proposal_id in db.session.execute(
        select(ItemProposal.item_id, ItemProposal.proposal_id)
        .join(Item, Item.id == ItemProposal.item_id)
        .where(Item.plan_id == plan.id)
        .order_by(ItemProposal.proposal_id)
    ):
        taken_up[item_id].append(proposal_id)
    return {
        "id": plan.id,
        "title": plan.title,
        "description": plan.description,
        "phase": plan.phase,
        "phases": {
            **{
                name: {
                    "opens": iso(getattr(plan, f"{name}_opens")),
                    "closes": iso(getattr(plan, f"{name}_closes")),
                }
                for name in ("proposals", "drafting", "voting")
            },
            "objection_days": plan.objection_days,
        },
        "voting_closed_at": iso(plan.voting_closed_at),
        "voting_closed_reason": plan.voting_closed_reason,
        "policies": {
            "conflict_policy": plan.conflict_policy,
            "paper_double_entry": plan.paper_double_entry,
            "non_voter_policy": plan.non_voter_policy,
        },
        "result_stage": plan.result_stage,
        "preliminary_published_at": iso(plan.preliminary_published_at),
        "objections_close": iso(plan.objections_close),
        "final_published_at": iso(plan.final_published_at),
        "created_at": iso(plan.created_at),
        "items": [
            _item_json(item, scopes[item.id], funding[item.id], taken_up[item.id]) for item in items
        ],
        "proposals": _proposals(plan, places),
    }


def _item_json(item: Item, scopes: list, funding: list, proposals: list) -> dict:
    """One item in the plan file's shape (docs/formats.md), with revision and funding notes."""
    others = sum(f["amount_fen"] for f in funding)
    return {
        "key": item.key,
        "title": item.title,
        "summary": item.summary,
        "description": item.description,
        "category": item.category,
        "rule": item.rule,
        "custom": json.loads(item.rule_params) if item.rule_params else None,
        "scope": {
            "buildings": [b for b, u in scopes if u is None],
            "units": [[b, u] for b, u in scopes if u is not None],
        }
        if scopes
        else None,
        "cost_fen": item.cost_fen,
        "funding": funding,
        "residents_fen": item.cost_fen - others,
        "share_method": item.share_method,
        "floor_coefficients": (
            json.loads(item.floor_coefficients) if item.floor_coefficients else None
        ),
        "revision": item.revision,
        "revision_reason": item.revision_reason,
        "revised_at": iso(item.revised_at),
        "proposals": proposals,
    }


def _proposals(plan: Plan, places: Places) -> list[dict]:
    """Residents' proposals (一上) with their supporters' count and fate."""
    supporters = dict(
        db.session.execute(
            select(ProposalSupport.proposal_id, func.count(ProposalSupport.id))
            .join(Proposal, Proposal.id == ProposalSupport.proposal_id)
            .where(Proposal.plan_id == plan.id)
            .group_by(ProposalSupport.proposal_id)
        ).all()
    )
    return [
        {
            "id": p.id,
            "title": p.title,
            "category": p.category,
            "source": p.source,
            "household": places.household(p.household_id),
            "entered_by": places.user(p.entered_by_id),
            "status": p.status,
            "decline_reason": p.decline_reason,
            "merged_into": p.merged_into_id,
            "supporters": supporters.get(p.id, 0),
            "created_at": iso(p.created_at),
            "decided_at": iso(p.decided_at),
        }
        for p in db.session.scalars(
            select(Proposal).where(Proposal.plan_id == plan.id).order_by(Proposal.id)
        )
    ]


def publication_document(plan: Plan, places: Places) -> dict:
    """Publication (二下): stages and dates, the published summaries, every objection."""
    item_key = dict(
        db.session.execute(select(Item.id, Item.key).where(Item.plan_id == plan.id)).all()
    )
    published = [
        {"action": e.action, "at": iso(e.created_at), "by": e.actor, "record": e.after_data}
        for e in db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.community_id == plan.community_id,
                AuditEvent.record_type == "plan",
                AuditEvent.record_id == str(plan.id),
                AuditEvent.action.like("result.%"),
            )
            .order_by(AuditEvent.id)
        )
    ]
    objections = [
        {
            "id": o.id,
            "item": item_key.get(o.item_id) if o.item_id else None,
            "household": places.household(o.household_id),
            "text": o.text,
            "received_at": iso(o.received_at),
            "recorded_by": places.user(o.recorded_by_id),
            "resolution": o.resolution,
            "resolved_at": iso(o.resolved_at),
            "resolved_by": places.user(o.resolved_by_id),
        }
        for o in db.session.scalars(
            select(Objection).where(Objection.plan_id == plan.id).order_by(Objection.id)
        )
    ]
    return {
        "phase": plan.phase,
        "result_stage": plan.result_stage,
        "preliminary_published_at": iso(plan.preliminary_published_at),
        "objections_close": iso(plan.objections_close),
        "final_published_at": iso(plan.final_published_at),
        "publications": published,
        "objections": objections,
    }


def print_jobs(plan: Plan) -> list[PrintJob]:
    """The plan's print jobs (letters and ballots, not archive jobs), oldest first."""
    return db.session.scalars(
        select(PrintJob)
        .where(PrintJob.plan_id == plan.id, PrintJob.kind.in_(PRINT_KINDS))
        .order_by(PrintJob.id)
    ).all()


def print_job_entry(job: PrintJob, places: Places, stored_as: str | None, note: str) -> dict:
    """A print job in the register: what, which batch, by whom, when, and where its file is."""
    building = db.session.get(Building, job.building_id) if job.building_id else None
    unit = db.session.get(Unit, job.unit_id) if job.unit_id else None
    return {
        "id": job.id,
        "kind": job.kind,
        "batch": (unit.building.name + unit.name) if unit else (building.name if building else ""),
        "status": job.status,
        "households": job.total,
        "pages": job.pages,
        "created_by": places.user(job.created_by_id),
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
        "file": stored_as,
        "file_note": note,
    }


def audit_rows(community_id: int, upto: int, batch: int = 2000) -> Iterator[AuditEvent]:
    """The community's chain from its first event to seq `upto`, a batch at a time."""
    last_seq = 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.chain == chain_of(community_id),
                AuditEvent.seq > last_seq,
                AuditEvent.seq <= upto,
            )
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for event in rows:
            yield event
            db.session.expunge(event)
        last_seq = rows[-1].seq


def audit_line(event: AuditEvent) -> dict:
    """One audit event as stored: exactly the fields its hash covers, plus id and hash (the
    rows' digests only when the event records rows)."""
    line = {
        "id": event.id,
        "community_id": event.community_id,
        "actor": event.actor,
        "action": event.action,
        "record_type": event.record_type,
        "record_id": event.record_id,
        "before": event.before,
        "after": event.after,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "chain": event.chain,
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
    if event.rows is not None:
        line["rows"] = event.rows
    return line
