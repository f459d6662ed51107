"""Test fixtures: one app per session on SQLite or PostgreSQL (migrated), clean tables per test.

Tiers: a test that uses the `app` fixture, directly or through another fixture (client, ctx,
factory, world, ...), is a database test (marker `db`): the app is created and migrated once per
session (per xdist worker) and every table is emptied before each such test. A test that uses
none of them is pure: it never creates the app nor touches a database. Slow tests carry the
marker `slow`; `make test-fast` leaves them out. Hypothesis runs the quick profile "dev" unless
HYPOTHESIS_PROFILE=ci (CI: many more examples).
"""

import os
import re
import tempfile
from decimal import Decimal

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, make_url, text

from app import create_app
from app.communities.roster import RosterRow
from app.extensions import db, limiter

PG_URL = os.environ.get("COPLAN_TEST_DATABASE_URL")
DATA = os.path.join(os.path.dirname(__file__), "data")

# Hypothesis: a quick developer loop by default, a thorough run in CI (.ci/run sets "ci").
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("ci", max_examples=400, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def db_examples(thorough: int) -> int:
    """max_examples of a property test whose every example goes through the database (too
    costly for the profile's count): `thorough` under the "ci" profile, a quarter of it (at
    least 5) under any other."""
    if settings.get_current_profile_name() == "ci":
        return thorough
    return max(5, thorough // 4)


def pytest_collection_modifyitems(items):
    """Mark the tests that use the app (and so the database) `db`: `-m "not db"` picks the pure
    tests, which start without creating the app."""
    for item in items:
        if "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def _worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own, "<name>_<worker>"
    (created on first use, next to the one COPLAN_TEST_DATABASE_URL names)."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _database_url(tmpdir: str) -> str:
    if PG_URL:
        url = (
            PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
            if PG_URL.startswith("postgresql://")
            else PG_URL
        )
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return _worker_database(url, worker) if worker else url
    return f"sqlite:///{tmpdir}/test.sqlite3"  # a temporary folder per session, so per worker


def _compile_catalogs() -> None:
    """Compile the translation catalogues, so `pytest` alone works as `make test` does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = os.path.join(os.path.dirname(DATA), "..", "app", "translations")
    for lang in os.listdir(root):
        po = os.path.join(root, lang, "LC_MESSAGES", "messages.po")
        if os.path.exists(po):
            # Written aside, then renamed: another xdist worker may be reading the catalogue.
            aside = f"{po[:-3]}.{os.getpid()}.mo"
            with open(po, "rb") as src, open(aside, "wb") as dst:
                write_mo(dst, read_po(src))
            os.replace(aside, po[:-2] + "mo")


@pytest.fixture(autouse=True)
def _queue_as_found():
    """Give back the job queue as the test found it. The queue is one per process and every
    create_app points it at that app's config, so a test that makes a production app (Redis,
    not immediate) would leave later tests on this worker queueing jobs that never run."""
    from app.core import queue

    saved = queue.huey.immediate, queue.huey.storage, queue._app
    yield
    queue.huey.immediate, queue.huey.storage, queue._app = saved


@pytest.fixture(scope="session")
def app():
    """The application on a freshly migrated database."""
    from flask_migrate import upgrade

    _compile_catalogs()
    tmpdir = tempfile.mkdtemp(prefix="coplan-test-")
    os.environ["COPLAN_INSTANCE"] = tmpdir
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=_database_url(tmpdir), RATELIMIT_STORAGE_URI="memory://"
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()  # the schema comes from migrations/, exactly as in production
    yield app


@pytest.fixture
def clean_db(app):
    """Empty every table and reset rate-limit counters (before each database test)."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(
                    text(
                        "TRUNCATE "
                        + ", ".join(f'"{t}"' for t in tables)
                        + " RESTART IDENTITY CASCADE"
                    )
                )
            else:
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
        limiter.reset()


@pytest.fixture(autouse=True)
def _clean_when_the_app_is_used(request):
    """Every test that uses the app, directly or through any fixture, starts on empty tables;
    a test that does not (a pure one) never creates the app."""
    if "app" in request.fixturenames:
        request.getfixturevalue("clean_db")


@pytest.fixture
def ctx(app):
    """An application context with a request context (for url_for and lazy strings)."""
    with app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app):
    """A test client (cookies kept between requests)."""
    return app.test_client()


def make_rows(buildings=2, units=2, floors=3, per_floor=2, owner_of=None, area="60.00"):
    """Roster rows for a regular estate: building × unit × floor × door."""
    rows, n = [], 1
    for b in range(1, buildings + 1):
        for u in range(1, units + 1):
            for f in range(1, floors + 1):
                for d in range(1, per_floor + 1):
                    n += 1
                    key = (f"{b}号楼", f"{u}单元", f"{f}0{d}")
                    owner_id = (owner_of or {}).get(key)
                    rows.append(
                        RosterRow(
                            row=n,
                            building=key[0],
                            unit=key[1],
                            room=key[2],
                            floor=f,
                            area=Decimal(area) + d,
                            owner_name=f"业主{n}",
                            owner_id=owner_id,
                            phone=None,
                        )
                    )
    return rows


@pytest.fixture
def factory(app):
    """Builders that write through the real operations and commit, like a request would."""
    from app.accounts.operations import create_user
    from app.communities.codes import issue_codes
    from app.communities.operations import apply_roster_import, create_community, plan_roster_import

    class Factory:
        def community(self, name="示例小区", district="滨城区", roster=True, **shape):
            """A community with a regular roster (shape: buildings, units, floors, ...)."""
            with app.test_request_context():
                community = create_community(name, district)
                if roster:
                    rows = make_rows(**shape)
                    apply_roster_import(
                        community, plan_roster_import(community, rows), filename="t", sha256="-"
                    )
                db.session.commit()
                return community.id

        def user(
            self, username, role="worker", communities=(), district="", password="secret-pass-1"
        ):
            from app.communities.models import Community

            with app.test_request_context():
                targets = [db.session.get(Community, c) for c in communities]
                user = create_user(username, password, role, communities=targets, district=district)
                db.session.commit()
                return user.id

        def codes(self, community_id):
            """Issue codes; returns {(building, unit, room): code}."""
            from app.communities.models import Community

            with app.test_request_context():
                issued = issue_codes(db.session.get(Community, community_id))
                result = {(h.building.name, h.unit.name, h.room): c for h, c in issued}
                db.session.commit()
                return result

    return Factory()


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_from(client, url: str) -> str:
    """The CSRF token of the form on a page."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def post_form(client, url: str, data=None, *, form_page: str | None = None, **kwargs):
    """POST a form with a valid CSRF token taken from the page that shows it."""
    data = dict(data or {})
    data["csrf_token"] = csrf_from(client, form_page or url)
    return client.post(url, data=data, **kwargs)


def sign_in_staff(client, username, password="secret-pass-1"):
    """Sign a staff user in through the real form."""
    response = post_form(client, "/staff/signin", {"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def another_app(app, config_name: str = "testing", **overrides):
    """A second application on the test database (another config, extra routes, a proxy)."""
    return create_app(
        config_name,
        **{
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": "memory://",
            **({"SECRET_KEY": "another-app-secret"} if config_name == "production" else {}),
            **overrides,
        },
    )
