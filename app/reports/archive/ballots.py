"""The ballots and the paper trail of an archive (一小区一档案), read in chunks of households:
every ballot with its versions and choices, effective ballots and conflicts, deliveries, paper
serials, every keying of a paper ballot and the committee's resolutions."""

import json
from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.paper.keying import decode_keying
from app.paper.models import Delivery, PaperEntry, PaperSerial
from app.plans.models import Item, Plan
from app.reports.archive.contents import Places, iso
from app.reports.queries import ballot_choice_rows
from app.voting.models import Ballot, EffectiveBallot

CHUNK = 500  # households per query round when streaming ballots


class BallotBook:
    """Every ballot of the plan, household by household, with the conflicts met on the way."""

    def __init__(self, plan: Plan, places: Places):
        self.plan, self.places = plan, places
        items = db.session.execute(
            select(Item.id, Item.key, Item.revision, Item.position).where(Item.plan_id == plan.id)
        ).all()
        self.item_key = {i.id: i.key for i in items}
        self.item_revision = {i.id: i.revision for i in items}
        self.item_rank = {i.id: (i.position, i.id) for i in items}
        self.serials = dict(
            db.session.execute(
                select(PaperSerial.id, PaperSerial.serial).where(PaperSerial.plan_id == plan.id)
            ).all()
        )
        self.conflicts: list[dict] = []
        self.counts: dict[str, int] = defaultdict(int)

    def households(self) -> Iterator[dict]:
        """One entry per household with ballots, in household order: its ballots, oldest first."""
        order = self.places.order
        for start in range(0, len(order), CHUNK):
            chunk = order[start : start + CHUNK]
            ballots = self._ballots(chunk)
            if not ballots:
                continue
            choices = self._choices(chunk)
            effective = {
                row.household_id: row
                for row in db.session.execute(
                    select(
                        EffectiveBallot.household_id,
                        EffectiveBallot.ballot_id,
                        EffectiveBallot.conflict,
                        EffectiveBallot.reason,
                        EffectiveBallot.updated_at,
                    ).where(
                        EffectiveBallot.plan_id == self.plan.id,
                        EffectiveBallot.household_id.in_(chunk),
                    )
                )
            }
            for household_id in chunk:
                if household_id in ballots:
                    yield self._household(
                        household_id, ballots[household_id], choices, effective.get(household_id)
                    )

    def _ballots(self, chunk: list[int]) -> dict[int, list]:
        """The chunk's ballots by household, in recording order."""
        found = defaultdict(list)
        for row in db.session.execute(
            select(
                Ballot.id,
                Ballot.household_id,
                Ballot.channel,
                Ballot.recorded_at,
                Ballot.recorded_by_id,
                Ballot.receipt,
                Ballot.serial_id,
                Ballot.authorised_by,
                Ballot.witness,
                Ballot.note,
            )
            .where(Ballot.plan_id == self.plan.id, Ballot.household_id.in_(chunk))
            .order_by(Ballot.recorded_at, Ballot.id)
        ):
            found[row.household_id].append(row)
        return found

    def _choices(self, chunk: list[int]) -> dict[int, list[dict]]:
        """The chunk's ballot choices by ballot, in item order; stale revisions marked void."""
        found = defaultdict(list)
        rows = ballot_choice_rows(self.plan.id, chunk)
        rank = self.item_rank
        unknown = (0, 0)
        for ballot_id, item_id, revision, chosen, pledge in sorted(
            rows, key=lambda r: (r[0], rank.get(r[1], unknown))
        ):
            choice = {
                "item": self.item_key.get(item_id),
                "revision": revision,
                "choice": chosen,
                "pledge": bool(pledge),
            }
            # An item revised during voting voids the choices made on an older revision.
            if revision != self.item_revision.get(item_id):
                choice["void"] = True
                self.counts["void_choices"] += 1
            found[ballot_id].append(choice)
        return found

    def _household(self, household_id: int, ballots: list, choices: dict, effective) -> dict:
        """One household's ballots: versions, channel, who recorded them, effective or not."""
        online_total = sum(1 for b in ballots if b.channel == "online")
        online_seen = 0
        entries = []
        for b in ballots:
            entry = {
                "id": b.id,
                "channel": b.channel,
                "recorded_at": iso(b.recorded_at),
                "recorded_by": self.places.user(b.recorded_by_id),
                "receipt": b.receipt,
            }
            if b.channel == "online":
                online_seen += 1
                entry["version"] = online_seen
                entry["latest_online"] = online_seen == online_total
            if b.serial_id is not None:
                entry["serial"] = self.serials.get(b.serial_id)
            if b.channel == "assisted" or b.authorised_by or b.witness:
                entry["authorised_by"] = b.authorised_by
                entry["witness"] = b.witness
            if b.note:
                entry["note"] = b.note
            counts = effective is not None and effective.ballot_id == b.id
            entry["status"] = "effective" if counts else "superseded"
            entry["choices"] = choices.get(b.id, [])
            entries.append(entry)
            self.counts["ballots"] += 1
            self.counts[f"channel_{b.channel}"] += 1
        doc = {**self.places.household(household_id), "ballots": entries}
        if effective is not None:
            doc["effective"] = {
                "ballot": effective.ballot_id,
                "conflict": bool(effective.conflict),
                "reason": effective.reason,
                "updated_at": iso(effective.updated_at),
            }
            self.counts["effective"] += 1
            if effective.conflict:
                self.conflicts.append(
                    {
                        **self.places.household(household_id),
                        "effective_ballot": effective.ballot_id,
                        "reason": effective.reason,
                        "ballots": [b.id for b in ballots],
                    }
                )
        else:
            doc["effective"] = None
        self.counts["households"] += 1
        return doc

    def deliveries(self) -> list[dict]:
        """Recorded deliveries of ballots or letters (the follow_majority policy reads them)."""
        rows = db.session.execute(
            select(
                Delivery.household_id,
                Delivery.delivered_at,
                Delivery.method,
                Delivery.recorded_by_id,
            ).where(Delivery.plan_id == self.plan.id)
        ).all()
        rank = {hid: n for n, hid in enumerate(self.places.order)}
        return [
            {
                **self.places.household(r.household_id),
                "delivered_at": iso(r.delivered_at),
                "method": r.method,
                "recorded_by": self.places.user(r.recorded_by_id),
            }
            for r in sorted(rows, key=lambda r: rank.get(r.household_id, 0))
        ]


def serial_state(serial: PaperSerial) -> str:
    """issued, void, returned (collected, awaiting or done with entry) or invalid."""
    if serial.invalid_reason:
        return "invalid"
    if serial.status == "void":
        return "void"
    return "returned" if serial.returned_at else "issued"


def paper_serials(plan: Plan, places: Places) -> Iterator[dict]:
    """Every printed serial of the plan, in serial-id (printing) order."""
    query = select(PaperSerial).where(PaperSerial.plan_id == plan.id).order_by(PaperSerial.id)
    for s in db.session.scalars(query.execution_options(yield_per=CHUNK)):
        yield {
            "serial": s.serial,
            "state": serial_state(s),
            "status": s.status,
            "household": places.household(s.household_id),
            "printed_at": iso(s.printed_at),
            "printed_by": places.user(s.printed_by_id),
            "voided_at": iso(s.voided_at),
            "returned_at": iso(s.returned_at),
            "invalid_reason": s.invalid_reason,
        }


def paper_entries(plan: Plan, places: Places, serials: dict[int, str]) -> Iterator[dict]:
    """Every keying of a paper ballot: who keyed it, when, what, and what became of it."""
    query = select(PaperEntry).where(PaperEntry.plan_id == plan.id).order_by(PaperEntry.id)
    for e in db.session.scalars(query.execution_options(yield_per=CHUNK)):
        keying = decode_keying(e.choices)
        yield {
            "id": e.id,
            "serial": serials.get(e.serial_id) if e.serial_id else None,
            "household": places.household(e.household_id),
            "entered_by": places.user(e.entered_by_id),
            "entered_at": iso(e.entered_at),
            "values": {"choices": dict(keying.choices), "pledges": sorted(keying.pledges)},
            "status": e.status,
            "ballot": e.ballot_id,
        }


def paper_reviews(plan: Plan, places: Places) -> list[dict]:
    """The committee's resolutions of mismatched keyings, with the entries each one settled."""
    resolutions = db.session.execute(
        select(PaperEntry.id, PaperEntry.household_id, PaperEntry.entered_by_id,
               PaperEntry.entered_at, PaperEntry.ballot_id)
        .where(PaperEntry.plan_id == plan.id, PaperEntry.status == "resolution")
        .order_by(PaperEntry.id)
    ).all()  # fmt: skip
    settled = {}
    if resolutions:
        for record_id, before in db.session.execute(
            select(AuditEvent.record_id, AuditEvent.before).where(
                AuditEvent.community_id == plan.community_id,
                AuditEvent.action == "paper.resolve",
                AuditEvent.record_type == "paper_entry",
            )
        ):
            settled[record_id] = (json.loads(before) if before else {}).get("entries", [])
    return [
        {
            "entry": r.id,
            "household": places.household(r.household_id),
            "resolved_by": places.user(r.entered_by_id),
            "resolved_at": iso(r.entered_at),
            "settled_entries": settled.get(str(r.id), []),
            "ballot": r.ballot_id,
        }
        for r in resolutions
    ]
