"""Benchmark: online ballot submissions per second against a bare one-row insert.

Each side runs under gunicorn (4 sync workers each, every server up) on the same database, driven
by the same threaded loopback client. Prepares N households (sign-in, ballot, confirmation page)
and warms the other two apps with 200 untimed POSTs each; then, in rounds taking turns,
times a share of the confirming POSTs, as many POSTs to bench/floor_app.py (CoPlan's session,
CSRF check and sign-in lookup, then one row: the framework's floor) and as many to
bench/bare_app.py. Also prints the machine's CPU time per request on each side (all processes,
from /proc/stat): how much of the gap is work and how much is waiting.

Run: .venv/bin/python bench/vote_throughput.py [--households 400] [--clients 16] [--rounds 4]
     [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
Goal: ratio ≥ 0.5. Figures only; nothing is asserted.
"""

import argparse
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


WARM_UP = 200  # untimed requests to the bare app first (the ballot server is warm from preparing)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, households: int, env: dict) -> list[str]:
    """A community of `households` households, a plan in voting, and their codes."""
    os.environ.update(env)
    from app import create_app
    from app.communities.codes import issue_codes
    from app.communities.operations import apply_roster_import, create_community, plan_roster_import
    from app.extensions import db
    from app.plans.items import import_plan
    from app.plans.planfile import parse_plan_file
    from app.plans.queries import local_today
    from app.plans.workflow import set_phase
    from bench.common import empty_database
    from tests.conftest import make_rows

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        empty_database(db)
        with app.test_request_context():
            community = create_community("滨城区示例小区")
            floors = max(1, households // (3 * 2 * 2))
            rows = make_rows(buildings=3, units=2, floors=floors, per_floor=2)[:households]
            apply_roster_import(
                community, plan_roster_import(community, rows), filename="bench", sha256="-"
            )
            raw = json.loads((ROOT / "tests/data/plan-example.json").read_text(encoding="utf-8"))
            raw["items"] = [i for i in raw["items"] if i["key"] != "B1"]
            raw["items"][1]["scope"] = {"buildings": ["1号楼", "2号楼"]}
            today = local_today()
            raw["phases"]["voting"] = {
                "opens": str(today - timedelta(days=1)),
                "closes": str(today + timedelta(days=5)),
            }
            plan = import_plan(community, parse_plan_file(json.dumps(raw).encode()))
            set_phase(plan, "voting")
            codes = [code for _h, code in issue_codes(community)]
            db.session.commit()
    return codes


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report redirects instead of following them."""

    def redirect_request(self, *args, **kwargs):
        return None


class Resident:
    """One household's browser: cookies, and its prepared confirmation form."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.confirm_fields = None

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with self.opener.open(self.base + path, body, timeout=60) as response:
            return response.status, response.read().decode()

    def prepare(self, code: str) -> None:
        """Sign in, open the ballot, choose agree everywhere, reach the confirmation page."""
        self.request(f"/h/{code}")
        _status, html = self.request("/vote")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        fields = {name: "agree" for name in set(re.findall(r'name="(item-\d+)"', html))}
        _status, page = self.request("/vote", {"csrf_token": token, **fields})
        form = page[page.index('action="/vote/confirm"') :]
        form = form[: form.index("</form>")]
        self.confirm_fields = dict(
            re.findall(r'name="([^"]+)"(?: type="hidden")? value="([^"]*)"', form)
        )

    def confirm(self) -> float:
        """The submission itself: one POST answered by a 303 to the receipt (not followed).

        Sent with the browser's cookies as a prepared header, not through the cookie jar: the
        client's own work per request stays what the bare insert's client does."""
        body = urllib.parse.urlencode(self.confirm_fields).encode()
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        request = urllib.request.Request(
            self.base + "/vote/confirm", body, headers={"Cookie": cookies}
        )
        start = time.perf_counter()
        try:
            with _PLAIN.open(request, timeout=60) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        elapsed = time.perf_counter() - start
        assert status == 303, status
        return elapsed

    def floor(self, base: str) -> float:
        """A POST to bench/floor_app.py with this household's session and CSRF token: what
        the confirmation does before its ballot work, then one row."""
        body = urllib.parse.urlencode({"csrf_token": self.confirm_fields["csrf_token"]}).encode()
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        request = urllib.request.Request(base + "/bench/floor", body, headers={"Cookie": cookies})
        start = time.perf_counter()
        with _PLAIN.open(request, timeout=60) as r:
            status = r.status
        elapsed = time.perf_counter() - start
        assert status == 204, status
        return elapsed


_PLAIN = urllib.request.build_opener(NoRedirect())


def gunicorn(app_spec: str, port: int, env: dict, chdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app_spec,
        ],
        env={**os.environ, **env},
        cwd=chdir,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (all cores, every process: servers,
    database and client alike), from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(t) for t in f.readline().split()[1:]]
    except OSError:
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait


def timed(fn, jobs, clients: int):
    """Run jobs on a thread pool; (elapsed seconds, per-call latencies, busy CPU seconds)."""
    busy = busy_seconds()
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(fn, jobs))
    elapsed = time.perf_counter() - start
    after = busy_seconds()
    return elapsed, latencies, (after - busy) if busy is not None and after is not None else None


class Side:
    """One side of the comparison: its rounds' elapsed times, latencies and busy CPU seconds."""

    def __init__(self, name: str):
        self.name = name
        self.times: list[float] = []
        self.latencies: list[float] = []
        self.cpu: list[float | None] = []

    def add(self, elapsed: float, latencies: list[float], cpu: float | None) -> None:
        self.times.append(elapsed)
        self.latencies += latencies
        self.cpu.append(cpu)

    @property
    def cpu_known(self) -> bool:
        return None not in self.cpu

    def rate(self, n: int) -> float:
        return n / sum(self.times)

    def report(self, n: int) -> str:
        p50 = statistics.median(self.latencies) * 1000
        p95 = statistics.quantiles(self.latencies, n=20)[18] * 1000
        return f"{self.name + ':':13} {self.rate(n):7.1f}/s  p50 {p50:.0f} ms  p95 {p95:.0f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=400)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--rounds", type=int, default=4, help="turns of ballots and bare inserts")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="coplan-bench-"))
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    env = {
        "COPLAN_INSTANCE": str(tmp),
        "SECRET_KEY": "bench",
        "COPLAN_HASH_KEY": "bench",
        "DATABASE_URL": url,
        "COPLAN_SIGNIN_LIMIT": "1000000 per minute",
        "COPLAN_HOUSEHOLD_LIMIT": "1000000 per hour",
    }
    codes = seed(url, args.households, env)

    from sqlalchemy import create_engine

    from bench.bare_app import rows

    rows.metadata.create_all(create_engine(url))
    port, bare_port, floor_port = free_port(), free_port(), free_port()
    server = gunicorn("app:create_app()", port, env, ROOT)
    bare = gunicorn("bare_app:app", bare_port, env, ROOT / "bench")
    floor = gunicorn("bench.floor_app:app", floor_port, env, ROOT)
    sides = {name: Side(name) for name in ("ballot", "floor", "bare insert")}
    try:
        residents = [Resident(f"http://127.0.0.1:{port}") for _ in codes]
        with ThreadPoolExecutor(args.clients) as pool:
            list(
                pool.map(lambda pair: pair[0].prepare(pair[1]), zip(residents, codes, strict=True))
            )

        def post(_n):
            start = time.perf_counter()
            data = urllib.parse.urlencode({"x": "payload"}).encode()
            with urllib.request.urlopen(f"http://127.0.0.1:{bare_port}/", data, timeout=60) as r:
                r.read()
            return time.perf_counter() - start

        def floor_post(resident):
            return resident.floor(f"http://127.0.0.1:{floor_port}")

        # Warm like the ballot server, which served every household's sign-in and ballot page
        # before its timed run: each worker's connection open and its code paths run once.
        timed(post, range(WARM_UP), args.clients)
        timed(floor_post, (residents * WARM_UP)[:WARM_UP], args.clients)
        # Rounds taking turns (ballots, the floor, then as many bare inserts): a machine whose
        # speed drifts during the run (a shared host) slows every side alike.
        size = -(-len(residents) // args.rounds)
        for start in range(0, len(residents), size):
            chunk = residents[start : start + size]
            sides["ballot"].add(*timed(lambda r: r.confirm(), chunk, args.clients))
            sides["floor"].add(*timed(floor_post, chunk, args.clients))
            sides["bare insert"].add(*timed(post, range(len(chunk)), args.clients))
    finally:
        for proc in (server, bare, floor):
            proc.terminate()
            proc.wait()

    n = len(codes)
    ballot, floor_side, bare_side = sides.values()
    kind = url.split(":")[0]
    print(f"{kind}: {n} ballot submissions, {args.clients} clients, gunicorn -w 4")
    for side in sides.values():
        print(f"  {side.report(n)}")
    print(f"  ratio ballots / bare insert: {ballot.rate(n) / bare_side.rate(n):.2f} (goal ≥ 0.5)")
    print(
        f"  ratio per round ({len(ballot.times)} rounds): "
        + ", ".join(f"{b / v:.2f}" for v, b in zip(ballot.times, bare_side.times, strict=True))
    )
    print(
        f"  ratio floor / bare insert: {floor_side.rate(n) / bare_side.rate(n):.2f}"
        " (no ballot path behind this framework can pass it)"
    )
    if all(side.cpu_known for side in sides.values()):
        # Machine time per request: CPU-bound work shows the cost; busy well under 100 % shows
        # waiting (a lock, a disk flush) instead.
        cores = os.cpu_count() or 1
        print(
            "  machine CPU per request: "
            + ", ".join(
                f"{side.name} {sum(side.cpu) / n * 1000:.2f} ms"
                f" (busy {sum(side.cpu) / sum(side.times) / cores:.0%})"
                for side in sides.values()
            )
            + f", of {cores} cores"
        )


if __name__ == "__main__":
    main()
