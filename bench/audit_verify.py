"""Benchmark: `flask audit verify` work (chain walk + row reconciliation) on a large community.

Seeds N households (roster, the example plan in voting, codes) and an online ballot for every
household through the real operations, then times verify_chain + reconcile for the community,
and measures the Python heap's peak during a second run (tracemalloc).

Run: .venv/bin/python bench/audit_verify.py [--households 5000]
     [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/SCRATCH]
Figures only; nothing is asserted.
"""

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="coplan-bench-"))
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    env = {"COPLAN_INSTANCE": str(tmp), "SECRET_KEY": "bench", "COPLAN_HASH_KEY": "bench"}
    os.environ.update(env)
    from sqlalchemy import func, select

    from app import create_app
    from app.communities.models import Household
    from app.core.audit import AuditEvent, verify_chain
    from app.core.reconcile import reconcile
    from app.extensions import db
    from app.plans.models import Plan
    from app.plans.queries import items_for_household
    from app.voting.operations import cast_online_ballot
    from bench.vote_throughput import seed

    start = time.perf_counter()
    seed(url, args.households, env)
    app = create_app("development", SQLALCHEMY_DATABASE_URI=url)
    with app.test_request_context():
        plan = db.session.scalar(select(Plan))
        ids = db.session.scalars(select(Household.id).order_by(Household.id)).all()
        for n, household_id in enumerate(ids):
            household = db.session.get(Household, household_id)
            choices = {i.id: "agree" for i in items_for_household(plan, household)}
            cast_online_ballot(plan, household, choices, set(), f"k{n}")
            if n % 100 == 99:
                db.session.commit()
            if n % 500 == 0:
                plan_id = plan.id
                db.session.expunge_all()
                plan = db.session.get(Plan, plan_id)
        db.session.commit()
        seeded = time.perf_counter() - start
        community_id = plan.community_id
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()

    def run():
        with app.app_context():
            report = verify_chain(community_id)
            findings = reconcile(community_id)
            db.session.remove()
            return report, findings

    start = time.perf_counter()
    report, findings = run()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    from app.core.reconcile import recorded_rows

    with app.app_context():
        rows = sum(len(v) for v in recorded_rows(community_id).values())
    print(f"database: {url.split(':')[0]}  households: {len(ids)}  events: {events}")
    print(f"seeded (roster, plan, codes, {len(ids)} ballots) in {seeded:.1f} s")
    print(
        f"verify: chain {'intact' if report.ok else 'BROKEN'} ({report.checked} events), "
        f"{rows} recorded rows reconciled, {len(findings)} findings, {elapsed:.2f} s"
    )
    print(f"peak Python heap during verify: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
