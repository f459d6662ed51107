"""Profile of the ballot confirmation POST (/vote/confirm), in process, one request at a time.

Seeds the community of bench/vote_throughput.py, brings N households to the confirmation page
through the test client, then confirms each: prints the time per confirmation, the SQL
statements per confirmation (each statement with how often it runs), and with --profile the
cProfile functions by cumulative time. What bench/vote_throughput.py measures under gunicorn,
taken apart.

Run: .venv/bin/python bench/vote_profile.py [--households 100] [--profile 40 [--sort tottime]]
     [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/coplan_bench]
"""

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def confirmation_form(client, code: str) -> dict:
    """Sign in with `code`, agree to every item, and return the confirmation form's fields."""
    client.get(f"/h/{code}")
    html = client.get("/vote").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    fields = {name: "agree" for name in set(re.findall(r'name="(item-\d+)"', html))}
    page = client.post("/vote", data={"csrf_token": token, **fields}).get_data(as_text=True)
    form = page[page.index('action="/vote/confirm"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'name="([^"]+)"(?: type="hidden")? value="([^"]*)"', form))


def prepared_confirmations(database_url: str | None, households: int):
    """bench/vote_throughput.py's community seeded, an app on it, and each household's test
    client brought to its confirmation page: (app, database URL, [(client, form fields)])."""
    folder = tempfile.mkdtemp(prefix="coplan-bench-")
    url = database_url or f"sqlite:///{folder}/bench.sqlite3"
    env = {"COPLAN_INSTANCE": folder, "SECRET_KEY": "bench", "COPLAN_HASH_KEY": "bench"}
    os.environ.update(env)
    from app import create_app
    from bench.vote_throughput import seed

    codes = seed(url, households, env)
    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False)
    prepared = []
    for code in codes:
        client = app.test_client()
        prepared.append((client, confirmation_form(client, code)))
    return app, url, prepared


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=100)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--profile", type=int, default=0, help="print this many cProfile lines")
    ap.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime")
    args = ap.parse_args()
    app, url, prepared = prepared_confirmations(args.database_url, args.households)
    from sqlalchemy import event

    from app.extensions import db

    statements: list[str] = []
    with app.app_context():
        event.listen(
            db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]), named=False
        )
    profile = cProfile.Profile()
    start = time.perf_counter()
    if args.profile:
        profile.enable()
    for client, fields in prepared:
        response = client.post("/vote/confirm", data=fields)
        assert response.status_code == 303, response.status_code
    profile.disable()
    elapsed = time.perf_counter() - start
    n = len(prepared)
    kind = url.split(":")[0]
    print(
        f"{kind}: {n} confirmations, {elapsed / n * 1000:.1f} ms each"
        f"{' (profiler on)' if args.profile else ''}, "
        f"{len(statements) / n:.1f} SQL statements each"
    )
    for sql, count in Counter(re.sub(r"\s+", " ", s)[:110] for s in statements).most_common():
        print(f"  {count / n:4.1f}  {sql}")
    if args.profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.profile)


if __name__ == "__main__":
    main()
