"""The baseline for bench/vote_throughput.py: a WSGI app that inserts one row per POST.

Same database, same gunicorn, same client: the ballot submission is compared against this.
"""

import os

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
rows = Table(
    "bench_bare_row",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("payload", String(40)),
)


def app(environ, start_response):
    """POST → one INSERT in its own transaction → 200."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    payload = environ["wsgi.input"].read(length)[:40].decode(errors="replace")
    with engine.begin() as conn:
        conn.execute(insert(rows).values(payload=payload))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
