"""Reads of acceptance and evaluation: passed items, the group, checks, rounds and results."""

import json
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import func, select

from app.aftercare.checklists import default_checklist
from app.aftercare.models import (
    AcceptanceCheck,
    AcceptanceDefect,
    AcceptanceMember,
    EvaluationKeying,
    EvaluationResponse,
    EvaluationRound,
)
from app.communities.models import Building, Household
from app.extensions import db
from app.plans.models import Item, Plan
from app.plans.phases import AFTER_VOTE
from app.plans.queries import items_for_household
from app.rules.satisfaction import ASPECTS, Tally, acceptance_outcome, decode_scores, rate
from app.tally.queries import items_going_ahead


def passed_items(plan: Plan) -> list[Item]:
    """The plan's items that passed the vote, in plan order (none before the final result)."""
    if plan.phase not in AFTER_VOTE:
        return []
    ahead = {item.id for item, _option in items_going_ahead(plan)}
    return [i for i in sorted(plan.items, key=lambda i: (i.position, i.id)) if i.id in ahead]


def applicable_items(plan: Plan, household: Household, passed: list[Item] | None = None):
    """The passed items in this household's scope: the ones it scores."""
    passed = passed_items(plan) if passed is None else passed
    mine = {i.id for i in items_for_household(plan, household)}
    return [i for i in passed if i.id in mine]


def members(plan: Plan) -> list[AcceptanceMember]:
    """The acceptance group: resident representatives first, then staff, in order added."""
    return list(
        db.session.scalars(
            select(AcceptanceMember)
            .where(AcceptanceMember.plan_id == plan.id)
            .order_by(AcceptanceMember.kind, AcceptanceMember.id)
        )
    )


def community_buildings(community_id: int) -> list[Building]:
    """The community's buildings in order (printing forms one building at a time)."""
    return list(
        db.session.scalars(
            select(Building).where(Building.community_id == community_id).order_by(Building.id)
        )
    )


def addresses(household_ids) -> dict[int, str]:
    """{household id: "3号楼2单元601"} for the given households."""
    ids = [i for i in household_ids if i is not None]
    if not ids:
        return {}
    return {
        h.id: f"{h.building.name}{h.unit.name}{h.room}"
        for h in db.session.scalars(select(Household).where(Household.id.in_(ids)))
    }


@dataclass
class ItemAcceptance:
    """One passed item's acceptance as pages and the notice show it."""

    item: Item
    check: AcceptanceCheck | None
    lines: list[dict]  # {"text", "ok"}
    defects: list[AcceptanceDefect] = field(default_factory=list)

    @property
    def result(self) -> str | None:
        """passed, conditional, failed, or None while not yet checked."""
        return self.check.result if self.check else None


def checklist_lines(check: AcceptanceCheck | None, item: Item) -> list[dict]:
    """The item's checklist: the recorded one, else the default for its category."""
    if check is not None:
        return json.loads(check.checklist)
    return [{"text": t, "ok": None} for t in default_checklist(item.category)]


def acceptance_of(plan: Plan, items: list[Item] | None = None) -> list[ItemAcceptance]:
    """Every passed item with its check, checklist and defects."""
    items = passed_items(plan) if items is None else items
    checks = {
        c.item_id: c
        for c in db.session.scalars(
            select(AcceptanceCheck).where(AcceptanceCheck.plan_id == plan.id)
        )
    }
    defects: dict[int, list[AcceptanceDefect]] = {}
    for d in db.session.scalars(
        select(AcceptanceDefect)
        .where(AcceptanceDefect.plan_id == plan.id)
        .order_by(AcceptanceDefect.deadline, AcceptanceDefect.id)
    ):
        defects.setdefault(d.item_id, []).append(d)
    return [
        ItemAcceptance(
            i, checks.get(i.id), checklist_lines(checks.get(i.id), i), defects.get(i.id, [])
        )
        for i in items
    ]


def acceptance_summary(plan: Plan, items_passed: int | None = None) -> dict:
    """Counts for the district: items by result, defects open and rectified, the outcome.

    `items_passed` (the district's cached tally summary) spares a tally of the plan; checks
    and defects exist only for passed items, so they are counted straight from their tables.
    """
    if items_passed is None:
        items_passed = len(passed_items(plan))
    results = list(
        db.session.scalars(
            select(AcceptanceCheck.result).where(
                AcceptanceCheck.plan_id == plan.id, AcceptanceCheck.result.is_not(None)
            )
        )
    )
    defects = dict(
        db.session.execute(
            select(AcceptanceDefect.status, func.count(AcceptanceDefect.id))
            .where(AcceptanceDefect.plan_id == plan.id)
            .group_by(AcceptanceDefect.status)
        ).all()
    )
    return {
        "items": items_passed,
        "checked": len(results),
        "passed": results.count("passed"),
        "conditional": results.count("conditional"),
        "failed": results.count("failed"),
        "outcome": acceptance_outcome(results) if len(results) >= items_passed else "pending",
        "defects_open": defects.get("open", 0),
        "defects_rectified": defects.get("rectified", 0),
    }


def rounds(plan: Plan) -> list[EvaluationRound]:
    """The plan's evaluation rounds, first first."""
    return list(
        db.session.scalars(
            select(EvaluationRound)
            .where(EvaluationRound.plan_id == plan.id)
            .order_by(EvaluationRound.number)
        )
    )


def open_round(plan: Plan) -> EvaluationRound | None:
    """The round taking responses now, if any."""
    return next((r for r in rounds(plan) if r.is_open), None)


def response_of(round_: EvaluationRound, household_id: int) -> EvaluationResponse | None:
    """The household's effective response in this round."""
    return db.session.scalar(
        select(EvaluationResponse).where(
            EvaluationResponse.round_id == round_.id,
            EvaluationResponse.household_id == household_id,
        )
    )


def keyings(round_: EvaluationRound, household_id: int) -> list[EvaluationKeying]:
    """The keyings of one household's printed form in this round, oldest first."""
    return list(
        db.session.scalars(
            select(EvaluationKeying)
            .where(
                EvaluationKeying.round_id == round_.id,
                EvaluationKeying.household_id == household_id,
            )
            .order_by(EvaluationKeying.id)
        )
    )


def mismatches(round_: EvaluationRound) -> list[tuple[Household, list[EvaluationKeying]]]:
    """Forms whose two keyings disagree, waiting for the committee."""
    ids = db.session.scalars(
        select(EvaluationKeying.household_id)
        .where(EvaluationKeying.round_id == round_.id, EvaluationKeying.status == "mismatch")
        .distinct()
    ).all()
    return [
        (
            db.session.get(Household, hid),
            [k for k in keyings(round_, hid) if k.status == "mismatch"],
        )
        for hid in sorted(ids)
    ]


@dataclass
class PlaceParticipation:
    """Households and responses of one building (or the community), and the mean scores."""

    name: str
    households: int
    responses: int
    aspects: dict[str, Tally]

    @property
    def rate(self) -> Fraction | None:
        """Responses as a percentage of households."""
        return rate(self.responses, self.households)


@dataclass
class RoundResults:
    """A round's results: the community, each building, each passed item."""

    round: EvaluationRound
    community: PlaceParticipation
    buildings: list[PlaceParticipation]
    items: list[tuple[Item, Tally]]
    channels: dict[str, int]
    comments: list[str]


def round_results(plan: Plan, round_: EvaluationRound, items: list[Item] | None = None):
    """Participation and scores of a round, by building and by passed item."""
    from app.rules.satisfaction import tally_scores

    items = passed_items(plan) if items is None else items
    rows = db.session.execute(
        select(EvaluationResponse.scores, EvaluationResponse.channel, Household.building_id)
        .join(Household, Household.id == EvaluationResponse.household_id)
        .where(EvaluationResponse.round_id == round_.id)
    ).all()
    per_building: dict[int, list] = {}
    all_scores, channels = [], {}
    for text, channel, building_id in rows:
        s = decode_scores(text)
        all_scores.append(s)
        per_building.setdefault(building_id, []).append(s)
        channels[channel] = channels.get(channel, 0) + 1
    counts = dict(
        db.session.execute(
            select(Household.building_id, func.count(Household.id))
            .where(Household.community_id == plan.community_id)
            .group_by(Household.building_id)
        ).all()
    )
    buildings = []
    for b in db.session.scalars(
        select(Building).where(Building.community_id == plan.community_id).order_by(Building.id)
    ):
        aspects, _items = tally_scores(per_building.get(b.id, []))
        buildings.append(
            PlaceParticipation(
                b.name, counts.get(b.id, 0), len(per_building.get(b.id, [])), aspects
            )
        )
    aspects, by_item = tally_scores(all_scores)
    community = PlaceParticipation("", sum(counts.values()), len(all_scores), aspects)
    return RoundResults(
        round_,
        community,
        buildings,
        [(i, by_item.get(i.id, Tally())) for i in items],
        channels,
        [s.comment for s in all_scores if s.comment],
    )


def evaluation_summary(plan: Plan) -> dict | None:
    """The latest round's participation and mean scores, for the district; None if no round."""
    all_rounds = rounds(plan)
    if not all_rounds:
        return None
    results = round_results(plan, all_rounds[-1], items=[])
    c = results.community
    return {
        "round": all_rounds[-1].number,
        "households": c.households,
        "responses": c.responses,
        "rate": c.rate,
        "averages": {a: c.aspects[a].average for a in ASPECTS},
    }
