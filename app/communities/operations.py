"""Writes on the census: communities, roster import (all or nothing), by household key."""

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update

from app.communities.electorate import community_snapshots, frozen_ids
from app.communities.models import (
    Building,
    Community,
    Household,
    RosterUpload,
    Unit,
    area_to_centi,
    centi_to_area,
)
from app.communities.normalize import natural_key
from app.communities.queries import household_rows
from app.communities.roster import parse_roster
from app.core.audit import log_event
from app.core.codes import hash_owner_id
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db

COMPARED = ("floor", "area", "owner_name", "owner_key", "phone")


def create_community(
    name: str, district: str = "", street: str = "", address: str = ""
) -> Community:
    """Create a community; the name must be new."""
    name = name.strip()
    if not name:
        raise DomainError(_l("请填写小区名称。"))
    if db.session.scalar(select(Community.id).where(Community.name == name)):
        raise DomainError(_l("小区“%(name)s”已存在。", name=name))
    community = Community(
        name=name, district=district.strip(), street=street.strip(), address=address.strip()
    )
    db.session.add(community)
    db.session.flush()
    log_event(
        "community.create",
        "community",
        community.id,
        community_id=community.id,
        after=community.audit_state(),
    )
    return community


def owner_hint(owner_id: str | None) -> str | None:
    """The last four characters of an owner ID, for telling owners apart on screen."""
    return f"…{owner_id[-4:]}" if owner_id else None


@dataclass
class HouseholdChange:
    """One existing household the import will change: its key and field → (old, new)."""

    household_id: int
    key: tuple[str, str, str]
    row: int
    changes: dict[str, tuple] = field(default_factory=dict)


@dataclass(frozen=True)
class FrozenPlanNote:
    """A plan whose electorate is frozen (voting open or result published): the import leaves
    it alone. `changed` households of the import are in that electorate, counted as frozen."""

    plan_id: int
    plan_title: str
    taken_at: datetime
    changed: int


@dataclass
class RosterPlan:
    """What an import will do, computed once for the preview and again for the write."""

    rows: list
    new_rows: list
    changed: list[HouseholdChange]
    unchanged: int
    not_in_file: int
    buildings: list[tuple[str, int, Decimal]]  # name, households, area
    units: int
    total_area: Decimal
    owners_with_several: list[tuple[str, str | None, int]]  # owner name, ID hint, households
    frozen_plans: list[FrozenPlanNote] = field(default_factory=list)

    @property
    def households(self) -> int:
        """Households in the file."""
        return len(self.rows)

    @property
    def owner_changes(self) -> int:
        """Existing households whose owner name would change: a sign of a misaligned file."""
        return sum(1 for c in self.changed if "owner_name" in c.changes)


def _existing_households(community: Community) -> dict[tuple[str, str, str], dict]:
    """The community's households by key, as plain dicts (one query)."""
    rows = household_rows(
        community.id,
        Household.floor,
        Household.area_centi,
        Household.owner_name,
        Household.owner_key,
        Household.phone,
    )
    return {
        (b, u, room): {
            "id": hid,
            "floor": floor,
            "area": centi_to_area(area),
            "owner_name": owner,
            "owner_key": okey,
            "phone": phone,
        }
        for hid, b, u, room, floor, area, owner, okey, phone in rows
    }


def _row_values(row, key: str) -> dict:
    """The stored values a roster row stands for."""
    return {
        "floor": row.floor,
        "area": row.area,
        "owner_name": row.owner_name,
        "owner_key": hash_owner_id(row.owner_id, key) if row.owner_id else None,
        "phone": row.phone,
    }


def _db_values(values: dict) -> dict:
    """Household column values for a dict of compared fields (area → area_centi)."""
    out = dict(values)
    if "area" in out:
        out["area_centi"] = area_to_centi(out.pop("area"))
    return out


def plan_roster_import(community: Community, rows: list) -> RosterPlan:
    """Compare parsed roster rows with the community's households; write nothing."""
    key = current_app.config["HASH_KEY"]
    existing = _existing_households(community)
    new_rows, changed, unchanged = [], [], 0
    seen = set()
    for row in rows:
        seen.add(row.key)
        values = _row_values(row, key)
        old = existing.get(row.key)
        if old is None:
            new_rows.append(row)
            continue
        diff = {f: (old[f], values[f]) for f in COMPARED if old[f] != values[f]}
        if diff:
            changed.append(HouseholdChange(old["id"], row.key, row.row, diff))
        else:
            unchanged += 1
    per_building: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    units = set()
    for row in rows:
        per_building[row.building][0] += 1
        per_building[row.building][1] += row.area
        units.add((row.building, row.unit))
    owner_counts = Counter(row.owner_id for row in rows if row.owner_id)
    owner_names = {}
    for row in rows:
        if row.owner_id and owner_counts[row.owner_id] > 1:
            owner_names.setdefault(row.owner_id, row.owner_name)
    owners = sorted(
        ((owner_names[o], owner_hint(o), n) for o, n in owner_counts.items() if n > 1),
        key=lambda t: (-t[2], t[0]),
    )
    return RosterPlan(
        rows=rows,
        new_rows=new_rows,
        changed=changed,
        unchanged=unchanged,
        not_in_file=len(set(existing) - seen),
        buildings=sorted(
            ((b, n, a) for b, (n, a) in per_building.items()), key=lambda t: natural_key(t[0])
        ),
        units=len(units),
        total_area=sum((row.area for row in rows), Decimal(0)),
        owners_with_several=owners,
        frozen_plans=frozen_plan_notes(community, changed),
    )


def frozen_plan_notes(community: Community, changed: list[HouseholdChange]) -> list[FrozenPlanNote]:
    """The plans an import does not affect because their electorate is frozen (design §3c),
    with how many of the households it changes are in each of them."""
    notes = []
    for snapshot in community_snapshots(community.id):
        members = frozen_ids(snapshot)
        counted = {"floor", "area", "owner_key"}  # what the vote and the shares read
        n = sum(1 for c in changed if c.household_id in members and counted & set(c.changes))
        notes.append(FrozenPlanNote(snapshot.plan_id, snapshot.plan_title, snapshot.taken_at, n))
    return notes


def _ensure_places(community: Community, rows: list) -> dict[tuple[str, str], tuple[int, int]]:
    """Create missing buildings and units; map (building, unit) → (building_id, unit_id)."""
    buildings = {
        b.name: b
        for b in db.session.scalars(select(Building).where(Building.community_id == community.id))
    }
    units = {
        (u.building_id, u.name): u
        for u in db.session.scalars(select(Unit).where(Unit.community_id == community.id))
    }
    places = {}
    for building_name, unit_name in sorted({(r.building, r.unit) for r in rows}):
        building = buildings.get(building_name)
        if building is None:
            building = Building(community_id=community.id, name=building_name)
            db.session.add(building)
            db.session.flush()
            buildings[building_name] = building
        unit = units.get((building.id, unit_name))
        if unit is None:
            unit = Unit(community_id=community.id, building_id=building.id, name=unit_name)
            db.session.add(unit)
            db.session.flush()
            units[(building.id, unit_name)] = unit
        places[(building_name, unit_name)] = (building.id, unit.id)
    return places


def apply_roster_import(
    community: Community,
    plan: RosterPlan,
    *,
    filename: str,
    sha256: str,
    skipped_rows: list[int] | None = None,
) -> dict:
    """Write a planned import: insert new households, update changed ones, audit it (with the
    title and totals rows the file's reading skipped)."""
    key = current_app.config["HASH_KEY"]
    places = _ensure_places(community, plan.new_rows)
    now = utcnow()
    if plan.new_rows:
        db.session.execute(
            insert(Household),
            [
                {
                    "community_id": community.id,
                    "building_id": places[(r.building, r.unit)][0],
                    "unit_id": places[(r.building, r.unit)][1],
                    "room": r.room,
                    "owner_id_hint": owner_hint(r.owner_id),
                    "created_at": now,
                    "updated_at": now,
                    **_db_values(_row_values(r, key)),
                }
                for r in plan.new_rows
            ],
        )
    by_key = {r.key: r for r in plan.rows}
    if plan.changed:
        db.session.execute(
            update(Household),
            [
                {
                    "id": c.household_id,
                    "updated_at": now,
                    "owner_id_hint": owner_hint(by_key[c.key].owner_id),
                    **_db_values({f: new for f, (_old, new) in c.changes.items()}),
                }
                for c in plan.changed
            ],
        )
    summary = {
        "file": filename,
        "sha256": sha256,
        "households_in_file": plan.households,
        "created": len(plan.new_rows),
        "updated": len(plan.changed),
        "unchanged": plan.unchanged,
        "frozen_plans_unaffected": [n.plan_id for n in plan.frozen_plans],
    }
    log_event(
        "roster.import",
        "community",
        community.id,
        community_id=community.id,
        before={
            "changed": {
                "".join(c.key): {f: old for f, (old, _n) in c.changes.items()} for c in plan.changed
            }
        },
        after={
            **summary,
            "created_keys": ["".join(r.key) for r in plan.new_rows],
            "skipped_rows": list(skipped_rows or []),
            "changed": {
                "".join(c.key): {f: new for f, (_o, new) in c.changes.items()} for c in plan.changed
            },
        },
    )
    return summary


def store_roster_upload(community: Community, user, filename: str, data: bytes) -> RosterUpload:
    """Keep an uploaded roster until its preview is confirmed."""
    upload = RosterUpload(
        community_id=community.id,
        user_id=user.id,
        filename=filename[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    db.session.add(upload)
    db.session.flush()
    log_event(
        "roster.upload",
        "roster_upload",
        upload.id,
        community_id=community.id,
        after={"file": upload.filename, "sha256": upload.sha256, "bytes": len(data)},
    )
    return upload


def import_roster_file(community: Community, data: bytes, filename: str) -> dict:
    """Parse and import a roster file in one go (CLI); any error raises and writes nothing."""
    result = parse_roster(data, filename)
    if result.errors:
        raise DomainError(*[format_issue(e) for e in result.errors])
    plan = plan_roster_import(community, result.rows)
    summary = apply_roster_import(
        community,
        plan,
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        skipped_rows=[issue.row for issue in result.skipped],
    )
    return {**summary, "skipped": [format_issue(e) for e in result.skipped]}


def format_issue(issue) -> str:
    """One roster issue as a line of text (row and column are already in the message)."""
    return str(issue.message)


def mark_upload_imported(upload: RosterUpload) -> None:
    """Record that an upload's preview was confirmed and imported."""
    upload.imported_at = utcnow()
    upload.data = b""
    db.session.flush()
