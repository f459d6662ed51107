"""Database helpers: timestamps, the tenant column, and the one commit per request or command."""

import contextlib
import functools
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, event, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.extensions import db


def utcnow() -> datetime:
    """Naive UTC now; every timestamp is stored in UTC and shown in the configured zone."""
    return datetime.now(UTC).replace(tzinfo=None)


def db_now() -> datetime:
    """Naive UTC now by the database's clock, not this process's.

    Deadlines that several processes enforce (the end of voting) are compared with one clock:
    the database's. PostgreSQL: clock_timestamp() (the real time, not the transaction's start).
    SQLite runs inside this process on the same host, so its clock is the host's: utcnow(),
    at full microsecond precision (SQLite's own 'now' stops at milliseconds).
    """
    clock = db_clock()
    if clock is not None:
        return db.session.scalar(select(clock)).replace(tzinfo=None)
    return utcnow()


def db_clock():
    """db_now() as a column to select along with others (one statement instead of two);
    None on SQLite, whose clock is this process's: use utcnow() there."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return literal_column("clock_timestamp() AT TIME ZONE 'UTC'", DateTime())


def insert_on_conflict(model):
    """An INSERT of `model` that can say ON CONFLICT (DO NOTHING, DO UPDATE), built for the
    session's database; PostgreSQL and SQLite spell the clause alike."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


class TenantMixin:
    """Every tenant-owned row carries community_id, so queries and sharding can filter by it."""

    @declared_attr
    def community_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("community.id"), index=True)


def commit_or_rollback() -> None:
    """Commit the unit of work; roll it back and re-raise if the commit fails."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def transactional(fn):
    """Run a CLI command as one transaction: commit once at the end, roll back on any error."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        commit_or_rollback()
        return result

    return wrapper


def begin_snapshot() -> None:
    """End the current transaction and start one whose reads all see one moment.

    For long read-mostly work (an archive) that must be consistent across many queries while
    others keep writing. PostgreSQL: REPEATABLE READ (a snapshot at the first query). SQLite
    needs nothing: every transaction holds the write lock (see below), so nothing changes
    underneath it. Call it before the work; what was written so far is committed first.
    """
    commit_or_rollback()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))


def begin_read_snapshot() -> None:
    """Like begin_snapshot, for work that only reads (an archive built by the job worker),
    without blocking writers meanwhile: on SQLite a deferred transaction, which in WAL mode
    reads one moment (from its first read) while others keep committing, instead of holding
    the write lock throughout. Writing in it may fail; commit it before writing."""
    commit_or_rollback()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    else:
        db.session.connection(execution_options={READ_SNAPSHOT: True})


READ_SNAPSHOT = "coplan_read_snapshot"


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL journal, enforced foreign keys and a busy timeout for SQLite connections."""
    if not _is_sqlite(dbapi_connection):
        return
    # We emit BEGIN ourselves (below); the driver's implicit transactions would defer it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn):
    """SQLite: take the write lock when a transaction starts.

    A deferred transaction that has read and then writes fails at once (SQLITE_BUSY_SNAPSHOT)
    when another worker committed in between — the busy timeout cannot help it. Starting every
    transaction IMMEDIATE makes requests queue for the lock instead, so concurrent requests
    (and the audit chain) serialise cleanly. The price: on SQLite, requests — reading pages
    included, since a page load may move a plan's phase — run one at a time. That suits the
    embedded default of one community; PostgreSQL, the production database, is unaffected.
    """
    if conn.dialect.name == "sqlite":
        # begin_read_snapshot: a reader that must not hold the write lock.
        deferred = conn.get_execution_options().get(READ_SNAPSHOT)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def keep_sqlite_file_private(url: str) -> None:
    """Make the embedded database readable by its owner only (0600), creating it so if new.

    It holds every household's owner names, phones and ballots; SQLite would create it 0644
    (and its -wal/-shm files take the database file's mode). Other URLs are left alone.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if parsed.database.startswith("file:"):
        return
    path = Path(parsed.database)
    if not path.parent.is_dir():
        return
    if not path.exists():
        # Never open an existing database here: closing any descriptor of a file drops every
        # POSIX lock this process holds on it (SQLite's locks), so only a new file is touched.
        with contextlib.suppress(FileExistsError):  # another worker made it a moment ago
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = path.with_name(path.name + suffix)
        # Another user's file is the operator's to fix, not a reason to stop.
        with contextlib.suppress(OSError):
            if part.exists() and part.stat().st_mode & 0o077:
                part.chmod(0o600)
