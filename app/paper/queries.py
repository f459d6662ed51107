"""Reads on paper ballots: the register per building, the review queue, one ballot's entries."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.accounts.models import User
from app.communities.models import Building, Household
from app.extensions import db
from app.paper.keying import COUNTED, Keying, decode_keying
from app.paper.models import Delivery, PaperEntry, PaperSerial
from app.plans.models import Plan
from app.rules.shares import household_order

REGISTER_COLUMNS = (
    "households",
    "issued",
    "delivered",
    "returned",
    "entered",
    "confirmed",
    "invalid",
    "awaiting",
    "in_review",
)


@dataclass
class RegisterRow:
    """One building's paper ballots (or the community's, for the total row)."""

    building: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REGISTER_COLUMNS, 0))


def _by_building(query) -> dict[int, int]:
    """{building id: count} from a select of (building id, count)."""
    return dict(db.session.execute(query).all())


def ballot_register(plan: Plan) -> tuple[list[RegisterRow], RegisterRow]:
    """Issued, delivered, returned, entered, confirmed, invalid (and waiting) per building."""
    building = Household.building_id
    in_plan = Household.community_id == plan.community_id

    def households_with(*conditions):
        return (
            select(building, func.count(func.distinct(PaperEntry.household_id)))
            .join(Household, Household.id == PaperEntry.household_id)
            .where(PaperEntry.plan_id == plan.id, *conditions)
            .group_by(building)
        )

    def serials_with(*conditions):
        return (
            select(building, func.count(PaperSerial.id))
            .join(Household, Household.id == PaperSerial.household_id)
            .where(PaperSerial.plan_id == plan.id, *conditions)
            .group_by(building)
        )

    counted = (
        select(PaperEntry.household_id)
        .where(PaperEntry.plan_id == plan.id, PaperEntry.status.in_(COUNTED))
        .scalar_subquery()
    )
    columns = {
        "households": select(building, func.count(Household.id)).where(in_plan).group_by(building),
        "issued": serials_with(PaperSerial.status == "issued"),
        "delivered": select(building, func.count(Delivery.id))
        .join(Household, Household.id == Delivery.household_id)
        .where(Delivery.plan_id == plan.id)
        .group_by(building),
        "returned": serials_with(PaperSerial.returned_at.is_not(None)),
        "entered": households_with(PaperEntry.status != "superseded"),
        "confirmed": households_with(PaperEntry.status.in_(COUNTED)),
        "invalid": serials_with(PaperSerial.invalid_reason.is_not(None)),
        "awaiting": households_with(
            PaperEntry.status == "pending", PaperEntry.household_id.not_in(counted)
        ),
        "in_review": households_with(PaperEntry.status == "mismatch"),
    }
    names = dict(
        db.session.execute(
            select(Building.id, Building.name).where(Building.community_id == plan.community_id)
        ).all()
    )
    rows = {bid: RegisterRow(name) for bid, name in names.items()}
    total = RegisterRow("")
    for column, query in columns.items():
        for bid, n in _by_building(query).items():
            rows[bid].counts[column] = n
            total.counts[column] += n
    ordered = sorted(rows.values(), key=lambda r: household_order(r.building))
    return ordered, total


@dataclass(frozen=True)
class EntryView:
    """One keying as the review page shows it."""

    id: int
    status: str
    keying: Keying
    entered_by: str
    entered_at: object


@dataclass
class ReviewCase:
    """A paper ballot whose two keyings disagree."""

    household: Household
    serial: PaperSerial | None
    entries: list[EntryView]


def _users(ids) -> dict[int, str]:
    """Display names of staff users by id."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {
        u.id: u.display_name or u.username
        for u in db.session.scalars(select(User).where(User.id.in_(ids)))
    }


def entry_views(entries: list[PaperEntry]) -> list[EntryView]:
    """Entries with decoded keyings and who keyed them."""
    names = _users(e.entered_by_id for e in entries)
    return [
        EntryView(
            e.id, e.status, decode_keying(e.choices), names.get(e.entered_by_id, "—"), e.entered_at
        )
        for e in entries
    ]


def review_queue(plan: Plan) -> list[ReviewCase]:
    """Paper ballots waiting for a committee member, in household order."""
    entries = db.session.scalars(
        select(PaperEntry)
        .where(PaperEntry.plan_id == plan.id, PaperEntry.status == "mismatch")
        .order_by(PaperEntry.id)
    ).all()
    groups: dict[tuple, list[PaperEntry]] = defaultdict(list)
    for e in entries:
        groups[(e.household_id, e.serial_id)].append(e)
    cases = []
    for (household_id, serial_id), group in groups.items():
        cases.append(
            ReviewCase(
                db.session.get(Household, household_id),
                db.session.get(PaperSerial, serial_id) if serial_id else None,
                entry_views(group),
            )
        )
    return sorted(
        cases,
        key=lambda c: household_order(
            c.household.building.name, c.household.unit.name, c.household.room
        ),
    )


def review_case(plan: Plan, entry_id: int) -> ReviewCase | None:
    """The review case one of its mismatched entries belongs to."""
    entry = db.session.scalar(
        select(PaperEntry).where(
            PaperEntry.id == entry_id,
            PaperEntry.plan_id == plan.id,
            PaperEntry.status == "mismatch",
        )
    )
    if entry is None:
        return None
    return next((c for c in review_queue(plan) if any(e.id == entry.id for e in c.entries)), None)


def ballot_entries(plan: Plan, serial: PaperSerial) -> list[EntryView]:
    """Every keying of one serial, oldest first."""
    entries = db.session.scalars(
        select(PaperEntry)
        .where(PaperEntry.plan_id == plan.id, PaperEntry.serial_id == serial.id)
        .order_by(PaperEntry.id)
    ).all()
    return entry_views(entries)
