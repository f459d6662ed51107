"""Append-only, hash-chained audit trails: every write appends an event in the same transaction.

One chain per community, and chain 0 for city-wide events (accounts, communities). Each event
carries its chain, a sequence number without gaps (1, 2, 3, ...) and the previous event's hash,
so a chain proves its own completeness: a deleted event leaves a gap or a broken link, an edited
one a wrong hash. Writers in different communities never wait on each other: on PostgreSQL each
chain has its own advisory lock (held to the end of the transaction, with a timeout that turns a
stuck writer into a "try again" refusal); SQLite has one writer at a time anyway.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import current_app, has_app_context, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    text,
)
from sqlalchemy import event as sa_event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, make_transient_to_detached, mapped_column

from app.core import ledger
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db

GENESIS = "0" * 64
CITY = 0  # the chain of events that belong to no community
_TAILS = "coplan_audit_tails"
# Advisory-lock namespace of the chains (pg_advisory_xact_lock(namespace, chain)).
LOCK_NAMESPACE = 727801
DEFAULT_LOCK_TIMEOUT_MS = 5000


class ChainBusy(DomainError):
    """Another writer held the chain's lock past the timeout: nothing was written."""

    def __init__(self):
        super().__init__(_l("系统正忙，您的操作没有保存，请稍后再试一次。"))


def chain_of(community_id: int | None) -> int:
    """The chain an event of this community belongs to (0: city-wide)."""
    return community_id or CITY


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
    # The community's id, or 0 for city-wide events; the number of the event in its chain.
    chain: Mapped[int] = mapped_column(default=CITY)
    seq: Mapped[int]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The audited rows this transaction wrote in the chain's community (app.core.ledger):
    # canonical JSON {table: {id: digest or null}}; None when it wrote none.
    rows: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_audit_event_record", "record_type", "record_id"),
        # One event per place in a chain, and one successor per event: no fork, no duplicate.
        UniqueConstraint("chain", "seq", name="uq_audit_event_chain_seq"),
        UniqueConstraint("chain", "prev_hash", name="uq_audit_event_chain_prev_hash"),
    )

    def payload(self) -> str:
        """The canonical text the hash covers (the rows only when there are: events written
        before rows were recorded keep their hashes)."""
        fields = {
            "community_id": self.community_id,
            "actor": self.actor,
            "action": self.action,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "before": self.before,
            "after": self.after,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "chain": self.chain,
            "seq": self.seq,
            "prev_hash": self.prev_hash,
        }
        if self.rows is not None:
            fields["rows"] = self.rows
        return canonical_json(fields)

    @property
    def head(self) -> str:
        """This event as a chain head, "SEQ:HASH", as notices print it."""
        return f"{self.seq}:{self.hash}"

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


def _lock_timeout_ms() -> int:
    if has_app_context():
        return int(current_app.config.get("AUDIT_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS))
    return DEFAULT_LOCK_TIMEOUT_MS


# One statement: set the lock timeout, wait for the chain's lock, reset the timeout. Each
# MATERIALIZED step reads the row of the one before, so they run in that order.
_LOCK_CHAIN = text(
    "WITH timeout AS MATERIALIZED (SELECT set_config('lock_timeout', :ms, true)), "
    "locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(:namespace, :chain) FROM timeout) "
    # Back to PostgreSQL's default (no timeout) for the rest of the transaction.
    "SELECT set_config('lock_timeout', '0', true) FROM locked"
)


def _lock(session, chain: int) -> None:
    """Hold the chain's advisory lock to the end of the transaction (PostgreSQL only).

    Waits at most the configured timeout; a stuck writer elsewhere becomes ChainBusy (the
    transaction is then unusable and is rolled back by the refusal path).
    """
    try:
        session.execute(
            _LOCK_CHAIN,
            {"ms": f"{_lock_timeout_ms()}ms", "namespace": LOCK_NAMESPACE, "chain": chain},
        )
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise ChainBusy() from exc
        raise


def _tails(session) -> dict:
    return session.info.setdefault(_TAILS, {})


def _tail_of(column):
    return (
        select(column)
        .where(AuditEvent.chain == bindparam("chain"))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


_TAIL_STATEMENT = _tail_of(AuditEvent.seq).add_columns(AuditEvent.hash)  # every write asks


def tail_columns() -> tuple:
    """SQLite: the chain's newest (seq, hash) as two columns (bind parameter ``chain``; NULL
    for an empty chain), to read with a writer's other checks in one statement and hand to
    ``known_tail``."""
    return (
        _tail_of(AuditEvent.seq).scalar_subquery().label("tail_seq"),
        _tail_of(AuditEvent.hash).scalar_subquery().label("tail_hash"),
    )


def known_tail(community_id: int | None, seq: int | None, hash_: str | None) -> None:
    """SQLite: the chain's tail as the writer's checks read it (tail_columns); the next event
    links to it without reading it again. Only SQLite: its one writer at a time holds what it
    read until it commits. On PostgreSQL the tail is read under the chain's lock, which an
    event takes when it is appended (taken earlier, it would queue a community's voters
    behind each other's whole writes)."""
    if db.engine.dialect.name != "sqlite":
        raise RuntimeError("only SQLite's single writer may read a chain's tail ahead")
    tail = (seq, hash_) if seq is not None else (0, GENESIS)
    _tails(db.session()).setdefault(chain_of(community_id), tail)


def _tail(chain: int) -> tuple[int, str]:
    """(seq, hash) of the chain's newest event, (0, GENESIS) for an empty chain; the first call
    in a transaction takes the chain's lock on PostgreSQL."""
    session = db.session()
    tails = _tails(session)
    if chain in tails:
        return tails[chain]
    if db.engine.dialect.name == "postgresql":
        _lock(session, chain)
    row = session.execute(_TAIL_STATEMENT, {"chain": chain}).first()
    tails[chain] = (row.seq, row.hash) if row else (0, GENESIS)
    return tails[chain]


def log_event(
    action: str,
    record_type: str,
    record_id=None,
    *,
    community_id=None,
    before=None,
    after=None,
    actor: str | None = None,
    rows: dict | None = None,
) -> AuditEvent:
    """Append an audit event to its community's chain in the current transaction, and flush.

    `rows` ({table: {id: digest}}) records rows this transaction did not write (a baseline).

    The event carries the digests of the community's audited rows written so far in the
    transaction (app.core.ledger); rows written after it are added to the transaction's last
    event of that chain when it commits.
    """
    session = db.session()
    session.flush()
    resolved = _resolved_rows(session)
    written = resolved.pop(community_id, None)
    if rows:
        written = _merge(written or {}, rows)
    return _append(
        session,
        action,
        record_type,
        record_id,
        community_id=community_id,
        before=before,
        after=after,
        actor=actor,
        rows=written,
    )


def _append(session, action, record_type, record_id, *, community_id, before, after, actor, rows):
    chain = chain_of(community_id)
    seq, prev_hash = _tail(chain)
    event = AuditEvent(
        community_id=community_id,
        actor=actor or current_actor(),
        action=action,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id),
        before=None if before is None else canonical_json(before),
        after=None if after is None else canonical_json(after),
        created_at=utcnow(),
        chain=chain,
        seq=seq + 1,
        prev_hash=prev_hash,
        rows=canonical_json(rows) if rows else None,
    )
    event.hash = event.compute_hash()
    # A plain INSERT, then the instance joins the session as if loaded: the unit of work's flush
    # of one new object costs several times the statement (bench/vote_segments.py).
    values = {name: getattr(event, name) for name in _EVENT_COLUMNS}
    event.id = session.connection().execute(_INSERT_EVENT, values).scalar_one()
    make_transient_to_detached(event)
    session.add(event)
    _tails(session)[chain] = (event.seq, event.hash)
    session.info.setdefault(_LAST, {})[chain] = event
    return event


_EVENT_COLUMNS = tuple(c.name for c in AuditEvent.__table__.columns if c.name != "id")
_INSERT_EVENT = insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id)
_LAST = "coplan_audit_last"  # {chain: the newest event this transaction appended}
_RESOLVED = "coplan_audit_rows"  # {community_id: {table: {id: digest}}} not yet in an event


def _merge(into: dict, rows: dict) -> dict:
    for table, by_id in rows.items():
        into.setdefault(table, {}).update(by_id)
    return into


def _resolved_rows(session) -> dict:
    """Digests of the rows written so far and not yet recorded, by community."""
    resolved = session.info.setdefault(_RESOLVED, {})
    for community_id, rows in ledger.take_pending(session).items():
        _merge(resolved.setdefault(community_id, {}), rows)
    return resolved


@sa_event.listens_for(Session, "before_commit")
def _record_rows(session):
    """Every audited row the transaction wrote is recorded in its community's chain: in the
    transaction's last event of that chain (re-hashed: it is the chain's tail, nothing links to
    it yet), or, when the transaction wrote rows without an event there, in a new event
    "audit.rows" by the same actor. Writes are never refused for a forgotten log_event, and never
    left out of the record either."""
    session.flush()  # commit flushes only after this hook: collect what is still unflushed
    if not session.info.get(_RESOLVED) and not session.info.get(ledger.PENDING):
        return
    resolved = _resolved_rows(session)
    stray = resolved.pop(None, None)  # deleted rows whose community was not loaded
    last = session.info.get(_LAST, {})
    if stray:
        for chain in last or [CITY]:
            _merge(resolved.setdefault(chain or None, {}), stray)
    for community_id in sorted(resolved, key=lambda c: c or 0):
        rows = resolved[community_id]
        event = last.get(chain_of(community_id))
        if event is None:
            _append(
                session,
                "audit.rows",
                "rows",
                None,
                community_id=community_id,
                before=None,
                after=None,
                actor=None,
                rows=rows,
            )
            continue
        event.rows = canonical_json(_merge(json.loads(event.rows) if event.rows else {}, rows))
        event.hash = event.compute_hash()
        _tails(session)[event.chain] = (event.seq, event.hash)
    resolved.clear()
    session.flush()


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_tails(session, *_):
    """Another writer may extend the chains once this transaction ends."""
    session.info.pop(_TAILS, None)
    session.info.pop(_LAST, None)
    session.info.pop(_RESOLVED, None)
    ledger.forget_pending(session)


def chain_head(community_id: int | None) -> AuditEvent | None:
    """The newest event of a community's chain (city chain for None), or None when empty."""
    return db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.chain == chain_of(community_id))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


@dataclass
class ChainReport:
    """The result of walking one chain."""

    chain: int
    checked: int
    broken_at: int | None
    reason: str | None
    head: str | None = None  # "SEQ:HASH" of the last event checked

    @property
    def ok(self) -> bool:
        """True when every link holds."""
        return self.broken_at is None


def chains() -> list[int]:
    """Every chain that has events, city chain first."""
    return list(db.session.scalars(select(AuditEvent.chain).distinct().order_by(AuditEvent.chain)))


def verify_chain(chain: int = CITY, batch: int = 5000, *, upto: int | None = None) -> ChainReport:
    """Walk one chain in sequence order (up to `upto`): numbers 1, 2, 3 without a gap, each
    event's hash, each link to the event before. Reports the first problem."""
    expected_prev, expected_seq, checked, head = GENESIS, 1, 0, None
    while True:
        query = (
            select(AuditEvent)
            .where(AuditEvent.chain == chain, AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        )
        if upto is not None:
            query = query.where(AuditEvent.seq <= upto)
        rows = db.session.scalars(query).all()
        if not rows:
            return ChainReport(chain, checked, None, None, head)
        for event in rows:
            if event.seq != expected_seq:
                reason = f"events {expected_seq} to {event.seq - 1} of the chain are missing"
                return ChainReport(chain, checked, event.id, reason, head)
            if event.prev_hash != expected_prev:
                reason = "previous event missing or changed (chain link does not match)"
                return ChainReport(chain, checked, event.id, reason, head)
            if event.chain != chain_of(event.community_id):
                return ChainReport(chain, checked, event.id, "event moved to another chain", head)
            if event.compute_hash() != event.hash:
                reason = "event content changed after it was written"
                return ChainReport(chain, checked, event.id, reason, head)
            expected_prev, expected_seq = event.hash, event.seq + 1
            checked += 1
            head = event.head
        db.session.expunge_all()


def verify_all() -> list[ChainReport]:
    """Every chain, walked."""
    return [verify_chain(chain) for chain in chains()]


def verify_every_chain() -> ChainReport:
    """The first broken chain's report, else one report over all chains (chain -1)."""
    reports = verify_all()
    broken = next((r for r in reports if not r.ok), None)
    return broken or ChainReport(-1, sum(r.checked for r in reports), None, None)


@dataclass
class AnchorCheck:
    """Whether a head printed earlier (on a notice) is still in its chain, unchanged."""

    chain: int
    seq: int
    expected: str
    found: str | None
    report: ChainReport

    @property
    def ok(self) -> bool:
        return self.found is not None and self.found == self.expected and self.report.ok


def parse_anchor(value: str) -> tuple[int, str]:
    """ "SEQ:HASH" (as printed or scanned off a notice) → (seq, lowercase hash); ValueError."""
    seq_text, sep, digest = value.strip().partition(":")
    digest = digest.strip().lower()
    if not sep or not seq_text.strip().isdigit() or len(digest) != 64:
        raise ValueError("an anchor is SEQ:HASH, with the full 64-character hash")
    int(digest, 16)
    return int(seq_text), digest


def verify_anchor(chain: int, anchor: str) -> AnchorCheck:
    """The chain still holds the anchored event with that exact hash, and every event up to it
    verifies. A history rewritten or truncated after the anchor was printed fails here even if
    rows and events were changed consistently."""
    seq, digest = parse_anchor(anchor)
    found = db.session.scalar(
        select(AuditEvent.hash).where(AuditEvent.chain == chain, AuditEvent.seq == seq)
    )
    return AnchorCheck(chain, seq, digest, found, verify_chain(chain, upto=seq))
