"""The frozen electorate (design §3c): the census a plan's vote is counted on, copied when
voting opens, and the committee's recorded corrections of it.

Once a plan has a snapshot, everything counted for it (tally, notices, shares, exports) reads
the snapshot's households; the live census is used only before opening. A roster import
changes the census, never a snapshot. A correction changes one frozen household — its area, its
owner group, or whether it belongs at all — with a reason, before and after, and an audit event.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, delete, exists, func, insert, literal, select

from app.communities.models import (
    ElectorateCorrection,
    ElectorateSnapshot,
    FrozenHousehold,
    Household,
    area_to_centi,
    centi_to_area,
)
from app.communities.queries import household_rows
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db

CORRECTION_KINDS = ("area", "owner", "add", "remove")


def snapshot_for(plan_id: int) -> ElectorateSnapshot | None:
    """The plan's frozen electorate, or None before voting opened."""
    query = select(ElectorateSnapshot).where(ElectorateSnapshot.plan_id == plan_id)
    return db.session.scalar(query)


def may_vote_on(plan_id: int, household_id: int) -> ColumnElement[bool]:
    """SQL condition: the household belongs to the plan's electorate — its frozen electorate
    once voting opened, the whole census before (no snapshot yet). For a WHERE clause, so the
    check costs no statement of its own."""
    frozen = exists().where(ElectorateSnapshot.plan_id == plan_id)
    member = exists().where(
        FrozenHousehold.snapshot_id == ElectorateSnapshot.id,
        ElectorateSnapshot.plan_id == plan_id,
        FrozenHousehold.household_id == household_id,
    )
    return ~frozen | member


def take_snapshot(community_id: int, plan_id: int, plan_title: str) -> ElectorateSnapshot:
    """Copy the community's census as the plan's electorate (once; called when voting opens)."""
    existing = snapshot_for(plan_id)
    if existing is not None:
        return existing
    snapshot = ElectorateSnapshot(
        community_id=community_id, plan_id=plan_id, plan_title=plan_title[:200], taken_at=utcnow()
    )
    db.session.add(snapshot)
    db.session.flush()
    db.session.execute(
        insert(FrozenHousehold).from_select(
            [
                "community_id",
                "snapshot_id",
                "household_id",
                "building_id",
                "unit_id",
                "floor",
                "area_centi",
                "owner_key",
            ],
            select(
                Household.community_id,
                literal(snapshot.id),
                Household.id,
                Household.building_id,
                Household.unit_id,
                Household.floor,
                Household.area_centi,
                Household.owner_key,
            )
            .where(Household.community_id == community_id)
            .order_by(Household.id),
        )
    )
    households, area = snapshot_totals(snapshot)
    log_event(
        "electorate.snapshot",
        "plan",
        plan_id,
        community_id=community_id,
        after={"households": households, "area": str(area), "sha256": snapshot_digest(snapshot)},
    )
    return snapshot


def snapshot_digest(snapshot: ElectorateSnapshot) -> str:
    """SHA-256 over the frozen rows (household, building, unit, floor, area, owner key), in
    household order: recorded in the audit trail, so the rows can later be proven from it."""
    digest = hashlib.sha256()
    rows = db.session.execute(
        select(
            FrozenHousehold.household_id,
            FrozenHousehold.building_id,
            FrozenHousehold.unit_id,
            FrozenHousehold.floor,
            FrozenHousehold.area_centi,
            FrozenHousehold.owner_key,
        )
        .where(FrozenHousehold.snapshot_id == snapshot.id)
        .order_by(FrozenHousehold.household_id)
    )
    for row in rows:
        digest.update(("|".join("" if v is None else str(v) for v in row) + "\n").encode())
    return digest.hexdigest()


def snapshot_totals(snapshot: ElectorateSnapshot) -> tuple[int, Decimal]:
    """Households and area (m²) of a frozen electorate."""
    n, centi = db.session.execute(
        select(func.count(), func.coalesce(func.sum(FrozenHousehold.area_centi), 0)).where(
            FrozenHousehold.snapshot_id == snapshot.id
        )
    ).one()
    return n, centi_to_area(centi)


def community_snapshots(community_id: int) -> list[ElectorateSnapshot]:
    """The community's frozen electorates, oldest first (plans that have opened voting)."""
    return db.session.scalars(
        select(ElectorateSnapshot)
        .where(ElectorateSnapshot.community_id == community_id)
        .order_by(ElectorateSnapshot.id)
    ).all()


def frozen_household(snapshot: ElectorateSnapshot, household_id: int) -> FrozenHousehold | None:
    """The frozen row of a household, or None when it is not in the electorate."""
    return db.session.scalar(
        select(FrozenHousehold).where(
            FrozenHousehold.snapshot_id == snapshot.id,
            FrozenHousehold.household_id == household_id,
        )
    )


def frozen_ids(snapshot: ElectorateSnapshot) -> set[int]:
    """Ids of the households in a frozen electorate."""
    return set(
        db.session.scalars(
            select(FrozenHousehold.household_id).where(FrozenHousehold.snapshot_id == snapshot.id)
        )
    )


def corrections(snapshot: ElectorateSnapshot | None) -> list[ElectorateCorrection]:
    """A frozen electorate's corrections, oldest first."""
    if snapshot is None:
        return []
    return db.session.scalars(
        select(ElectorateCorrection)
        .where(ElectorateCorrection.snapshot_id == snapshot.id)
        .order_by(ElectorateCorrection.id)
    ).all()


def _state(snapshot: ElectorateSnapshot, row: FrozenHousehold | None) -> dict:
    """What a correction records of a frozen household: in or out, area, and how many
    households its owner has in the electorate (never the owner key itself)."""
    if row is None:
        return {"in_electorate": False}
    return {
        "in_electorate": True,
        "area": str(centi_to_area(row.area_centi)),
        "owner_households": _owner_households(snapshot, row),
    }


def _owner_households(snapshot: ElectorateSnapshot, row: FrozenHousehold) -> int:
    """Households of the frozen household's owner in the electorate (1: its own owner)."""
    if row.owner_key is None:
        return 1
    return db.session.scalar(
        select(func.count()).where(
            FrozenHousehold.snapshot_id == snapshot.id, FrozenHousehold.owner_key == row.owner_key
        )
    )


@dataclass(frozen=True)
class CorrectionRequest:
    """What the committee asks to change: a kind, and the new area or owner's household."""

    kind: str
    reason: str
    area: Decimal | None = None  # area (and optionally add): the right area in m²
    same_owner_as: Household | None = None  # owner: None = the household is its own owner


def correct_electorate(
    snapshot: ElectorateSnapshot, household: Household, request: CorrectionRequest, user
) -> ElectorateCorrection:
    """Correct one household of a frozen electorate (a committee act): checked, recorded with
    its reason, before and after, and an audit event; later notices list it."""
    reason = request.reason.strip()
    if not reason:
        raise DomainError(_l("请说明更正表决范围的原因。"))
    if request.kind not in CORRECTION_KINDS:
        raise DomainError(_l("未知的更正类型。"))
    if household.community_id != snapshot.community_id:
        raise DomainError(_l("这一户不属于本小区。"))
    row = frozen_household(snapshot, household.id)
    if request.kind == "add":
        if row is not None:
            raise DomainError(_l("这一户已在表决范围内。"))
    elif row is None:
        raise DomainError(_l("这一户不在表决范围内。"))
    before = _state(snapshot, row)
    if request.kind == "area":
        centi = _valid_area(request.area)
        if centi == row.area_centi:
            raise DomainError(_l("新面积与表决范围中的面积相同，无需更正。"))
        row.area_centi = centi
    elif request.kind == "owner":
        _regroup(snapshot, row, request.same_owner_as)
    elif request.kind == "add":
        centi = _valid_area(request.area) if request.area is not None else household.area_centi
        row = FrozenHousehold(
            community_id=household.community_id,
            snapshot_id=snapshot.id,
            household_id=household.id,
            building_id=household.building_id,
            unit_id=household.unit_id,
            floor=household.floor,
            area_centi=centi,
            owner_key=household.owner_key,
        )
        db.session.add(row)
    else:  # remove
        db.session.execute(delete(FrozenHousehold).where(FrozenHousehold.id == row.id))
        row = None
    db.session.flush()
    after = _state(snapshot, row)
    correction = ElectorateCorrection(
        community_id=snapshot.community_id,
        snapshot_id=snapshot.id,
        household_id=household.id,
        kind=request.kind,
        address=household.address_label,
        before=json.dumps(before, ensure_ascii=False),
        after=json.dumps(after, ensure_ascii=False),
        reason=reason,
        user_id=user.id,
        created_at=utcnow(),
    )
    db.session.add(correction)
    db.session.flush()
    log_event(
        "electorate.correct",
        "plan",
        snapshot.plan_id,
        community_id=snapshot.community_id,
        before={"household": household.address_label, **before},
        after={
            "household": household.address_label,
            "kind": request.kind,
            "reason": reason,
            "correction": correction.id,
            **after,
            "sha256": snapshot_digest(snapshot),
        },
    )
    return correction


def _valid_area(area: Decimal | None) -> int:
    """A corrected area in centi-m²: positive, at most two decimals."""
    if area is None or area <= 0:
        raise DomainError(_l("请填写正确的面积（平方米，大于 0）。"))
    try:
        return area_to_centi(area)
    except ValueError:
        raise DomainError(_l("面积最多保留两位小数。")) from None


def _regroup(snapshot: ElectorateSnapshot, row: FrozenHousehold, same_as: Household | None):
    """Make a frozen household its own owner (same_as None) or one owner with another's."""
    if same_as is None:
        if _owner_households(snapshot, row) == 1:
            raise DomainError(_l("这一户在表决范围中已按单独业主计算。"))
        row.owner_key = None
        return
    other = frozen_household(snapshot, same_as.id)
    if other is None or other.id == row.id:
        raise DomainError(_l("请选择表决范围内的另一户作为同一业主。"))
    if other.owner_key is None:
        # A group needs a key; a label that can never equal an owner-ID hash (64 hex digits).
        other.owner_key = f"group:{snapshot.id}:{other.household_id}"
    if row.owner_key == other.owner_key:
        raise DomainError(_l("这两户在表决范围中已是同一业主。"))
    row.owner_key = other.owner_key


def correction_change(correction: ElectorateCorrection) -> tuple[dict, dict]:
    """A correction's before and after, decoded."""
    return json.loads(correction.before), json.loads(correction.after)


@dataclass(frozen=True)
class Drift:
    """How the census has moved away from a frozen electorate since voting opened."""

    changed: list[tuple[int, str, Decimal, Decimal, bool]]  # id, address, frozen, census, owner
    not_in_electorate: list[tuple[int, str]]  # households of the census the snapshot lacks


def census_drift(snapshot: ElectorateSnapshot) -> Drift:
    """Frozen households whose census area or owner differs now, and census households outside
    the electorate (added later, or removed by a correction) — for the committee to judge."""
    frozen = {
        r.household_id: r
        for r in db.session.scalars(
            select(FrozenHousehold).where(FrozenHousehold.snapshot_id == snapshot.id)
        )
    }
    rows = household_rows(
        snapshot.community_id, Household.area_centi, Household.owner_key, Household.floor
    )
    changed, outside = [], []
    for hid, building, unit, room, centi, owner_key, floor in rows:
        address = f"{building}{unit}{room}"
        row = frozen.get(hid)
        if row is None:
            outside.append((hid, address))
            continue
        owner_moved = owner_key != row.owner_key and not (row.owner_key or "").startswith("group:")
        if centi != row.area_centi or owner_moved or floor != row.floor:
            changed.append(
                (hid, address, centi_to_area(row.area_centi), centi_to_area(centi), owner_moved)
            )
    return Drift(changed, outside)


def copy_snapshot(source: ElectorateSnapshot, plan_id: int, plan_title: str) -> ElectorateSnapshot:
    """Give another plan the same frozen electorate (a runoff, 决选, is voted by the electorate
    of the vote it decides: design §3a). The rows are copied as they stand, corrections
    included, and keep the source's freezing time; audited with both digests."""
    if snapshot_for(plan_id) is not None:
        raise DomainError(_l("这个方案的表决范围已经固定。"))
    snapshot = ElectorateSnapshot(
        community_id=source.community_id,
        plan_id=plan_id,
        plan_title=plan_title[:200],
        taken_at=source.taken_at,
    )
    db.session.add(snapshot)
    db.session.flush()
    columns = ("community_id", "household_id", "building_id", "unit_id", "floor", "area_centi",
               "owner_key")  # fmt: skip
    f = FrozenHousehold
    db.session.execute(
        insert(f).from_select(
            ["snapshot_id", *columns],
            select(literal(snapshot.id), *(getattr(f, c) for c in columns))
            .where(f.snapshot_id == source.id)
            .order_by(f.household_id),
        )
    )
    households, area = snapshot_totals(snapshot)
    log_event(
        "electorate.snapshot_copy",
        "plan",
        plan_id,
        community_id=source.community_id,
        after={
            "from_plan": source.plan_id,
            "households": households,
            "area": str(area),
            "sha256": snapshot_digest(snapshot),
            "source_sha256": snapshot_digest(source),
        },
    )
    return snapshot
