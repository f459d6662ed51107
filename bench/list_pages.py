"""Benchmark: the staff list pages of a 5,000-household community (SQLite or PostgreSQL).

Run: .venv/bin/python bench/list_pages.py [--runs 15] [--database-url URL] [--profile NAME]
The database at URL is emptied (its public schema dropped) first: never point it at real data.

Seeds one community of 5,000 households (60 % with sign-in codes), a voting plan of 40 items
with 80 % of households voted (15 % of online voters changed their ballot, 3 % also voted on
paper, most of those differently), 2,000 proposals with 20,000 supports, and 50,000 audit
events. Then times every list page through the test client, signed in as an admin: first,
middle and last page, searches and each filter. Prints the median server time (warm, after
one warm-up request), the number of SQL statements and their time, and the slowest page.
Goal: every page under ~150 ms. ``--profile NAME`` prints a cProfile of one request of that
page; ``--explain [NAME]`` prints the database's plan of each statement of that page (default:
the slowest); ``--only NAME`` times only the pages whose name starts with NAME.
Not a test: figures, not assertions.
"""

import argparse
import cProfile
import hashlib
import os
import pstats
import random
import re
import statistics
import sys
import time
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_app, database_url_option, empty_database

BUILDINGS, UNITS, FLOORS, DOORS = 10, 4, 25, 5  # 5,000 households
ITEMS, TURNOUT, CODES = 40, 0.8, 0.6
REVOTE, ALSO_PAPER = 0.15, 0.03
PROPOSALS, SUPPORTS, AUDIT_EVENTS = 2_000, 20_000, 50_000
PASSWORD = "bench-password-1"
START = datetime(2026, 3, 1, 1, 0, 0)
ALPHABET = "2346789ABCDEFGHJKMNPQRTWXYZ"
TOPICS = ("外墙保温", "加装电梯", "屋面防水", "雨污分流", "停车位", "充电桩", "路灯", "快递驿站",
          "老年食堂", "无障碍坡道", "楼道照明", "绿化", "监控", "门禁", "健身器材")  # fmt: skip
ACTIONS = (("ballot.online", "ballot"), ("ballot.paper", "ballot"), ("ballot.assisted", "ballot"),
           ("household.update", "household"), ("code.issue", "household"),
           ("proposal.create", "proposal"), ("proposal.support", "proposal"),
           ("payment.record", "payment"), ("export.download", "plan"), ("plan.phase", "plan"),
           ("paper.entry", "paper_entry"), ("user.signin", "user"))  # fmt: skip


def receipt(rnd: random.Random) -> str:
    """A random receipt code, like app.voting.operations.new_receipt."""
    return "".join(rnd.choice(ALPHABET) for _ in range(10))


def seed_roster(db, rnd):
    """Community, buildings, units, 5,000 households; (community id, household ids)."""
    from app.communities.models import Building, Community, Household, Unit

    session = db.session
    community = Community(name="bench-lists", district="bench")
    session.add(community)
    session.flush()
    cid, rows, n = community.id, [], 0
    for b in range(1, BUILDINGS + 1):
        building = Building(community_id=cid, name=f"{b}号楼")
        session.add(building)
        session.flush()
        for u in range(1, UNITS + 1):
            unit = Unit(community_id=cid, building_id=building.id, name=f"{u}单元")
            session.add(unit)
            session.flush()
            for f in range(1, FLOORS + 1):
                for d in range(1, DOORS + 1):
                    n += 1
                    coded = rnd.random() < CODES
                    rows.append(
                        {"community_id": cid, "building_id": building.id, "unit_id": unit.id,
                         "room": f"{f}{d:02d}", "floor": f, "area_centi": rnd.randint(4000, 14000),
                         "owner_name": f"业主{n}", "owner_key": f"id{n}" if n % 2 else None,
                         "code_hash": hashlib.sha256(f"code{n}".encode()).hexdigest()
                         if coded else None,
                         "code_issued_at": START if coded else None}
                    )  # fmt: skip
    session.execute(db.insert(Household), rows)
    ids = session.scalars(db.select(Household.id).where(Household.community_id == cid)).all()
    return cid, list(ids)


def seed_users(db, cid):
    """An admin (the benchmark signs in as it) and three workers who record paper ballots."""
    from app.accounts.operations import create_user
    from app.communities.models import Community

    community = db.session.get(Community, cid)
    create_user("bench-admin", PASSWORD, "admin")
    return [
        create_user(f"worker{i}", PASSWORD, "worker", communities=[community], display_name=name).id
        for i, name in enumerate(("王芳", "李强", "张敏"), 1)
    ]


def seed_ballots(db, rnd, cid, households, workers):
    """Plan, 40 items, ballots (versions, paper, conflicts), choices, effective ballots."""
    from app.plans.models import Item, Plan
    from app.voting.models import Ballot, BallotChoice, EffectiveBallot

    session = db.session
    plan = Plan(community_id=cid, title="bench 改造方案", phase="voting")
    session.add(plan)
    session.flush()
    items = []
    for i in range(ITEMS):
        item = Item(community_id=cid, plan_id=plan.id, key=f"A{i + 1}", position=i,
                    title=f"项目{i + 1}", category="basic", rule="cc278_major")  # fmt: skip
        session.add(item)
        session.flush()
        items.append(item.id)
    ballots = []  # (household, channel, recorded_at, recorded_by, marks)

    def marks():
        return [rnd.choice(("agree", "agree", "agree", "oppose", "abstain")) for _ in items]

    for hid in households:
        if rnd.random() >= TURNOUT:
            continue
        at = START + timedelta(seconds=rnd.randrange(14 * 86400))
        first = rnd.choices(("online", "paper", "assisted"), (6, 3, 1))[0]
        by = None if first == "online" else rnd.choice(workers)
        choice = marks()
        ballots.append((hid, first, at, by, choice))
        if first == "online" and rnd.random() < REVOTE:
            choice = marks()
            ballots.append((hid, "online", at + timedelta(hours=rnd.randint(1, 48)), None, choice))
        if first == "online" and rnd.random() < ALSO_PAPER:
            same = rnd.random() < 0.3
            paper = choice if same else marks()
            ballots.append((hid, "paper", at + timedelta(days=1), rnd.choice(workers), paper))
    session.execute(
        db.insert(Ballot),
        [{"community_id": cid, "plan_id": plan.id, "household_id": hid, "channel": ch,
          "recorded_at": at, "recorded_by_id": by, "receipt": receipt(rnd),
          "authorised_by": "家属" if ch == "assisted" else None,
          "witness": "楼长" if ch == "assisted" else None}
         for hid, ch, at, by, _m in ballots],
    )  # fmt: skip
    ids = session.execute(
        db.select(Ballot.id).where(Ballot.plan_id == plan.id).order_by(Ballot.id)
    ).scalars()
    by_household: dict[int, list] = {}
    choices = []
    for bid, (hid, ch, at, _by, mk) in zip(ids, ballots, strict=True):
        by_household.setdefault(hid, []).append((bid, ch, at, mk))
        choices.extend(
            {"community_id": cid, "ballot_id": bid, "item_id": item, "item_revision": 1,
             "choice": mark}
            for item, mark in zip(items, mk, strict=True)
        )  # fmt: skip
    for start in range(0, len(choices), 20_000):
        session.execute(db.insert(BallotChoice), choices[start : start + 20_000])
    effective = []
    for hid, versions in by_household.items():
        paper = [v for v in versions if v[1] != "online"]
        online = [v for v in versions if v[1] == "online"]
        latest_online = max(online, key=lambda v: v[2]) if online else None
        chosen = max(paper, key=lambda v: v[2]) if paper else latest_online
        compared = paper + ([latest_online] if latest_online else [])
        conflict = len({tuple(v[3]) for v in compared}) > 1
        reason = "paper_only" if paper else "online_only"
        reason = "paper_prevails" if paper and online else reason
        effective.append(
            {"community_id": cid, "plan_id": plan.id, "household_id": hid, "ballot_id": chosen[0],
             "conflict": conflict, "reason": reason}
        )  # fmt: skip
    session.execute(db.insert(EffectiveBallot), effective)
    return plan.id, len(ballots), len(choices), sum(e["conflict"] for e in effective)


def seed_proposals(db, rnd, cid, plan_id, households):
    """2,000 proposals (80 % from a household) and 20,000 supports."""
    from app.proposals.models import Proposal, ProposalSupport

    session = db.session
    statuses = ("open",) * 12 + ("accepted",) * 4 + ("declined",) * 3 + ("merged",)
    session.execute(
        db.insert(Proposal),
        [{"community_id": cid, "plan_id": plan_id,
          "household_id": rnd.choice(households) if rnd.random() < 0.8 else None,
          "source": "resident", "title": f"{rnd.choice(TOPICS)}（第{n}条）",
          "body": f"希望{rnd.choice(TOPICS)}能尽快解决。" * 3,
          "category": rnd.choice(("basic", "improvement", "enhancement")),
          "status": rnd.choice(statuses),
          "created_at": START - timedelta(days=30) + timedelta(seconds=rnd.randrange(20 * 86400))}
         for n in range(1, PROPOSALS + 1)],
    )  # fmt: skip
    ids = session.scalars(db.select(Proposal.id).where(Proposal.plan_id == plan_id)).all()
    pairs = set()
    while len(pairs) < SUPPORTS:  # a few popular proposals, a long tail
        pairs.add((ids[min(int(rnd.expovariate(1 / 150)), len(ids) - 1)], rnd.choice(households)))
    session.execute(
        db.insert(ProposalSupport),
        [{"community_id": cid, "proposal_id": p, "household_id": h} for p, h in pairs],
    )


def seed_audit(db, rnd, cid, households):
    """50,000 audit events over 60 days (a plausible trail; the chain is not checked here)."""
    from app.core.audit import AuditEvent

    actors = ["user:bench-admin", "user:worker1", "user:worker2", "user:worker3", "cli"]
    rows = []
    for n in range(AUDIT_EVENTS):
        action, record_type = rnd.choice(ACTIONS)
        actor = f"household:{rnd.choice(households)}" if n % 3 == 0 else rnd.choice(actors)
        rows.append(
            {"community_id": cid, "actor": actor, "action": action, "record_type": record_type,
             "record_id": str(rnd.randrange(1, 5000)), "after": '{"bench":true}',
             "created_at": START - timedelta(days=45) + timedelta(seconds=n * 104),
             "prev_hash": hashlib.sha256(f"prev{n}".encode()).hexdigest(),
             "hash": hashlib.sha256(f"hash{n}".encode()).hexdigest()}
        )  # fmt: skip
    for start in range(0, len(rows), 10_000):
        db.session.execute(db.insert(AuditEvent), rows[start : start + 10_000])


def seed(db, rnd):
    """Everything the list pages show; (community id, plan id)."""
    cid, households = seed_roster(db, rnd)
    workers = seed_users(db, cid)
    plan_id, ballots, choices, conflicts = seed_ballots(db, rnd, cid, households, workers)
    seed_proposals(db, rnd, cid, plan_id, households)
    seed_audit(db, rnd, cid, households)
    db.session.commit()
    print(
        f"seeded {len(households)} households, {ballots} ballots ({choices} choices, "
        f"{conflicts} conflicts), {PROPOSALS} proposals, {SUPPORTS} supports, "
        f"{AUDIT_EVENTS} audit events"
    )
    return cid, plan_id


def sign_in(client) -> None:
    """Sign the admin in through the real form."""
    html = client.get("/staff/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post(
        "/staff/signin",
        data={"csrf_token": token, "username": "bench-admin", "password": PASSWORD},
    )
    assert response.status_code == 302, response.status_code


def page_count(client, url: str) -> tuple[int, int]:
    """(pages, rows) a list page reports in its pager ("第 1 / N 页，共 T 条")."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r"第 \d+ / (\d+) 页，共 (\d+) 条", html)
    if match:
        return int(match.group(1)), int(match.group(2))
    return 1, -1


def pages_to_time(client, cid: int, pid: int) -> list[tuple[str, str]]:
    """(name, url) of every list page, filter and search measured."""
    base = {
        "households": f"/c/{cid}/households",
        "ballots": f"/c/{cid}/plans/{pid}/ballots",
        "proposals": f"/c/{cid}/plans/{pid}/proposals",
        "audit": f"/c/{cid}/audit",
    }
    from app.extensions import db
    from app.voting.models import Ballot

    some_receipt = db.session.scalar(db.select(Ballot.receipt).limit(1).offset(1234))
    db.session.rollback()
    pages = []
    for name, url in base.items():
        last, _rows = page_count(client, url)
        pages += [
            (f"{name} first", url),
            (f"{name} middle ({last // 2})", f"{url}?page={max(last // 2, 1)}"),
            (f"{name} last ({last})", f"{url}?page={last}"),
        ]
    h, b, p, a = base.values()
    pages += [
        ("households q=3号楼2单元301", f"{h}?q=3号楼2单元301"),
        ("households q=3-2-301", f"{h}?q=3-2-301"),
        ("households q=业主1234", f"{h}?q=业主1234"),
        ("households q=1201", f"{h}?q=1201"),
        ("households codes=missing", f"{h}?codes=missing"),
        ("households codes=issued last", f"{h}?codes=issued&page=60"),
        ("ballots channel=paper", f"{b}?channel=paper"),
        ("ballots status=counted", f"{b}?status=counted"),
        ("ballots status=counted last", f"{b}?status=counted&page=80"),
        ("ballots status=conflict", f"{b}?status=conflict"),
        ("ballots status=superseded", f"{b}?status=superseded"),
        ("ballots q=5-3-1204", f"{b}?q=5-3-1204"),
        ("ballots q=业主2345", f"{b}?q=业主2345"),
        ("ballots q=receipt", f"{b}?q={some_receipt}"),
        ("ballots online+counted+q=7号楼", f"{b}?channel=online&status=counted&q=7号楼"),
        ("proposals status=accepted", f"{p}?status=accepted"),
        ("proposals category=basic p3", f"{p}?category=basic&page=3"),
        ("proposals q=电梯", f"{p}?q=电梯"),
        ("proposals q=2-1-301 (room)", f"{p}?q=2-1-301"),
        ("audit action=ballot.paper", f"{a}?action=ballot.paper"),
        ("audit action last page", f"{a}?action=ballot.paper&page=80"),
        ("audit record_type=proposal", f"{a}?record_type=proposal"),
        ("audit actor=worker2", f"{a}?actor=worker2"),
        ("audit dates 1 week", f"{a}?date_from=2026-02-01&date_to=2026-02-07"),
        ("audit all filters", f"{a}?action=code.issue&actor=cli&date_from=2026-01-20"),
    ]
    return pages


class StatementLog:
    """SQL statements and their time during one request (N+1 shows as a large count)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.statements: list[tuple[str, dict, float]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_start"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            elapsed = time.perf_counter() - conn.info.pop("bench_start", time.perf_counter())
            self.statements.append((statement, parameters, elapsed))

    def capture(self, fn):
        """Run fn, keeping the statements it executed."""
        self.statements, self.on = [], True
        try:
            fn()
        finally:
            self.on = False
        return self.statements


def explain(db, statements) -> None:
    """The database's plan for each statement (EXPLAIN ANALYZE on PostgreSQL)."""
    prefix = "EXPLAIN ANALYZE " if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    for statement, parameters, elapsed in statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        print(f"\n-- {elapsed * 1000:.1f} ms: {' '.join(statement.split())[:300]}")
        with db.engine.connect() as conn:
            raw = conn.connection.driver_connection.cursor()
            raw.execute(prefix + statement, parameters)
            for row in raw.fetchall():
                print("   ", " | ".join(str(c) for c in row))
            conn.rollback()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    database_url_option(ap)
    ap.add_argument("--profile", metavar="NAME", help="cProfile one request of this page")
    ap.add_argument("--sort", default="cumulative", help="cProfile order (cumulative, tottime)")
    ap.add_argument(
        "--explain",
        nargs="?",
        const="",
        metavar="NAME",
        help="the database's plans of a page's SQL (default: the slowest page's)",
    )
    ap.add_argument("--only", metavar="NAME", help="time only the pages whose name starts so")
    args = ap.parse_args()
    app, _tmp = bench_app(args.database_url, RATELIMIT_ENABLED=False)
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        empty_database(db)
        with app.test_request_context():
            started = time.perf_counter()
            cid, pid = seed(db, random.Random(20260425))
            print(f"seeding took {time.perf_counter() - started:.1f} s")
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        dialect = db.engine.dialect.name
        log = StatementLog(db.engine)
    client = app.test_client()
    sign_in(client)
    with app.app_context():
        pages = pages_to_time(client, cid, pid)
    if args.only:
        pages = [(name, page_url) for name, page_url in pages if name.startswith(args.only)]
    results = []
    for name, page_url in pages:

        def get(page_url=page_url):
            response = client.get(page_url)
            assert response.status_code == 200, (page_url, response.status_code)
            return response

        html = get().get_data(as_text=True)  # warm-up
        found = re.search(r"(?:共|符合条件的) (\d+) (?:条|户|张)", html)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            get()
            times.append(time.perf_counter() - start)
        statements = log.capture(get)
        sql_ms = sum(s[2] for s in statements) * 1000
        results.append(
            (name, statistics.median(times) * 1000, max(times) * 1000, len(statements), sql_ms,
             found.group(1) if found else "?", page_url, statements)
        )  # fmt: skip
    print(f"\nlist pages, 5,000 households, {dialect}, median of {args.runs} warm runs")
    print(f"{'page':40} {'median ms':>9} {'max ms':>7} {'SQL':>4} {'SQL ms':>7} {'rows':>6}")
    for name, median, worst, count, sql_ms, rows, _url, _s in results:
        print(f"{name:40} {median:9.1f} {worst:7.1f} {count:4d} {sql_ms:7.1f} {rows:>6}")
    slowest = max(results, key=lambda r: r[1])
    print(f"\nslowest: {slowest[0]} ({slowest[6]}) {slowest[1]:.1f} ms (goal < 150 ms)")
    if args.explain is not None:
        target = next((r for r in results if r[0].startswith(args.explain)), slowest)
        with app.app_context():
            explain(db, target[7])
    if args.profile:
        target = next(r for r in results if r[0].startswith(args.profile))
        profiler = cProfile.Profile()
        profiler.runcall(client.get, target[6])
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(30)


if __name__ == "__main__":
    main()
