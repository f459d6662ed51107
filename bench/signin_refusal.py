"""Benchmark: how long a refused QR sign-in (/h/<code>) takes, by kind of refused code.

Run: .venv/bin/python bench/signin_refusal.py [--runs 200] [--database-url URL]
A code that was rotated out, one never issued and a malformed one all get the same 401 page
(tests/reliability/test_hostile.py checks that); this prints the median time of each, so a
difference an attacker could time shows up in the figures. Not a test: figures, not assertions.
"""

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_app, database_url_option, empty_database

ROSTER = Path(__file__).resolve().parents[1] / "tests" / "data" / "roster-example.csv"


def issued_codes(runner, out: Path) -> list[str]:
    """`flask codes issue` for the bench community; the codes, from the file it writes."""
    result = runner.invoke(args=["codes", "issue", "bench", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        return [row["link"].rsplit("/", 1)[-1] for row in csv.DictReader(fh)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200, help="requests per kind of code")
    database_url_option(ap)
    args = ap.parse_args()
    app, _tmp = bench_app(args.database_url, RATELIMIT_STORAGE_URI="memory://")

    from app.extensions import db

    with app.app_context():
        empty_database(db)
    runner = app.test_cli_runner()
    for command in (["community", "create", "bench"], ["roster", "import", "bench", str(ROSTER)]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    with tempfile.TemporaryDirectory() as folder:
        rotated = issued_codes(runner, Path(folder) / "first.csv")[0]
        live = set(issued_codes(runner, Path(folder) / "second.csv"))  # the first codes die
    never = next(c for c in ("ABCDEFGHJK", "KJHGFEDCBA", "MNPQRSTUVW") if c not in live)
    kinds = {"never issued": never, "rotated out": rotated, "malformed": "12"}
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    for n in range(args.runs):
        for k, (kind, code) in enumerate(kinds.items()):
            client = app.test_client()  # an address of its own: the client limit stays out of it
            client.environ_base["REMOTE_ADDR"] = f"10.{k}.{n // 250}.{n % 250 + 1}"
            start = time.perf_counter()
            status = client.get(f"/h/{code}").status_code
            timings[kind].append(time.perf_counter() - start)
            assert status == 401, (kind, status)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    print(f"refused QR sign-in (/h/<code>), {args.runs} requests per kind, {url.split(':')[0]}")
    for kind, ts in timings.items():
        q = statistics.quantiles(ts, n=20)
        print(
            f"{kind:>13}: median {statistics.median(ts) * 1000:.2f} ms, "
            f"p5 {q[0] * 1000:.2f} ms, p95 {q[-1] * 1000:.2f} ms"
        )
    medians = [statistics.median(ts) for ts in timings.values()]
    print(f"largest difference between medians: {(max(medians) - min(medians)) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
