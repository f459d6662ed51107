"""Database helpers: timestamps, the tenant column, and the one commit per request or command."""

import contextlib
import fcntl
import functools
import os
import sqlite3
import time
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


def insert_on_conflict(target, dialect: str | None = None):
    """An INSERT of a model or table that can say ON CONFLICT (DO NOTHING, DO UPDATE), built
    for `dialect` ("postgresql" or "sqlite"; default the session's database): the two spell
    the clause alike, but each dialect builds its own."""
    name = dialect or db.session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(target)


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
    return isinstance(dbapi_connection, sqlite3.Connection)  # QueuedConnection included


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
    Writers wait in QueuedConnection's queue; a reads_first request reads before it queues.
    """
    if conn.dialect.name == "sqlite":
        dbapi_connection = conn.connection.dbapi_connection
        queued = isinstance(dbapi_connection, QueuedConnection)
        options = conn.get_execution_options()
        # begin_read_snapshot: a reader that must not hold the write lock; reads_first: one
        # that becomes a writer at its first write (below).
        read_first = queued and bool(options.get(READ_FIRST))
        if options.get(READ_SNAPSHOT) or read_first:
            conn.exec_driver_sql("BEGIN")
            if read_first:
                dbapi_connection.read_first = True
        elif queued:
            dbapi_connection.begin_queued()
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


READ_FIRST = "coplan_read_first"
# Statements that may write (WITH: a CTE may end in one; promoting a read early is harmless).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "WITH")


def reads_first(view):
    """Run a request's reads before it takes SQLite's write lock (a view decorator).

    On SQLite every transaction otherwise holds the write lock from its first read, so a ballot
    submission's sign-in, plan and item reads queued behind every other writer. Under this
    decorator the request's transaction starts as a plain reader and becomes a queued writer
    (see QueuedConnection) at its first write or at ``begin_writing()``: what it read before
    is read as on PostgreSQL under READ COMMITTED, so whatever the writes rest on is read again
    after ``begin_writing()`` (the ballot's checks, a phase move). PostgreSQL: no change.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        session = db.session()
        if not session.in_transaction() and session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={READ_FIRST: True})
        return view(*args, **kwargs)

    return wrapped


def begin_writing() -> None:
    """Become the writer now (SQLite, in a reads_first request): later reads see the newest
    data and nothing changes under them until the commit. Elsewhere nothing to do: a SQLite
    transaction already holds the write lock, and PostgreSQL locks rows as it goes."""
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    dbapi_connection = session.connection().connection.dbapi_connection
    if isinstance(dbapi_connection, QueuedConnection):
        dbapi_connection.become_writer()


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_write_promotes(conn, cursor, statement, parameters, context, executemany):
    """A reads_first transaction's first write makes it the writer first (nothing was written
    before it, so ending the read transaction loses nothing)."""
    dbapi_connection = conn.connection.dbapi_connection
    writes = getattr(dbapi_connection, "read_first", False) and statement.lstrip()[:9].upper()
    if writes and writes.startswith(_WRITES):
        dbapi_connection.become_writer()


WRITER_WAIT = 10.0  # seconds, as SQLite's busy timeout (PRAGMA busy_timeout above)


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection whose writers queue on a lock file beside the database.

    SQLite's own wait for the write lock (the busy timeout) sleeps 1, 2, 5 … up to 100 ms
    between tries, so with a few workers writing, the lock sits free while they sleep (ballots
    came in at a fifth of a bare insert's rate, bench/vote_throughput.py). Here a transaction
    first takes an exclusive flock(2) on ``<database>-writers`` — polled every fraction of a
    millisecond, so the next writer starts as soon as the last one committed — and lets go of
    it after its COMMIT or ROLLBACK. The lock file only orders the writers: SQLite's own locks
    still guard the data, and a connection that is not queued (another program) is simply
    waited for by SQLite as before. flock locks are the file's, not the process's POSIX locks,
    so they never disturb SQLite's.
    """

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        name = os.fspath(database) if not isinstance(database, bytes) else database.decode()
        memory = name in ("", ":memory:") or name.startswith("file:")
        self.queue_path = None if memory else name + "-writers"
        self.queue_fd = None
        self.in_queue = False
        self.read_first = False  # a reads_first transaction not yet become the writer

    def become_writer(self) -> None:
        """End the read transaction (nothing written) and begin again as the queued writer."""
        if not self.read_first:
            return
        self.read_first = False
        if self.in_transaction:
            self.execute("COMMIT")
        self.begin_queued()

    def begin_queued(self) -> None:
        """Wait for the writers before, then begin holding SQLite's write lock."""
        self.wait_for_writers()
        try:
            self.execute("BEGIN IMMEDIATE")
        except Exception:
            self.leave_queue()
            raise

    def wait_for_writers(self) -> None:
        """Take the writers' lock, waiting up to WRITER_WAIT seconds for the writer before."""
        if self.queue_path is None or self.in_queue:
            return
        if self.queue_fd is None:
            self.queue_fd = os.open(self.queue_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline, pause = time.monotonic() + WRITER_WAIT, 0.0001
        while True:
            try:
                fcntl.flock(self.queue_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
        self.in_queue = True

    def leave_queue(self) -> None:
        """Let the next writer go."""
        self.read_first = False
        if self.in_queue:
            self.in_queue = False
            fcntl.flock(self.queue_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_queue()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_queue()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave_queue()
            if self.queue_fd is not None:
                os.close(self.queue_fd)
                self.queue_fd = None


def engine_options(url: str, options: dict) -> dict:
    """The engine options for `url`: on a SQLite file, connections that queue their writers."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return options
    connect_args = {**options.get("connect_args", {}), "factory": QueuedConnection}
    return {**options, "connect_args": connect_args}


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
