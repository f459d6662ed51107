"""Builders for tally tests: households, plans, items, scopes and effective ballots as rows."""

import itertools
import json
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.communities.models import Building, Community, Household, Unit
from app.extensions import db
from app.paper.models import Delivery, PaperEntry
from app.plans.models import Item, ItemOption, ItemScope, Plan
from app.voting.models import Ballot, BallotChoice, EffectiveBallot

TODAY = date(2026, 4, 20)
_receipts = itertools.count(1)


class Estate:
    """One community built row by row; every method flushes, ``commit()`` ends the unit of work."""

    def __init__(self, name="测试小区", district="滨城区", community=None):
        if community is None:
            community = Community(name=name, district=district)
            db.session.add(community)
            db.session.flush()
        self.community = community
        self.cid = community.id
        self.buildings = {
            b.name: b
            for b in db.session.scalars(select(Building).where(Building.community_id == self.cid))
        }
        self.units = {
            (u.building.name, u.name): u
            for u in db.session.scalars(select(Unit).where(Unit.community_id == self.cid))
        }
        existing = select(func.count(Household.id)).where(Household.community_id == self.cid)
        self.rooms = itertools.count(101 + db.session.scalar(existing))

    def building(self, building: str) -> Building:
        """The building, created on first use."""
        if building not in self.buildings:
            self.buildings[building] = Building(community_id=self.cid, name=building)
            db.session.add(self.buildings[building])
            db.session.flush()
        return self.buildings[building]

    def unit(self, building: str, unit: str) -> Unit:
        """The (building, unit), created on first use."""
        if (building, unit) not in self.units:
            b = self.building(building)
            self.units[(building, unit)] = Unit(community_id=self.cid, building_id=b.id, name=unit)
            db.session.add(self.units[(building, unit)])
            db.session.flush()
        return self.units[(building, unit)]

    def household(self, area="60", owner=None, building="1号楼", unit="1单元", room=None):
        """A household; households with the same ``owner`` key belong to one owner."""
        u = self.unit(building, unit)
        room = room or str(next(self.rooms))
        h = Household(
            community_id=self.cid,
            building_id=u.building_id,
            unit_id=u.id,
            room=room,
            floor=int(room[:-2] or 1),
            area_centi=int(Decimal(area) * 100),
            owner_name=f"业主{room}",
            owner_key=owner,
        )
        db.session.add(h)
        db.session.flush()
        return h

    def plan(self, phase="voting", **fields) -> Plan:
        """A plan, by default in voting with TODAY inside its dates."""
        fields.setdefault("voting_opens", TODAY - timedelta(days=5))
        fields.setdefault("voting_closes", TODAY + timedelta(days=5))
        plan = Plan(community_id=self.cid, title="改造方案", phase=phase, **fields)
        db.session.add(plan)
        db.session.flush()
        return plan

    def item(
        self, plan, key, rule="cc278_major", scope=(), custom=None, revision=1, title=None,
        options=(), option_rule=None, kind="vote",
    ):  # fmt: skip
        """An item; scope lists building names or (building, unit) pairs (empty: community);
        ``options`` lists option keys (方案比选), titled 方案<key>."""
        item = Item(
            kind=kind,
            option_rule=(option_rule or "plurality") if options else None,
            community_id=self.cid,
            plan_id=plan.id,
            key=key,
            position=len(plan.items),
            title=title or f"项目{key}",
            category="basic",
            rule=rule,
            rule_params=json.dumps(custom) if custom else None,
            revision=revision,
        )
        plan.items.append(item)
        db.session.flush()
        for position, option in enumerate(options):
            item.options.append(
                ItemOption(
                    community_id=self.cid, item_id=item.id, key=option, position=position,
                    title=f"方案{option}", cost_fen=100000 * (position + 1),
                )
            )  # fmt: skip
        for place in scope:
            if isinstance(place, str):
                building_id, unit_id = self.building(place).id, None
            else:
                u = self.unit(*place)
                building_id, unit_id = u.building_id, u.id
            db.session.add(
                ItemScope(
                    community_id=self.cid, item_id=item.id, building_id=building_id, unit_id=unit_id
                )
            )
        db.session.flush()
        return item

    def ballot(self, plan, household, choices=None, channel="online", conflict=False, stale=()):
        """An effective ballot {item key: choice or None}; ``stale`` keys carry an old revision.
        On an item with options, "agree:B" agrees with option B."""
        items = {i.key: i for i in plan.items}
        ballot = Ballot(
            community_id=self.cid,
            plan_id=plan.id,
            household_id=household.id,
            channel=channel,
            receipt=f"R{next(_receipts):09d}",
        )
        db.session.add(ballot)
        db.session.flush()
        for key, choice in (choices or {}).items():
            item = items[key]
            # Revisions count from 1 (the tally relies on it): only a revised item has stale marks.
            assert key not in stale or item.revision > 1, f"{key} was never revised"
            revision = item.revision - 1 if key in stale else item.revision
            option_id = None
            if choice and choice.startswith("agree:"):
                choice, option = choice.split(":")
                option_id = next(o.id for o in item.options if o.key == option)
            db.session.add(
                BallotChoice(
                    option_id=option_id,
                    community_id=self.cid,
                    ballot_id=ballot.id,
                    item_id=item.id,
                    item_revision=revision,
                    choice=choice,
                )
            )
        db.session.add(
            EffectiveBallot(
                community_id=self.cid,
                plan_id=plan.id,
                household_id=household.id,
                ballot_id=ballot.id,
                conflict=conflict,
                reason="paper_prevails" if conflict else f"{channel}_only",
            )
        )
        db.session.flush()
        return ballot

    def deliver(self, plan, household):
        """Record that the ballot was delivered to the household."""
        db.session.add(Delivery(community_id=self.cid, plan_id=plan.id, household_id=household.id))
        db.session.flush()

    def paper_entry(self, plan, household, status="pending"):
        """A keyed paper ballot awaiting its second entry (or a committee's review)."""
        db.session.add(
            PaperEntry(
                community_id=self.cid,
                plan_id=plan.id,
                household_id=household.id,
                choices="{}",
                status=status,
            )
        )
        db.session.flush()

    def commit(self):
        """End the unit of work, as a request would."""
        db.session.commit()


@pytest.fixture
def build(app):
    """``with build() as e:`` (a new community) or ``build(community_id)`` (add to one): data
    written in a context of its own and committed, so test-client requests run in theirs."""

    @contextmanager
    def building(community_id=None, **fields):
        with app.test_request_context():
            community = db.session.get(Community, community_id) if community_id else None
            yield Estate(community=community, **fields)
            db.session.commit()
            db.session.remove()

    return building


@pytest.fixture
def estate(ctx):
    """A fresh community to build on, inside a request context."""
    return Estate()


@pytest.fixture
def make_estate(ctx):
    """Build further communities (e.g. a foreign one for tenancy tests)."""
    return Estate
