"""Database helpers: timestamps, the tenant column, and the one commit per request or command."""

import functools
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.extensions import db


def utcnow() -> datetime:
    """Naive UTC now; every timestamp is stored in UTC and shown in the configured zone."""
    return datetime.now(UTC).replace(tzinfo=None)


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


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL journal, enforced foreign keys and a busy timeout for SQLite connections."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
