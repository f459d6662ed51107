"""Benchmark: tally a plan of 5,000 households and 40 items at 80 % turnout (SQLite or PostgreSQL),
10 of the items with 3 options each (方案比选: an agree marks one option).

Run: .venv/bin/python bench/tally.py [--runs 15] [--database-url URL] [--profile] [--statements]
The database at URL is emptied (its public schema dropped) first: never point it at real data.
Prints the median time of ``app.tally.queries.tally_plan`` and of one raw SQL GROUP BY over the
same effective ballots' choices, and their ratio (with --statements, each of the tally's statements
and its rules timed alone). Goal: < 200 ms and ≤ 2× the raw query.
Each call is timed inside an already open transaction, the tally with its plan loaded (as a
request holds it for its page), so neither side pays for BEGIN or for reloading the plan.
Not a test: figures, not assertions.
"""

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_app, database_url_option, empty_database

BUILDINGS, UNITS, FLOORS, DOORS = 10, 4, 25, 5  # 5,000 households
ITEMS, SCOPED_ITEMS, TURNOUT = 40, 10, 0.8
OPTION_ITEMS, OPTIONS = range(10, 20), ("A", "B", "C")  # items K10-K19 offer three options

RAW_SQL = """
SELECT bc.item_id, bc.choice, bc.option_id, COUNT(*)
FROM effective_ballot eb JOIN ballot_choice bc ON bc.ballot_id = eb.ballot_id
WHERE eb.plan_id = :plan GROUP BY bc.item_id, bc.choice, bc.option_id
"""
RAW_AREA_SQL = """
SELECT bc.item_id, bc.choice, bc.option_id, COUNT(*), SUM(h.area_centi)
FROM effective_ballot eb JOIN ballot_choice bc ON bc.ballot_id = eb.ballot_id
JOIN household h ON h.id = eb.household_id
WHERE eb.plan_id = :plan GROUP BY bc.item_id, bc.choice, bc.option_id
"""


def owner_key(n: int, rnd: random.Random) -> str | None:
    """2 % of households belong to a housing authority, a few private owners hold 2-4 each,
    about half the rest have an owner ID on the roster (unique), the others none."""
    if n % 50 == 0:
        return "authority"
    if n % 97 == 0:
        return f"private{n % 13}"
    return f"id{n}" if rnd.random() < 0.5 else None


def seed(db, rnd: random.Random) -> int:
    """Write the community, roster, plan, items, scopes and ballots; return the plan id."""
    from app.communities.models import Building, Community, Household, Unit
    from app.paper.models import Delivery
    from app.plans.models import Item, ItemOption, ItemScope, Plan
    from app.voting.models import Ballot, BallotChoice, EffectiveBallot

    session = db.session
    community = Community(name="bench", district="bench")
    session.add(community)
    session.flush()
    cid = community.id
    units, households, n = [], [], 0
    for b in range(1, BUILDINGS + 1):
        building = Building(community_id=cid, name=f"{b}号楼")
        session.add(building)
        session.flush()
        for u in range(1, UNITS + 1):
            unit = Unit(community_id=cid, building_id=building.id, name=f"{u}单元")
            session.add(unit)
            session.flush()
            units.append(unit)
            for f in range(1, FLOORS + 1):
                for d in range(1, DOORS + 1):
                    n += 1
                    households.append(
                        {
                            "community_id": cid,
                            "building_id": building.id,
                            "unit_id": unit.id,
                            "room": f"{f}{d:02d}",
                            "floor": f,
                            "area_centi": rnd.randint(4000, 14000),
                            "owner_name": f"业主{n}",
                            "owner_key": owner_key(n, rnd),
                        }
                    )
    session.execute(db.insert(Household), households)
    plan = Plan(community_id=cid, title="bench", phase="voting", non_voter_policy="none")
    session.add(plan)
    session.flush()
    items = []
    for i in range(ITEMS):
        item = Item(
            community_id=cid, plan_id=plan.id, key=f"K{i}", position=i, title=f"项目{i}",
            category="basic", rule="cc278_major" if i % 3 else "cc278_ordinary",
            option_rule="plurality" if i in OPTION_ITEMS else None,
        )  # fmt: skip
        session.add(item)
        session.flush()
        option_ids = []
        for position, key in enumerate(OPTIONS if i in OPTION_ITEMS else ()):
            option = ItemOption(
                community_id=cid, item_id=item.id, key=key, position=position, title=f"方案{key}"
            )
            session.add(option)
            session.flush()
            option_ids.append(option.id)
        scope = None
        if i < SCOPED_ITEMS:  # half a building's worth each: one unit, or a whole building
            unit = units[rnd.randrange(len(units))]
            whole_building = i % 2 == 0
            scope = ("b", unit.building_id) if whole_building else ("u", unit.id)
            session.add(
                ItemScope(
                    community_id=cid, item_id=item.id, building_id=unit.building_id,
                    unit_id=None if whole_building else unit.id,
                )
            )  # fmt: skip
        items.append((item.id, scope, option_ids))
    rows = session.execute(db.select(Household.id, Household.building_id, Household.unit_id)).all()
    voters = [r for r in rows if rnd.random() < TURNOUT]
    channels = ["online"] * 6 + ["paper"] * 3 + ["assisted"]
    session.execute(
        db.insert(Ballot),
        [
            {"community_id": cid, "plan_id": plan.id, "household_id": hid,
             "channel": rnd.choice(channels), "receipt": f"B{hid:010d}"}
            for hid, _b, _u in voters
        ],
    )  # fmt: skip
    ballot_of = dict(session.execute(db.select(Ballot.household_id, Ballot.id)).all())
    choices, marks = [], ["agree"] * 6 + ["oppose"] * 2 + ["abstain", None]
    for hid, building_id, unit_id in voters:
        for item_id, scope, option_ids in items:
            if scope and scope[1] != (building_id if scope[0] == "b" else unit_id):
                continue
            mark = rnd.choice(marks)
            option_id = rnd.choice(option_ids) if option_ids and mark == "agree" else None
            choices.append(
                {"community_id": cid, "ballot_id": ballot_of[hid], "item_id": item_id,
                 "item_revision": 1, "choice": mark, "option_id": option_id}
            )  # fmt: skip
    session.execute(db.insert(BallotChoice), choices)
    session.execute(
        db.insert(EffectiveBallot),
        [
            {"community_id": cid, "plan_id": plan.id, "household_id": hid,
             "ballot_id": ballot_of[hid], "conflict": rnd.random() < 0.01, "reason": "online_only"}
            for hid, _b, _u in voters
        ],
    )  # fmt: skip
    non_voters = [r[0] for r in rows if r[0] not in ballot_of]
    session.execute(
        db.insert(Delivery),
        [{"community_id": cid, "plan_id": plan.id, "household_id": hid} for hid in non_voters[::2]],
    )
    session.commit()
    print(f"seeded {len(rows)} households, {len(voters)} ballots, {len(choices)} choices")
    return plan.id


def timed(fns, runs: int, fresh) -> list[list[float]]:
    """Wall times of `runs` rounds, after one warm-up round; the functions take turns in each
    round, so a busy machine slows them alike and the ratio stays fair. Before each call,
    untimed, `fresh()` ends the transaction and opens the next one: every call is timed
    inside an open transaction with its inputs loaded, as a request's would be."""
    for fn in fns:
        fresh()
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, bucket in zip(fns, times, strict=True):
            fresh()
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return times


def statement_times(plan, fresh, runs: int) -> None:
    """Median time of each of the tally's statements (from the client, rows fetched) and of the
    rules applied in Python over all items: where tally_plan's time goes."""
    from app.extensions import db
    from app.rules.counting import tally_counts
    from app.tally import queries as q

    fresh()
    items, pairs, snapshot_id = q._items_and_scopes(plan)
    households = q._household_rows(plan, snapshot_id)
    scopes = q._scope_units(pairs, {unit: building for building, unit, *_ in households})
    several = any(owner is not None for _b, _u, owner, *_ in households)
    dialect = db.engine.dialect.name
    revised = any(i.revision != 1 for i in items)
    params = q._params(plan, snapshot_id=snapshot_id, scoped=sorted(scopes))
    marks = q._votes_statement(bool(scopes), several, snapshot_id is not None, revised, dialect)
    votes = q._votes(plan, items, scopes, several, snapshot_id)

    def rules():
        electorates: dict = {}
        for item in items:
            scope = scopes.get(item.id) if item.scoped else None
            if scope not in electorates:
                electorates[scope] = q._electorate(households, scope)
            counts = q._item_counts(electorates[scope], votes.get(item.id, {}))
            tally = tally_counts(counts, item.rule, plan.non_voter_policy)
            if item.options:
                agree = q._option_agree(item, electorates[scope], votes.get(item.id, {}))
                q.decide_options(tally, agree, item.option_rule)
        q._place_turnout(households)

    parts = {
        "items and options": lambda: q._items_and_scopes(plan),
        "electorate": lambda: q._household_rows(plan, snapshot_id),
        "marks": lambda: db.session.execute(marks, params).all(),
        "marks, read into cells": lambda: q._votes(plan, items, scopes, several, snapshot_id),
        "ballot counts": lambda: q.ballot_counts(plan),
        f"rules, {len(items)} items (Python)": rules,
    }
    for name, times in zip(parts, timed(list(parts.values()), runs, fresh), strict=True):
        print(f"  {name:30} {statistics.median(times) * 1000:6.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    database_url_option(ap)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one tally")
    ap.add_argument("--statements", action="store_true", help="time each statement and the rules")
    args = ap.parse_args()
    app, _tmp = bench_app(args.database_url)
    from sqlalchemy import text

    from app.extensions import db
    from app.plans.models import Plan
    from app.tally.queries import tally_plan

    with app.app_context():
        empty_database(db)
        with app.test_request_context():
            plan_id = seed(db, random.Random(20260420))
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            plan = db.session.get(Plan, plan_id)

            def fresh():
                """A new transaction with the plan loaded (the rollback expired it): a
                request tallies a plan it has already loaded for its page."""
                db.session.rollback()
                db.session.refresh(plan)

            def tally():
                return tally_plan(plan)

            def raw(sql=RAW_SQL):
                return db.session.execute(text(sql), {"plan": plan_id}).all()

            tally_times, raw_times, raw_area_times = timed(
                [tally, raw, lambda: raw(RAW_AREA_SQL)], args.runs, fresh
            )
            if args.statements:
                statement_times(plan, fresh, args.runs)
            if args.profile:
                fresh()
                profiler = cProfile.Profile()
                profiler.runcall(tally)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        dialect = db.engine.dialect.name
    t, r, ra = (statistics.median(x) * 1000 for x in (tally_times, raw_times, raw_area_times))
    print(f"tally, {ITEMS} items, {TURNOUT:.0%} turnout, {dialect}, {args.runs} runs")
    print(f"tally_plan median:                {t:7.1f} ms  (goal < 200 ms)")
    print(f"raw GROUP BY item, choice, option: {r:6.1f} ms  → ratio {t / r:.2f}× (goal ≤ 2×)")
    print(f"raw GROUP BY with household area: {ra:7.1f} ms  → ratio {t / ra:.2f}×")


if __name__ == "__main__":
    main()
