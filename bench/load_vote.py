"""Load test: 200 households vote at once through gunicorn on loopback, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/load_vote.py [--database sqlite|postgresql|both] [--households 200]
     [--workers 4] [--kill-worker] [--pg-url URL] [--json]

Each run sets up a fresh database with the operator's commands (flask db upgrade, community
create, roster import, plan import, plan phase, codes issue), starts
`gunicorn -w 4 -b 127.0.0.1:PORT 'app:create_app()'` (COPLAN_ENV=development), and lets every
household, in its own thread and HTTP session, sign in with its code, load the ballot, submit,
confirm and read its receipt. A failed step (5xx or a dropped connection) is retried up to 3
times, the confirmation with the same form (same submission key), as a resident would tap again.
--kill-worker SIGKILLs one gunicorn worker while confirmations are in flight.

Then it reads the database: ballots recorded, duplicates, and partial ballots (a ballot without
all its choices or its audit event, an effective ballot pointing nowhere, a household with
other than one effective ballot, a receipt shown to a resident that the database lacks), and
the audit chain. Prints requests, errors, p50/p95 latency. Exit status 1 if any check fails.

The worker killing lives in bench/load_kill.py, the database checks in bench/load_checks.py.
Only loopback traffic; every loop is bounded in count and time. PostgreSQL runs use a scratch
database (coplan_load by default), created and dropped here. All households share one client
address, so the per-address sign-in limit is lifted for the run (COPLAN_SIGNIN_LIMIT).
"""

import argparse
import csv
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from load_checks import check_database
from load_kill import kill_a_worker

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = ROOT / "tests" / "data"
COMMUNITY = "滨城区示例小区"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_key" value="([^"]+)"')
ITEM = re.compile(r'name="item-(\d+)"')
sys.path.insert(0, str(ROOT))


def roster_csv(households: int) -> str:
    """A roster of 4 buildings × 2 units × 5 floors × N doors, filled building by building in
    turn so every building and unit the example plan names has households."""
    doors = max(1, -(-households // 40))
    slots = [
        (b, u, f, d)
        for f in range(1, 6)
        for d in range(1, doors + 1)
        for b in range(1, 5)
        for u in range(1, 3)
    ][: max(households, 8)]
    lines = ["楼栋,单元,房号,面积,业主"]
    for n, (b, u, f, d) in enumerate(sorted(slots), 1):
        lines.append(f"{b}号楼,{u}单元,{f}{d:02d},{60 + n % 30}.{n % 100:02d},业主{n}")
    return "\n".join(lines) + "\n"


def plan_file() -> str:
    """The example plan with voting open from yesterday to 30 days on (local time)."""
    plan = json.loads((DATA / "plan-example.json").read_text(encoding="utf-8"))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    day = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    plan["phases"].update(
        proposals={"opens": day(-30), "closes": day(-20)},
        drafting={"opens": day(-19), "closes": day(-2)},
        voting={"opens": day(-1), "closes": day(30)},
    )
    return json.dumps(plan, ensure_ascii=False)


class Stats:
    """Every request's step, status and latency, shared by the household threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[tuple[str, int, float]] = []  # (step, status or 0, seconds)
        self.retries = 0
        self.confirms_in_flight = 0
        self.confirms_started = 0

    def add(self, step: str, status: int, seconds: float):
        with self.lock:
            self.requests.append((step, status, seconds))


def _request(stats, session, step, method, url, **kwargs):
    """One request, timed; a dropped connection is recorded with status 0 and re-raised."""
    start = time.perf_counter()
    try:
        response = session.request(method, url, timeout=30, allow_redirects=False, **kwargs)
    except requests.RequestException:
        stats.add(step, 0, time.perf_counter() - start)
        raise
    stats.add(step, response.status_code, time.perf_counter() - start)
    return response


def _step(stats, session, step, method, url, ok=(200,), **kwargs):
    """A step a resident would retry (up to 3 times) on a server error or a dropped line."""
    for attempt in range(4):
        try:
            response = _request(stats, session, step, method, url, **kwargs)
            if response.status_code < 500:
                if response.status_code not in ok:
                    raise RuntimeError(f"{step}: unexpected {response.status_code}")
                return response
        except requests.RequestException:
            pass
        if attempt < 3:
            with stats.lock:
                stats.retries += 1
            time.sleep(0.2 + random.random() * 0.3)
    raise RuntimeError(f"{step}: failed after 4 attempts")


def vote(base: str, code: str, stats: Stats, barrier: threading.Barrier) -> str:
    """One household's whole visit; returns the receipt code it was shown."""
    session = requests.Session()
    barrier.wait(timeout=60)
    page = _step(stats, session, "signin-page", "GET", f"{base}/")
    token = CSRF.search(page.text).group(1)
    _step(
        stats,
        session,
        "signin",
        "POST",
        f"{base}/",
        ok=(302,),
        data={"code": code, "csrf_token": token},
    )
    ballot = _step(stats, session, "ballot", "GET", f"{base}/vote")
    form = {"csrf_token": CSRF.search(ballot.text).group(1)}
    for n, item_id in enumerate(dict.fromkeys(ITEM.findall(ballot.text))):
        form[f"item-{item_id}"] = ("agree", "oppose", "abstain", "agree")[n % 4]
    confirm = _step(stats, session, "submit", "POST", f"{base}/vote", data=form)
    form["submission_key"] = SUBMISSION.search(confirm.text).group(1)
    form["csrf_token"] = CSRF.search(confirm.text).group(1)
    with stats.lock:
        stats.confirms_started += 1
        stats.confirms_in_flight += 1
    try:
        done = _step(
            stats, session, "confirm", "POST", f"{base}/vote/confirm", ok=(303,), data=form
        )
    finally:
        with stats.lock:
            stats.confirms_in_flight -= 1
    receipt = done.headers["Location"].rsplit("/", 1)[-1]
    _step(stats, session, "receipt", "GET", f"{base}/vote/receipt/{receipt}")
    return receipt


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args) -> str:
    """Run a `flask` command as an operator would; fail loudly."""
    done = subprocess.run(
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def set_up(env, tmp: Path, households: int) -> list[str]:
    """Migrate, create the community, import roster and plan, open voting, issue codes."""
    (tmp / "roster.csv").write_text(roster_csv(households), encoding="utf-8")
    (tmp / "plan.json").write_text(plan_file(), encoding="utf-8")
    flask(env, "db", "upgrade")
    flask(env, "community", "create", COMMUNITY, "--district", "滨城区")
    flask(env, "roster", "import", COMMUNITY, str(tmp / "roster.csv"))
    plan_id = re.search(
        r"imported plan (\d+)", flask(env, "plan", "import", str(tmp / "plan.json"))
    )
    flask(env, "plan", "phase", plan_id.group(1), "voting")
    flask(env, "codes", "issue", COMMUNITY, "--out", str(tmp / "codes.csv"))
    with open(tmp / "codes.csv", encoding="utf-8-sig", newline="") as fh:
        return [row["code"] for row in csv.DictReader(fh)]


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))] * 1000


def run(kind: str, url: str, households: int, workers: int, kill: bool, limit: float) -> dict:
    """One load run on a fresh database; returns its report."""
    tmp = Path(tempfile.mkdtemp(prefix=f"coplan-load-{kind}-"))
    env = {
        **os.environ,
        "FLASK_APP": "app:create_app",
        "COPLAN_ENV": "development",
        "COPLAN_INSTANCE": str(tmp),
        "DATABASE_URL": url,
        "COPLAN_SIGNIN_LIMIT": "100000 per minute",
    }
    codes = set_up(env, tmp, households)[:households]
    port = free_port()
    log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    stats, events, receipts, failures = Stats(), [], [], []
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise SystemExit(f"gunicorn did not start; see {tmp / 'gunicorn.log'}")
        barrier = threading.Barrier(len(codes))
        deadline = time.monotonic() + limit
        killer = None
        if kill:
            killer = threading.Thread(
                target=kill_a_worker,
                args=(server.pid, port, stats, len(codes), events, deadline, url),
            )
            killer.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(codes)) as pool:
            futures = [pool.submit(vote, base, code, stats, barrier) for code in codes]
            for f in futures:
                try:
                    receipts.append(f.result(timeout=max(1, deadline - time.monotonic())))
                except Exception as exc:  # a household that could not finish
                    failures.append(repr(exc))
        wall = time.perf_counter() - started
        if killer:
            killer.join(timeout=5)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    db = check_database(url, receipts)
    statuses = Counter(status for _s, status, _t in stats.requests)
    confirm = [t for s, _st, t in stats.requests if s == "confirm"]
    everything = [t for _s, _st, t in stats.requests]
    return {
        "database": kind,
        "gunicorn_workers": workers,
        "households": len(codes),
        "kill_worker": kill,
        "events": events,
        "requests": len(stats.requests),
        "statuses": dict(sorted(statuses.items())),
        "errors_5xx": sum(n for s, n in statuses.items() if s >= 500),
        "dropped_connections": statuses.get(0, 0),
        "dropped_at": dict(Counter(step for step, status, _t in stats.requests if status == 0)),
        "retries": stats.retries,
        "households_done": len(receipts),
        "households_failed": failures[:5]
        + ([f"... {len(failures) - 5} more"] if len(failures) > 5 else []),
        "latency_ms": {
            "p50": round(percentile(everything, 50), 1),
            "p95": round(percentile(everything, 95), 1),
            "max": round(max(everything, default=0) * 1000, 1),
            "confirm_p50": round(percentile(confirm, 50), 1),
            "confirm_p95": round(percentile(confirm, 95), 1),
        },
        "wall_seconds": round(wall, 2),
        "requests_per_second": round(len(stats.requests) / wall, 1) if wall else 0,
        **db,
    }


def print_report(r: dict) -> None:
    """The run's figures, one line each."""
    lat = r["latency_ms"]
    killed = ", one worker SIGKILLed" if r["kill_worker"] else ""
    lines = [
        f"== {r['database']}, gunicorn -w {r['gunicorn_workers']}, "
        f"{r['households']} households{killed} ==",
        *(f"  {line}" for line in r["events"]),
        f"  requests: {r['requests']} in {r['wall_seconds']} s "
        f"({r['requests_per_second']}/s); statuses {r['statuses']}",
        f"  errors: 5xx {r['errors_5xx']}, dropped connections {r['dropped_connections']} "
        f"{r['dropped_at'] or ''}, retried steps {r['retries']}",
        f"  households finished: {r['households_done']}/{r['households']}; "
        f"failed: {r['households_failed'] or 'none'}",
        f"  ballots recorded: {r['ballots']} ({r['households_with_ballot']} households); "
        f"duplicates: {r['duplicates']}",
        f"  latency ms: p50 {lat['p50']}, p95 {lat['p95']}, max {lat['max']}; "
        f"confirm p50 {lat['confirm_p50']}, p95 {lat['confirm_p95']}",
        f"  audit chain: {r['audit_events_checked']} events checked; "
        f"partial or inconsistent writes: {r['problems'] or 'none'}",
    ]
    print("\n" + "\n".join(lines))


def ok(r: dict) -> bool:
    """All recorded, none twice, nothing partial, no household left without its receipt."""
    return (
        not r["problems"]
        and r["duplicates"] == 0
        and r["households_done"] == r["households"] == r["ballots"]
        and (r["kill_worker"] or r["errors_5xx"] == 0)
    )


def postgres_scratch(url: str, create: bool) -> None:
    """Create (or drop) the scratch PostgreSQL database named in `url`."""
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{target.database}"')


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--households", type=int, default=200)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--kill-worker", action="store_true")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/coplan_load")
    ap.add_argument("--time-limit", type=float, default=300, help="seconds per run")
    ap.add_argument("--json", action="store_true", help="print the reports as JSON too")
    args = ap.parse_args()
    os.environ["COPLAN_INSTANCE"] = tempfile.mkdtemp(prefix="coplan-load-check-")
    if not 1 <= args.households <= 400:
        ap.error("--households must be between 1 and 400")
    reports = []
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for kind in kinds:
        if kind == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp(prefix='coplan-load-db-')}/load.sqlite3"
            reports.append(
                run(kind, url, args.households, args.workers, args.kill_worker, args.time_limit)
            )
        else:
            postgres_scratch(args.pg_url, create=True)
            try:
                reports.append(
                    run(
                        kind,
                        args.pg_url,
                        args.households,
                        args.workers,
                        args.kill_worker,
                        args.time_limit,
                    )
                )
            finally:
                postgres_scratch(args.pg_url, create=False)
        print_report(reports[-1])
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    failed = [r["database"] for r in reports if not ok(r)]
    print(f"\nresult: {'FAILED on ' + ', '.join(failed) if failed else 'all checks passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
