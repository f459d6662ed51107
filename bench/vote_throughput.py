"""Benchmark: online ballot submissions per second against a bare one-row insert.

Both run under gunicorn (4 sync workers) on the same database and are driven by the same
threaded loopback client. Prepares N households (sign-in, ballot, confirmation page), then
times only the confirming POSTs; then times N POSTs to bench/bare_app.py.

Run: .venv/bin/python bench/vote_throughput.py [--households 400] [--clients 16]
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
        self.no_redirect = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )

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
        """The submission itself: one POST answered by a 303 to the receipt (not followed)."""
        body = urllib.parse.urlencode(self.confirm_fields).encode()
        start = time.perf_counter()
        try:
            with self.no_redirect.open(self.base + "/vote/confirm", body, timeout=60) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        elapsed = time.perf_counter() - start
        assert status == 303, status
        return elapsed


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


def timed(fn, jobs, clients: int):
    """Run jobs on a thread pool; (elapsed seconds, per-call latencies)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(fn, jobs))
    return time.perf_counter() - start, latencies


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=400)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--database-url", default=None)
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

    port = free_port()
    server = gunicorn("app:create_app()", port, env, ROOT)
    try:
        residents = [Resident(f"http://127.0.0.1:{port}") for _ in codes]
        with ThreadPoolExecutor(args.clients) as pool:
            list(
                pool.map(lambda pair: pair[0].prepare(pair[1]), zip(residents, codes, strict=True))
            )
        vote_time, vote_lat = timed(lambda r: r.confirm(), residents, args.clients)
    finally:
        server.terminate()
        server.wait()

    bare_port = free_port()
    bare = gunicorn("bare_app:app", bare_port, env, ROOT / "bench")
    try:
        from sqlalchemy import create_engine

        from bench.bare_app import rows

        rows.metadata.create_all(create_engine(url))

        def post(_n):
            start = time.perf_counter()
            data = urllib.parse.urlencode({"x": "payload"}).encode()
            with urllib.request.urlopen(f"http://127.0.0.1:{bare_port}/", data, timeout=60) as r:
                r.read()
            return time.perf_counter() - start

        bare_time, bare_lat = timed(post, range(len(codes)), args.clients)
    finally:
        bare.terminate()
        bare.wait()

    n = len(codes)
    vote_rate, bare_rate = n / vote_time, n / bare_time
    kind = url.split(":")[0]
    print(f"{kind}: {n} ballot submissions, {args.clients} clients, gunicorn -w 4")
    print(
        f"  ballots:  {vote_rate:7.1f}/s  p50 {statistics.median(vote_lat) * 1000:.0f} ms"
        f"  p95 {statistics.quantiles(vote_lat, n=20)[18] * 1000:.0f} ms"
    )
    print(
        f"  bare insert: {bare_rate:7.1f}/s  p50 {statistics.median(bare_lat) * 1000:.0f} ms"
        f"  p95 {statistics.quantiles(bare_lat, n=20)[18] * 1000:.0f} ms"
    )
    print(f"  ratio ballots / bare insert: {vote_rate / bare_rate:.2f} (goal ≥ 0.5)")


if __name__ == "__main__":
    main()
