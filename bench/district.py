"""Benchmark: the district/city overview over many communities (SQLite or PostgreSQL).

Run: .venv/bin/python bench/district.py [--communities 200] [--households 300] [--runs 5]
     [--database-url URL] [--profile]
The database at URL is emptied (its public schema dropped) first: never point it at real data.
Seeds N communities in 4 districts, each with H households and (most) a 5-item plan: 60 % in
voting, 15 % published, 10 % drafting, 5 % proposals, 10 % without a plan; ~70 % turnout,
pledges and some payments, and the audit events those writes leave (one a ballot, a few a
community). Prints the median time and statements of ``community_rows`` for every community, of
GET /district for an admin (the city) and for district staff (a quarter of the communities),
warm (every plan's tally summary stored and current, district.summaries) and cold (none stored:
the rows recount every plan, as an export does; a page recounts 20 and shows the rest as being
counted), the rollup that recounts every plan, and what the rows' parts take (tally, funds,
drafts' asks, the newest audit events).
Not a test: figures, not assertions.
"""

import argparse
import cProfile
import os
import pstats
import random
import re
import statistics
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_app, database_url_option, empty_database

DISTRICTS = ("东城区", "西城区", "南湖区", "北山区")
PHASE_MIX = ["voting"] * 12 + ["published"] * 3 + ["drafting"] * 2 + ["proposals", None, None]
ITEMS, TURNOUT = 5, 0.7
PASSWORD = "bench-password-1"


def seed(db, rnd: random.Random, n_communities: int, n_households: int) -> None:
    """Communities, rosters, plans, items, fixed shares, ballots, pledges and payments."""
    from app.communities.models import Building, Community, Household, Unit
    from app.core.audit import AuditEvent
    from app.funding.models import Payment
    from app.plans.models import FundingSource, HouseholdShare, Item, Plan
    from app.plans.queries import local_today
    from app.voting.models import Ballot, BallotChoice, EffectiveBallot

    session = db.session
    today = local_today()
    receipts = 0
    events = []  # (community, action): the audit trail the writes would have left

    seqs: dict[int, int] = {}

    def audit(cid: int, action: str, count: int = 1) -> None:
        """Append count audit events to the community's chain (a unique fake hash each)."""
        for _ in range(count):
            n = len(events) + 1
            seqs[cid] = seqs.get(cid, 0) + 1
            events.append(
                {"community_id": cid, "actor": "bench", "action": action, "chain": cid,
                 "seq": seqs[cid], "record_type": "bench", "prev_hash": f"{n - 1:064x}",
                 "hash": f"{n:064x}"}
            )  # fmt: skip

    for c in range(n_communities):
        community = Community(
            name=f"第{c:03d}小区", district=DISTRICTS[c % 4], street=f"{c % 9 + 1}号街道"
        )
        session.add(community)
        session.flush()
        cid = community.id
        rows = []
        per_building = 60
        for b in range(-(-n_households // per_building)):
            building = Building(community_id=cid, name=f"{b + 1}号楼")
            session.add(building)
            session.flush()
            unit = Unit(community_id=cid, building_id=building.id, name="1单元")
            session.add(unit)
            session.flush()
            for k in range(min(per_building, n_households - b * per_building)):
                rows.append(
                    {
                        "community_id": cid,
                        "building_id": building.id,
                        "unit_id": unit.id,
                        "room": f"{k // 2 + 1}0{k % 2 + 1}",
                        "floor": k // 2 + 1,
                        "area_centi": rnd.randint(4000, 14000),
                        "owner_name": f"业主{k}",
                        "owner_key": f"o{c}-{k}" if rnd.random() < 0.5 else None,
                    }
                )
        session.execute(db.insert(Household), rows)
        audit(cid, "community.create")
        audit(cid, "roster.import")
        phase = PHASE_MIX[c % len(PHASE_MIX)]
        if phase is None:
            continue
        audit(cid, "plan.import")
        plan = Plan(
            community_id=cid,
            title=f"第{c:03d}小区改造方案",
            phase=phase,
            voting_opens=today - timedelta(days=5),
            voting_closes=today + timedelta(days=rnd.randint(1, 30)),
        )
        session.add(plan)
        session.flush()
        items = []
        for i in range(ITEMS):
            item = Item(
                community_id=cid, plan_id=plan.id, key=f"A{i}", position=i, title=f"项目{i}",
                category="basic", rule="cc278_major" if i % 2 else "cc278_ordinary",
                cost_fen=10_000_000, share_method="equal",
            )  # fmt: skip
            session.add(item)
            session.flush()
            session.add(
                FundingSource(
                    community_id=cid, item_id=item.id, source="government", amount_fen=4_000_000
                )
            )
            items.append(item.id)
        households = session.execute(
            db.select(Household.id).where(Household.community_id == cid)
        ).scalars()
        hids = list(households)
        share = 6_000_000 // len(hids)
        if phase in ("proposals", "drafting"):
            continue
        audit(cid, "plan.phase", 2)
        session.execute(
            db.insert(HouseholdShare),
            [
                {"community_id": cid, "item_id": i, "household_id": h, "amount_fen": share}
                for i in items
                for h in hids
            ],
        )
        voters = [h for h in hids if rnd.random() < TURNOUT]
        ballots = []
        for h in voters:
            receipts += 1
            ballots.append(
                {"community_id": cid, "plan_id": plan.id, "household_id": h,
                 "channel": "online", "receipt": f"D{receipts:010d}"}
            )  # fmt: skip
        session.execute(db.insert(Ballot), ballots)
        audit(cid, "ballot.online", len(ballots))
        ballot_of = dict(
            session.execute(
                db.select(Ballot.household_id, Ballot.id).where(Ballot.plan_id == plan.id)
            ).all()
        )
        choices = []
        for h in voters:
            for i in items:
                choice = rnd.choice(["agree"] * 7 + ["oppose"] * 2 + ["abstain"])
                choices.append(
                    {"community_id": cid, "ballot_id": ballot_of[h], "item_id": i,
                     "item_revision": 1, "choice": choice,
                     "pledge": choice == "agree" and rnd.random() < 0.7}
                )  # fmt: skip
        session.execute(db.insert(BallotChoice), choices)
        session.execute(
            db.insert(EffectiveBallot),
            [
                {"community_id": cid, "plan_id": plan.id, "household_id": h,
                 "ballot_id": ballot_of[h], "conflict": False, "reason": "online_only"}
                for h in voters
            ],
        )  # fmt: skip
        payers = voters[: len(voters) // 3]
        if payers:
            session.execute(
                db.insert(Payment),
                [
                    {"community_id": cid, "plan_id": plan.id, "item_id": items[0],
                     "household_id": h, "amount_fen": share, "paid_on": today, "method": "cash"}
                    for h in payers
                ],
            )  # fmt: skip
            audit(cid, "payment.record", len(payers))
    session.execute(db.insert(AuditEvent), events)
    session.commit()


class StatementCounter:
    """Counts the statements the engine runs while active."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args):
        """Count one statement."""
        self.count += 1


def breakdown(db, runs: int) -> dict[str, tuple[int, float]]:
    """Median time of each part of the rows over all current plans: (plans, ms)."""
    from app.communities.models import Community
    from app.district.funds import plans_funding
    from app.district.queries import current_plans, draft_residents_part
    from app.district.summaries import newest_audit_events
    from app.plans.queries import local_today
    from app.tally.queries import tally_plan

    ids = list(db.session.scalars(db.select(Community.id)))
    tallied = ("voting", "published", "closed")
    parts = {
        "tally_plan (voting or later)": lambda plans: [
            tally_plan(p, local_today()) for p in plans if p.phase in tallied
        ],
        "plans_funding (voting or later)": lambda plans: plans_funding(
            [p for p in plans if p.phase in tallied]
        ),
        "draft_residents_part (before voting)": lambda plans: [
            draft_residents_part(p) for p in plans if p.phase not in tallied
        ],
        "newest_audit_events (cache keys, 1 statement)": lambda plans: newest_audit_events(
            [p.community_id for p in plans]
        ),
    }
    result = {}
    for name, part in parts.items():
        times, count = [], 0
        for _ in range(runs):
            plans = list(current_plans(ids).values())
            start = time.perf_counter()
            count = len(part(plans))
            times.append(time.perf_counter() - start)
            db.session.rollback()
            db.session.expunge_all()
        result[name] = (count, statistics.median(times) * 1000)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--communities", type=int, default=200)
    ap.add_argument("--households", type=int, default=300)
    ap.add_argument("--runs", type=int, default=5)
    database_url_option(ap)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one query")
    args = ap.parse_args()
    # The rollups a page queues wait on a queue nobody consumes: the bench times the rollup apart.
    app, _tmp = bench_app(
        args.database_url, RATELIMIT_ENABLED=False, QUEUE_IMMEDIATE=False, QUEUE_URL="memory://"
    )
    from sqlalchemy import text

    from app.accounts.operations import create_user
    from app.extensions import db

    with app.app_context():
        empty_database(db)
        started = time.perf_counter()
        with app.test_request_context():
            seed(db, random.Random(20260501), args.communities, args.households)
            create_user("bench-admin", PASSWORD, "admin")
            create_user("bench-district", PASSWORD, "district", district=DISTRICTS[0])
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        print(
            f"seeded {args.communities} communities × {args.households} households "
            f"in {time.perf_counter() - started:.1f} s"
        )
        counter = StatementCounter(db.engine)
        dialect = db.engine.dialect.name
    with app.test_request_context():
        query()  # warm-up
        parts = breakdown(db, args.runs)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(query)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    clients = {name: signed_in(app, name) for name in ("bench-admin", "bench-district")}
    admin, district = clients["bench-admin"], clients["bench-district"]
    staff = f"district staff: {DISTRICTS[0]}"
    # Warm runs first (every summary stored and current), then cold runs, each emptying the
    # summaries first: the rows recount every plan (as the export does), a page 20 of them.
    rollup(app)  # nothing writes while the warm runs go: the summaries stay current
    warm = {
        "community_rows (all communities), warm": in_request(app, query),
        "GET /district (admin: the city), warm": lambda: page(admin),
        f"GET /district ({staff}), warm": lambda: page(district),
    }
    cold_runs = {
        "community_rows (all communities), cold": cold(app, in_request(app, query)),
        "GET /district (admin: the city), cold": cold(app, lambda: page(admin)),
        f"GET /district ({staff}), cold": cold(app, lambda: page(district)),
        "rollup (every plan counted and stored), cold": cold(app, lambda: rollup(app)),
    }
    times = timed(list(warm.values()), counter, args.runs)
    times += timed(list(cold_runs.values()), counter, args.runs)
    print(f"district overview, {dialect}, median of {args.runs} runs")
    for name, (wall, cpu, statements) in zip([*warm, *cold_runs], times, strict=True):
        print(f"{name:50s} {wall:8.1f} ms wall {cpu:8.1f} ms CPU  {statements} statements")
    for name, (count, ms) in parts.items():
        print(f"  of which {name}: {count} plans, {ms:8.1f} ms")


def query(recount=None):
    """The rows of every community in a fresh transaction, as the city view computes them
    (recount: the stale summaries counted here at most; None: all, as an export)."""
    from sqlalchemy import select

    from app.communities.models import Community
    from app.district.queries import community_rows
    from app.extensions import db
    from app.plans.queries import local_today

    communities = db.session.scalars(select(Community).order_by(Community.name)).all()
    rows = community_rows(communities, local_today(), recount)
    db.session.rollback()
    db.session.expunge_all()
    return rows


def cold(app, fn):
    """fn run with no summary stored (every plan counted again)."""
    from sqlalchemy import delete

    from app.district.models import PlanSummary
    from app.extensions import db

    def run():
        with app.app_context():
            db.session.execute(delete(PlanSummary))
            db.session.commit()
        return fn()

    return run


def rollup(app):
    """The rollup (district.jobs), in a request context of its own."""
    from app.district.jobs import rollup as run_rollup

    with app.test_request_context():
        return run_rollup()


def in_request(app, fn):
    """fn run inside a request context of its own, as a request would."""

    def run():
        with app.test_request_context():
            return fn()

    return run


def signed_in(app, username: str):
    """A test client signed in through the real form."""
    client = app.test_client()
    form = client.get("/staff/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    signin = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/staff/signin", data=signin).status_code == 302
    return client


def page(client):
    """GET /district, which must answer 200."""
    response = client.get("/district")
    assert response.status_code == 200, response.status_code


def timed(fns, counter, runs: int) -> list[tuple[float, float, int]]:
    """Median wall and CPU time (ms) of this process and statements of each function, after a
    warm-up round; the functions take turns in each round, so a busy machine slows them alike.
    On SQLite all the work is this process's, so CPU time is what an idle machine would take."""
    for fn in fns:
        fn()
    walls: list[list[float]] = [[] for _ in fns]
    cpus: list[list[float]] = [[] for _ in fns]
    statements = [0] * len(fns)
    for _ in range(runs):
        for index, fn in enumerate(fns):
            counter.count = 0
            start, cpu = time.perf_counter(), time.process_time()
            fn()
            walls[index].append(time.perf_counter() - start)
            cpus[index].append(time.process_time() - cpu)
            statements[index] = counter.count
    return [
        (statistics.median(w) * 1000, statistics.median(c) * 1000, n)
        for w, c, n in zip(walls, cpus, statements, strict=True)
    ]


if __name__ == "__main__":
    main()
