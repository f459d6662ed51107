"""Where a ballot confirmation's time goes, without a profiler's distortion: wall time of the
request's parts (plan lookup, checks, the writes, the audit event) measured with perf_counter
around each, in process, one confirmation at a time; the rest of the median (sign-in lookup,
CSRF, session, commit) is the request around them.

Run: .venv/bin/python bench/vote_segments.py [--households 200] [--database-url URL]
"""

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (module, attribute) pairs timed, each where the caller looks it up.
TIMED = [
    ("app.voting.views", "household_plan"),
    ("app.voting.views", "cast_online_ballot"),
    ("app.voting.views", "parse_ballot_fields"),
    ("app.voting.operations", "lock_household"),
    ("app.voting.operations", "is_voting_open"),
    ("app.voting.operations", "items_for_household"),
    ("app.voting.operations", "_validate_choices"),
    ("app.voting.operations", "_closing_check"),
    ("app.voting.operations", "_record"),
    ("app.voting.operations", "refresh_effective_ballot"),
    ("app.voting.operations", "log_event"),
    ("app.core.audit", "_resolved_rows"),
    ("app.core.audit", "_append"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=200)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    import importlib

    from bench.vote_profile import prepared_confirmations

    _app, url, prepared = prepared_confirmations(args.database_url, args.households)
    spent: dict[str, list[float]] = {}
    for module_name, name in TIMED:
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def timed(*a, __f=original, __n=name, **k):
            start = time.perf_counter()
            try:
                return __f(*a, **k)
            finally:
                spent.setdefault(__n, []).append(time.perf_counter() - start)

        setattr(module, name, functools.wraps(original)(timed))
    whole = []
    for client, fields in prepared:
        start = time.perf_counter()
        response = client.post("/vote/confirm", data=fields)
        whole.append(time.perf_counter() - start)
        assert response.status_code == 303, response.status_code
    n = len(prepared)
    print(
        f"{url.split(':')[0]}: {n} confirmations, median {statistics.median(whole) * 1000:.2f} ms"
    )
    for name, times in sorted(spent.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {sum(times) / n * 1000:6.2f} ms  {len(times) / n:3.1f}×  {name}")


if __name__ == "__main__":
    main()
