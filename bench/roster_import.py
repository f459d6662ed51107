"""Benchmark: import a 10,000-household roster (parse + plan + write) on SQLite or PostgreSQL,
and parse alone a 10,000-row file whose only error is in its last row (checked, nothing written).

Run: .venv/bin/python bench/roster_import.py [--runs 5] [--database-url URL]
Prints the median and each run; targets < 5 s (import, SQLite) and < 2 s (parse only).
Not a test: figures, not assertions.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_app, database_url_option, empty_database


def roster_csv(households: int = 10_000) -> bytes:
    """A GB18030 roster of 10 buildings × 5 units × 20 floors × 10 doors."""
    lines = ["楼栋,单元,房号,建筑面积,业主姓名,证件号,联系电话"]
    n = 0
    for b in range(1, 11):
        for u in range(1, 6):
            for f in range(1, 21):
                for d in range(1, 11):
                    n += 1
                    owner_id = "12330100MB0000001X" if n % 50 == 0 else ""
                    lines.append(
                        f"{b}号楼,{u}单元,{f}{d:02d},{60 + n % 40}.{n % 100:02d}㎡,"
                        f"业主{n},{owner_id},139{n:08d}"
                    )
    assert n == households
    return ("\n".join(lines) + "\n").encode("gb18030")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    database_url_option(ap)
    args = ap.parse_args()
    app, _tmp = bench_app(args.database_url)

    from app.communities.operations import create_community, import_roster_file
    from app.extensions import db

    data = roster_csv()
    timings = []
    with app.app_context():
        empty_database(db)
        for run in range(args.runs):
            with app.test_request_context():
                community = create_community(f"bench-{run}")
                db.session.commit()
                start = time.perf_counter()
                summary = import_roster_file(community, data, "bench.csv")
                db.session.commit()
                timings.append(time.perf_counter() - start)
                assert summary["created"] == 10_000
        # The whole file is read and checked even when only its last row is wrong.
        from app.communities.roster import parse_roster

        flawed = data.replace("业主10000,".encode("gb18030"), b",")  # the last row's owner
        parses = []
        for _run in range(args.runs):
            start = time.perf_counter()
            result = parse_roster(flawed, "bench.csv")
            parses.append(time.perf_counter() - start)
            assert result.data_rows == 10_000 and len(result.errors) == 1
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    print(f"roster import, 10,000 households, {url.split(':')[0]}")
    print("runs (s): " + ", ".join(f"{t:.2f}" for t in timings))
    print(f"median: {statistics.median(timings):.2f} s (target < 5 s on SQLite)")
    print("parse only, 10,000 rows, the last one without its owner (refused, nothing written)")
    print("runs (s): " + ", ".join(f"{t:.2f}" for t in parses))
    print(f"median: {statistics.median(parses):.2f} s (target < 2 s)")


if __name__ == "__main__":
    main()
