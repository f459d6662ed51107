"""Benchmark: every plan export (app.reports.exports.EXPORTS) on 5,000 households × 40 items.

Run: .venv/bin/python bench/exports.py [--runs 3] [--database-url URL] [--only NAME ...]
The database at URL is emptied (its public schema dropped) first: never point it at real data.

Seeds the community, roster, plan, scopes and 80 % turnout of bench/tally.py, then adds what the
exports read: costs and funding (30 of the 40 items charge residents; shares split by the real
`compute_item_shares` and stored as when voting opens), pledges on half the agree marks, an older
superseded online ballot for 10 % of voters, 7,500 payments with 50 corrections (through
`correct_payment`, so their reasons are in the audit trail), 300 proposals, phone numbers.

For each export prints: SQL statements of its builder, rows, the median time to build the
reports, to write the CSV and to write the XLSX (after one warm-up), file sizes, and the peak
Python memory (tracemalloc, in a separate run as tracing slows the code) of build + CSV and of
build + XLSX. Figures, not assertions.
"""

import argparse
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_app, database_url_option, empty_database
from bench.tally import seed as seed_votes

CHARGED_ITEMS = 30
PAYMENTS, CORRECTIONS, PROPOSALS = 7_500, 50, 300


class BenchUser:
    """The exporter named in the files' heading."""

    display_name, username = "基准测试", "bench"


def seed_funding(db, rnd: random.Random, plan_id: int) -> None:
    """Costs, funding, stored shares, pledges, superseded ballots, payments, proposals, phones."""
    from sqlalchemy import func, select, text, update

    from app.communities.models import Household
    from app.funding.models import Payment
    from app.funding.payments import correct_payment
    from app.plans.models import FundingSource, HouseholdShare, ItemProposal, Plan
    from app.plans.shares import compute_item_shares
    from app.proposals.models import Proposal, ProposalSupport
    from app.voting.models import Ballot, BallotChoice

    session = db.session
    plan = session.get(Plan, plan_id)
    cid = plan.community_id
    items = list(plan.items)
    for n, item in enumerate(items):
        item.cost_fen = rnd.randint(50_000, 2_000_000) * 100
        item.share_method = "area" if n % 2 else "equal"
        subsidy = item.cost_fen if n >= CHARGED_ITEMS else item.cost_fen * 2 // 3
        session.add(
            FundingSource(
                community_id=cid, item_id=item.id, source="government", amount_fen=subsidy
            )
        )
    session.flush()
    shares = []
    for item in items:
        for hid, fen in compute_item_shares(item).items():
            shares.append(
                {"community_id": cid, "item_id": item.id, "household_id": hid, "amount_fen": fen}
            )
    session.execute(db.insert(HouseholdShare), shares)
    session.execute(
        update(BallotChoice).where(BallotChoice.choice == "agree", BallotChoice.id % 2 == 0)
        .values(pledge=True)
    )  # fmt: skip
    # An older online ballot for 10 % of voters: superseded by the effective one, kept.
    voters = session.execute(select(Ballot.id, Ballot.household_id)).all()
    older = rnd.sample(voters, len(voters) // 10)
    earlier = session.scalar(select(func.min(Ballot.recorded_at))) - timedelta(days=1)
    session.execute(
        db.insert(Ballot),
        [
            {"community_id": cid, "plan_id": plan_id, "household_id": hid, "channel": "online",
             "receipt": f"O{hid:010d}", "recorded_at": earlier}
            for _bid, hid in older
        ],
    )  # fmt: skip
    new_ids = dict(
        session.execute(
            select(Ballot.household_id, Ballot.id).where(Ballot.receipt.like("O%"))
        ).all()
    )
    copied = session.execute(
        select(BallotChoice.ballot_id, BallotChoice.item_id, BallotChoice.choice).where(
            BallotChoice.ballot_id.in_([bid for bid, _h in older])
        )
    ).all()
    household_of = dict(older)
    session.execute(
        db.insert(BallotChoice),
        [
            {"community_id": cid, "ballot_id": new_ids[household_of[bid]], "item_id": item_id,
             "item_revision": 1, "choice": "oppose" if choice == "agree" else choice}
            for bid, item_id, choice in copied
        ],
    )  # fmt: skip
    charged = [s for s in shares if s["amount_fen"] > 0]
    paid_on = date.today() - timedelta(days=3)
    session.execute(
        db.insert(Payment),
        [
            {"community_id": cid, "plan_id": plan_id, "item_id": s["item_id"],
             "household_id": s["household_id"], "amount_fen": max(1, s["amount_fen"] // 2),
             "paid_on": paid_on, "method": "wechat", "receipt_no": f"P{n:06d}"}
            for n, s in enumerate(rnd.sample(charged, PAYMENTS))
        ],
    )  # fmt: skip
    for payment in session.scalars(select(Payment).limit(CORRECTIONS)):
        correct_payment(payment, reason="金额录错")
    proposals = [
        Proposal(community_id=cid, plan_id=plan_id, title=f"提议{n}", category="basic",
                 household_id=rnd.randint(1, 5000), status=rnd.choice(["open", "accepted"]))
        for n in range(PROPOSALS)
    ]  # fmt: skip
    session.add_all(proposals)
    session.flush()
    session.execute(
        db.insert(ProposalSupport),
        [
            {"community_id": cid, "proposal_id": p.id, "household_id": hid}
            for p in proposals
            for hid in rnd.sample(range(1, 5001), 10)
        ],
    )
    session.execute(
        db.insert(ItemProposal),
        [
            {"community_id": cid, "item_id": items[n % len(items)].id, "proposal_id": p.id}
            for n, p in enumerate(proposals[:40])
        ],
    )
    session.execute(update(Household).where(Household.id % 2 == 0).values(phone="13800138000"))
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()
    print(
        f"seeded {len(shares)} shares, {len(older)} superseded ballots, "
        f"{PAYMENTS + 2 * CORRECTIONS} payment entries, {PROPOSALS} proposals"
    )


def run_export(spec, plan, fmt: str | None):
    """Build the reports and write them as `fmt` (None: build only); returns (reports, bytes)."""
    from app.extensions import db
    from app.formats.downloads import plan_meta
    from app.formats.writers import csv_bytes, xlsx_bytes

    reports = spec.build(plan)
    data = b""
    if fmt == "csv":
        data = csv_bytes(reports[0], plan_meta(str(spec.label), plan, BenchUser()))
    elif fmt == "xlsx":
        data = xlsx_bytes(reports, plan_meta(str(spec.label), plan, BenchUser()))
    db.session.rollback()  # a fresh transaction per run, as a request would have
    return reports, data


def measure(spec, plan, runs: int) -> dict:
    """Statements, rows, times, sizes and peak memory of one export."""
    from sqlalchemy import event

    from app.extensions import db

    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    reports, _ = run_export(spec, plan, None)
    event.remove(db.engine, "before_cursor_execute", count)
    figures = {
        "statements": len(seen),
        "rows": sum(len(r.rows) for r in reports),
        "cells": sum(len(r.rows) * len(r.columns) for r in reports),
    }
    del reports
    for fmt in (None, "csv", "xlsx"):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            _reports, data = run_export(spec, plan, fmt)
            times.append(time.perf_counter() - start)
        figures[f"time_{fmt or 'build'}"] = statistics.median(times)
        if fmt:
            figures[f"size_{fmt}"] = len(data)
        del data
    for fmt in ("csv", "xlsx"):
        tracemalloc.start()
        run_export(spec, plan, fmt)
        figures[f"peak_{fmt}"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    database_url_option(ap)
    ap.add_argument("--only", nargs="*", help="export names (default: all)")
    args = ap.parse_args()
    app, _tmp = bench_app(args.database_url)

    from app.extensions import db
    from app.plans.models import Plan
    from app.reports.exports import EXPORTS

    with app.app_context():
        empty_database(db)
        with app.test_request_context():
            rnd = random.Random(20260420)
            start = time.perf_counter()
            plan_id = seed_votes(db, rnd)
            seed_funding(db, rnd, plan_id)
            print(f"seeding took {time.perf_counter() - start:.1f} s")
            plan = db.session.get(Plan, plan_id)
            dialect = db.engine.dialect.name
            print(f"\nexports, 5,000 households × 40 items, {dialect}, median of {args.runs} runs")
            print(
                f"{'export':<10}{'SQL':>4}{'rows':>8}{'cells':>10}{'build s':>9}{'CSV s':>8}"
                f"{'XLSX s':>8}{'CSV MB':>8}{'XLSX MB':>8}{'peak CSV MB':>12}{'peak XLSX MB':>13}"
            )
            for name, spec in EXPORTS.items():
                if args.only and name not in args.only:
                    continue
                f = measure(spec, plan, args.runs)
                mb = 1024 * 1024
                print(
                    f"{name:<10}{f['statements']:>4}{f['rows']:>8}{f['cells']:>10}"
                    f"{f['time_build']:>9.2f}{f['time_csv']:>8.2f}{f['time_xlsx']:>8.2f}"
                    f"{f['size_csv'] / mb:>8.2f}{f['size_xlsx'] / mb:>8.2f}"
                    f"{f['peak_csv'] / mb:>12.1f}{f['peak_xlsx'] / mb:>13.1f}",
                    flush=True,
                )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {rss:.0f} MB (CSV and XLSX times include building)")


if __name__ == "__main__":
    main()
