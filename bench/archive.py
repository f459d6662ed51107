"""Benchmark: build and verify the archive (一小区一档案) of a plan of 5,000 households.

Run: .venv/bin/python bench/archive.py [--database-url URL] [--profile]
The database at URL is emptied (its public schema dropped) first: never point it at real data.
Seeds what bench/tally.py seeds (5,000 households, 40 items, 80 % turnout) plus what an archive
carries beyond the tally: an earlier online version for one voter in ten, a paper serial for
every household and two agreeing keyings for every paper ballot, one audit event per ballot
(every seventh event another community's, on its own chain), and a published final result
so the notices are drawn. Prints the build time, the ZIP's size and file count, the largest
files, the verification time and the peak memory; then, through the web page with a real worker
(`flask jobs worker` on an SQLite queue), the time to the progress page and to the file.
Not a test: figures, not assertions.
"""

import argparse
import cProfile
import importlib.util
import json
import os
import pstats
import random
import resource
import subprocess
import sys
import time
import zipfile
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_app, database_url_option, empty_database

_spec = importlib.util.spec_from_file_location(
    "bench_tally", os.path.join(os.path.dirname(os.path.abspath(__file__)), "tally.py")
)
bench_tally = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_tally)


def seed_more(db, plan_id: int, rnd: random.Random) -> None:
    """Older online versions, paper serials and keyings, the audit trail, a final result."""
    from app.communities.models import Community
    from app.core.audit import GENESIS, AuditEvent, chain_of
    from app.core.db import utcnow
    from app.paper.models import PaperEntry, PaperSerial
    from app.plans.models import Item, Plan
    from app.plans.shares import fix_shares
    from app.voting.models import Ballot, BallotChoice

    session = db.session
    plan = session.get(Plan, plan_id)
    cid = plan.community_id
    now = utcnow()
    plan.phase, plan.result_stage = "published", "final"
    plan.voting_opens = (now - timedelta(days=30)).date()
    plan.voting_closes = (now - timedelta(days=20)).date()
    plan.preliminary_published_at = now - timedelta(days=19)
    plan.objections_close = (now - timedelta(days=12)).date()
    plan.final_published_at = now - timedelta(days=11)
    keys = dict(session.execute(db.select(Item.id, Item.key).where(Item.plan_id == plan_id)).all())
    # Voting opened long ago: every share was stored then (fix_shares, as set_phase does), and
    # the archive reads them.
    written = fix_shares(plan)
    session.commit()  # its audit events get their final hashes at commit; the chain goes on
    ballots = session.execute(
        db.select(Ballot.id, Ballot.household_id, Ballot.channel).where(Ballot.plan_id == plan_id)
    ).all()
    choices: dict[int, list] = {}
    for ballot_id, item_id, choice in session.execute(
        db.select(BallotChoice.ballot_id, BallotChoice.item_id, BallotChoice.choice)
    ):
        choices.setdefault(ballot_id, []).append((item_id, choice))
    # One voter in ten changed an online vote: the earlier version stays, superseded.
    earlier = [b for b in ballots if b.channel == "online" and rnd.random() < 0.1]
    session.execute(
        db.insert(Ballot),
        [{"community_id": cid, "plan_id": plan_id, "household_id": b.household_id,
          "channel": "online", "receipt": f"E{b.id:010d}",
          "recorded_at": now - timedelta(days=25)} for b in earlier],
    )  # fmt: skip
    new_ids = dict(
        session.execute(db.select(Ballot.receipt, Ballot.id).where(Ballot.receipt.like("E%"))).all()
    )
    session.execute(
        db.insert(BallotChoice),
        [{"community_id": cid, "ballot_id": new_ids[f"E{b.id:010d}"], "item_id": item_id,
          "item_revision": 1, "choice": rnd.choice(["agree", "oppose", "abstain"])}
         for b in earlier for item_id, _c in choices.get(b.id, [])],
    )  # fmt: skip
    households = [h for (h,) in session.execute(db.text("SELECT id FROM household"))]
    session.execute(
        db.insert(PaperSerial),
        [{"community_id": cid, "plan_id": plan_id, "household_id": h,
          "serial": f"S{h:012d}", "status": "issued"} for h in households],
    )  # fmt: skip
    serial_of = dict(session.execute(db.select(PaperSerial.household_id, PaperSerial.id)).all())
    entries = []
    for b in ballots:
        if b.channel != "paper":
            continue
        keying = {keys[i]: c for i, c in choices.get(b.id, [])} | {"_pledges": []}
        for _worker in (1, 2):
            entries.append(
                {"community_id": cid, "plan_id": plan_id, "serial_id": serial_of[b.household_id],
                 "household_id": b.household_id, "choices": json.dumps(keying, ensure_ascii=False),
                 "status": "confirmed", "ballot_id": b.id}
            )  # fmt: skip
    session.execute(db.insert(PaperEntry), entries)
    other = Community(name="bench-neighbour", district="bench")
    session.add(other)
    session.flush()
    events, heads = [], {}

    def head(chain: int) -> tuple[int, str]:
        """The chain's last (seq, hash) so far."""
        if chain not in heads:
            row = session.execute(
                db.select(AuditEvent.seq, AuditEvent.hash)
                .where(AuditEvent.chain == chain)
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            ).first()
            heads[chain] = (row.seq, row.hash) if row else (0, GENESIS)
        return heads[chain]

    for n, b in enumerate(ballots):
        community = other.id if n % 7 == 6 else cid
        seq, prev = head(chain_of(community))
        event = AuditEvent(
            community_id=community, actor="user:bench", action=f"ballot.{b.channel}",
            record_type="ballot", record_id=str(b.id), before=None,
            after=json.dumps({"household": b.household_id,
                              "choices": {keys[i]: c for i, c in choices.get(b.id, [])}},
                             ensure_ascii=False, sort_keys=True, separators=(",", ":")),
            created_at=now - timedelta(days=21, seconds=-n), prev_hash=prev,
            chain=chain_of(community), seq=seq + 1,
        )  # fmt: skip
        event.hash = event.compute_hash()
        heads[event.chain] = (event.seq, event.hash)
        events.append(
            {c: getattr(event, c) for c in ("community_id", "actor", "action", "record_type",
             "record_id", "before", "after", "created_at", "chain", "seq", "prev_hash", "hash")}
        )  # fmt: skip
    session.execute(db.insert(AuditEvent), events)
    session.commit()
    print(
        f"plus {written} stored shares, {len(earlier)} earlier online versions, "
        f"{len(households)} serials, "
        f"{len(entries)} paper keyings, {len(events)} audit events"
    )


def queue_figures(app, tmp: str, plan_id: int, database_url: str) -> tuple[float, float, int]:
    """The download of the archive page with the worker: seconds to the progress page, seconds
    until the file is downloaded (worker already running), and the file's size."""
    from sqlalchemy import select

    from app.extensions import db
    from app.plans.models import Plan
    from app.printing.models import PrintJob
    from tests.conftest import sign_in_staff

    runner = app.test_cli_runner()
    with app.app_context():
        community = db.session.get(Plan, plan_id).community.name
    result = runner.invoke(
        args=["user", "create", "bench-committee", "--role", "committee", "--community",
              community, "--password-stdin"],
        input="secret-pass-1\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    env = os.environ | {
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": database_url,
        "COPLAN_QUEUE_URL": app.config["QUEUE_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "COPLAN_HASH_KEY": app.config["HASH_KEY"],
    }
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    worker = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "flask"), "jobs", "worker"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        worker.stdout.readline()  # the banner: the worker is taking jobs
        client = app.test_client()
        sign_in_staff(client, "bench-committee")
        with app.app_context():
            cid = db.session.get(Plan, plan_id).community_id
        start = time.perf_counter()
        response = client.get(f"/c/{cid}/plans/{plan_id}/archive.zip")
        job_url = response.headers["Location"]
        response.close()
        client.get(job_url)
        to_page = time.perf_counter() - start
        while True:
            with app.app_context():
                status = db.session.scalar(select(PrintJob.status).order_by(PrintJob.id.desc()))
            if status in ("done", "failed"):
                break
            time.sleep(0.2)
        size = len(client.get(job_url + "/file").get_data())
        to_file = time.perf_counter() - start
    finally:
        worker.terminate()
        worker.wait(30)
    return to_page, to_file, size if status == "done" else -1


def main() -> None:
    """Seed, build, verify, print the figures."""
    ap = argparse.ArgumentParser()
    database_url_option(ap)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one build")
    args = ap.parse_args()
    app, tmp = bench_app(args.database_url, QUEUE_IMMEDIATE=False)
    from sqlalchemy import text

    from app.extensions import db
    from app.formats.writers import xlsx_bytes
    from app.plans.models import Plan
    from app.reports.archive.build import build_archive, verify_archive
    from app.reports.exports import EXPORTS

    out = os.path.join(tmp, "archive.zip")
    with app.app_context():
        empty_database(db)
        with app.test_request_context():
            rnd = random.Random(20260420)
            plan_id = bench_tally.seed(db, rnd)
            seed_more(db, plan_id, rnd)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            plan = db.session.get(Plan, plan_id)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start, cpu = time.perf_counter(), time.process_time()
            info = build_archive(plan, out)
            built, built_cpu = time.perf_counter() - start, time.process_time() - cpu
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            db.session.rollback()
            start = time.perf_counter()
            result = verify_archive(out)
            verified = time.perf_counter() - start
            export_times = {}
            for spec in EXPORTS.values():
                start = time.perf_counter()
                reports = spec.build(plan)
                built_at = time.perf_counter()
                xlsx_bytes(reports, None)
                export_times[spec.name] = (built_at - start, time.perf_counter() - built_at)
                db.session.rollback()
            saved = dict(EXPORTS)
            EXPORTS.clear()
            start = time.perf_counter()
            build_archive(plan, os.path.join(tmp, "no-exports.zip"))
            without_exports = time.perf_counter() - start
            EXPORTS.update(saved)
            db.session.rollback()
            if args.profile:
                profiler = cProfile.Profile()
                profiler.runcall(build_archive, plan, os.path.join(tmp, "profiled.zip"))
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        dialect = db.engine.dialect.name
        database_url = db.engine.url.render_as_string(hide_password=False)
    to_page, to_file, queued_size = queue_figures(app, tmp, plan_id, database_url)
    with zipfile.ZipFile(out) as archive:
        infos = sorted(archive.infolist(), key=lambda i: -i.file_size)
        raw = sum(i.file_size for i in infos)
    print(f"archive of 5,000 households, {dialect}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"build:   {built:6.1f} s ({built_cpu:.1f} s CPU)   ZIP {info.size / 1e6:.1f} MB "
          f"({raw / 1e6:.1f} MB unpacked), {info.files} files")  # fmt: skip
    print(f"verify:  {verified:6.1f} s   ok={result.ok}, {result.files_checked} files, "
          f"audit {result.audit.events} events, {result.audit.gaps} gaps")  # fmt: skip
    for finding in result.problems[:10]:
        print(f"  problem: {finding}")
    print(f"web download with the worker: progress page after {to_page:.2f} s, "
          f"file after {to_file:.1f} s ({queued_size / 1e6:.1f} MB)")  # fmt: skip
    print(f"without exports: {without_exports:6.1f} s; each export, build + XLSX:")
    for name, (build_s, xlsx_s) in export_times.items():
        print(f"  {name:12} {build_s:6.1f} s + {xlsx_s:5.1f} s")
    print(f"peak RSS {rss_after / 1024:.0f} MB (before the build {rss_before / 1024:.0f} MB)")
    print("largest files (unpacked → packed):")
    for i in infos[:8]:
        print(f"  {i.filename:45} {i.file_size / 1e6:7.2f} MB → {i.compress_size / 1e6:6.2f} MB")
    print(f"counts: {json.dumps(info.manifest['counts'], ensure_ascii=False)}")


if __name__ == "__main__":
    main()
