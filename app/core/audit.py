"""Append-only, hash-chained audit trail: every write appends an event in the same transaction."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import ForeignKey, Index, String, Text, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import utcnow
from app.extensions import db

GENESIS = "0" * 64
_LAST_HASH = "coplan_audit_last_hash"


class AuditEvent(db.Model):
    """One write: who did what to which record, before and after, chained to the previous event."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A unique previous hash makes a fork of the chain impossible at the database level.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_event_record", "record_type", "record_id"),)

    def payload(self) -> str:
        """The canonical text the hash covers."""
        return canonical_json(
            {
                "community_id": self.community_id,
                "actor": self.actor,
                "action": self.action,
                "record_type": self.record_type,
                "record_id": self.record_id,
                "before": self.before,
                "after": self.after,
                "created_at": self.created_at.isoformat(timespec="microseconds"),
                "prev_hash": self.prev_hash,
            }
        )

    def compute_hash(self) -> str:
        """SHA-256 of the previous hash and this event's payload."""
        return hashlib.sha256(self.payload().encode()).hexdigest()

    @property
    def before_data(self):
        """The before state, decoded."""
        return json.loads(self.before) if self.before else None

    @property
    def after_data(self):
        """The after state, decoded."""
        return json.loads(self.after) if self.after else None


def _default(value):
    """JSON for the types our records hold."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(value) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept readable."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def current_actor() -> str:
    """Who is acting: a staff user, a household, or the command line."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.actor_label
    return "cli"


def _last_hash() -> str:
    """Hash of the newest event, serialised across writers on PostgreSQL."""
    session = db.session()
    cached = session.info.get(_LAST_HASH)
    if cached:
        return cached
    if db.engine.dialect.name == "postgresql":
        # One writer extends the chain at a time; released at commit or rollback.
        session.execute(text("SELECT pg_advisory_xact_lock(727801)"))
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


def log_event(
    action: str,
    record_type: str,
    record_id=None,
    *,
    community_id=None,
    before=None,
    after=None,
    actor: str | None = None,
) -> AuditEvent:
    """Append an audit event to the current transaction and flush it."""
    event = AuditEvent(
        community_id=community_id,
        actor=actor or current_actor(),
        action=action,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id),
        before=None if before is None else canonical_json(before),
        after=None if after is None else canonical_json(after),
        created_at=utcnow(),
        prev_hash=_last_hash(),
    )
    event.hash = event.compute_hash()
    db.session.add(event)
    db.session.flush()
    db.session.info[_LAST_HASH] = event.hash
    return event


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_last_hash(session, *_):
    """Another writer may extend the chain once this transaction ends."""
    session.info.pop(_LAST_HASH, None)


@dataclass
class ChainReport:
    """The result of walking the chain."""

    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        """True when every link holds."""
        return self.broken_at is None


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk every event in id order; report the first edited, inserted or deleted link."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked, None, None)
        for event in rows:
            if event.prev_hash != expected_prev:
                return ChainReport(
                    checked,
                    event.id,
                    "previous event missing or changed (chain link does not match)",
                )
            if event.compute_hash() != event.hash:
                return ChainReport(checked, event.id, "event content changed after it was written")
            expected_prev = event.hash
            checked += 1
            last_id = event.id
        db.session.expunge_all()
