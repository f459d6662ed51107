"""What the benchmarks share: the --database-url option, a throw-away app, an emptied database.

Imports nothing of the app at module level: COPLAN_INSTANCE must be set before the app is
imported, and `bench_app` sets it.
"""

import os
import tempfile


def database_url_option(parser) -> None:
    """Add --database-url (default: $COPLAN_BENCH_DATABASE_URL; none: a SQLite file)."""
    parser.add_argument("--database-url", default=os.environ.get("COPLAN_BENCH_DATABASE_URL"))


def bench_app(database_url: str | None, **config):
    """A fresh instance folder (COPLAN_INSTANCE) and a testing app on `database_url`, or on a
    SQLite file in that folder; returns (app, folder). Its startup heap is frozen as a served
    app's is (FREEZE_STARTUP_HEAP, off in the testing config only for the test suite's sake)."""
    folder = tempfile.mkdtemp(prefix="coplan-bench-")
    os.environ["COPLAN_INSTANCE"] = folder
    from app import create_app

    url = database_url or f"sqlite:///{folder}/bench.sqlite3"
    config = {"FREEZE_STARTUP_HEAP": True, **config}
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, **config), folder


def empty_database(db) -> None:
    """Empty the database (on PostgreSQL, drop its public schema) and migrate it to the head;
    inside an app context. Never point a benchmark at real data."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade()
