"""Reconcile the audited rows with their community's chain, and the baseline of older rows.

The chain's events record, for every audited row a transaction wrote, the digest of the row as
that transaction left it, or null for a row it deleted (app.core.ledger). The newest record of
a row is what the row must be now. Verification walks the chain's recorded rows (only the
`rows` column, streamed), then streams every audited table's rows of the community, and names:
- a row whose content differs from its newest record ("changed");
- a row no event records ("no event");
- a row an event records as existing that is not there ("missing"), or one recorded as deleted
  that is there ("deleted by event N, still there").
Memory is one entry per recorded row (id → digest, sequence), never the events themselves.
"""

import json
from dataclasses import dataclass

from sqlalchemy import select

from app.core import ledger
from app.core.audit import AuditEvent, chain_of, log_event
from app.extensions import db

_YIELD = 2000
BASELINE = "audit.baseline"
NO_EVENT = "no event records this row"


@dataclass(frozen=True)
class Finding:
    """One row that does not reconcile with its chain."""

    table: str
    row_id: int
    problem: str

    def __str__(self) -> str:
        return f"{self.table} {self.row_id}: {self.problem}"


def recorded_rows(community_id: int) -> dict[str, dict[int, tuple[str | None, int]]]:
    """{table: {id: (newest digest or None, seq of the event)}} from the community's chain."""
    recorded: dict[str, dict[int, tuple[str | None, int]]] = {}
    query = (
        select(AuditEvent.seq, AuditEvent.rows)
        .where(AuditEvent.chain == chain_of(community_id), AuditEvent.rows.is_not(None))
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=200)
    )
    for seq, rows in db.session.execute(query):
        for table, by_id in json.loads(rows).items():
            into = recorded.setdefault(table, {})
            for row_id, digest in by_id.items():
                into[int(row_id)] = (digest, seq)
    return recorded


def _rows_of(table, community_id: int):
    """The community's rows of one table, streamed in id order."""
    query = (
        select(table)
        .where(table.c.community_id == community_id)
        .order_by(table.c.id)
        .execution_options(yield_per=_YIELD)
    )
    return db.session.execute(query).mappings()


def reconcile(community_id: int) -> list[Finding]:
    """Every audited row of the community that does not reconcile with its chain."""
    recorded = recorded_rows(community_id)
    findings: list[Finding] = []
    for name, model in sorted(ledger.audited_models().items()):
        table = model.__table__
        expected = recorded.pop(name, {})
        for row in _rows_of(table, community_id):
            row_id = row["id"]
            entry = expected.pop(row_id, None)
            if entry is None:
                findings.append(Finding(name, row_id, NO_EVENT))
            elif entry[0] is None:
                findings.append(Finding(name, row_id, f"event {entry[1]} deleted it; it is there"))
            elif entry[0] != ledger.row_digest(table, row):
                findings.append(
                    Finding(name, row_id, f"content differs from event {entry[1]} of the chain")
                )
        for row_id, (digest, seq) in sorted(expected.items()):
            if digest is not None:
                findings.append(Finding(name, row_id, f"event {seq} records it; the row is gone"))
    for name, expected in sorted(recorded.items()):  # a table no longer audited, or renamed
        for row_id, (digest, seq) in sorted(expected.items()):
            if digest is not None:
                findings.append(Finding(name, row_id, f"event {seq} records it; no such table"))
    return findings


def has_baseline(community_id: int) -> bool:
    """True when the community's chain holds its baseline event."""
    found = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.chain == chain_of(community_id), AuditEvent.action == BASELINE
        )
    )
    return found is not None


def baseline(community_id: int) -> int | None:
    """Record every audited row of the community that no event records yet, in one event
    "audit.baseline" (for rows made before rows were recorded). Once per community: a second
    baseline would bless rows forged since. Returns how many rows it recorded, None if the
    community had its baseline already."""
    if has_baseline(community_id):
        return None
    recorded = recorded_rows(community_id)
    rows: dict[str, dict[int, str]] = {}
    for name, model in sorted(ledger.audited_models().items()):
        table = model.__table__
        known = recorded.get(name, {})
        for row in _rows_of(table, community_id):
            if row["id"] not in known:
                rows.setdefault(name, {})[row["id"]] = ledger.row_digest(table, row)
    count = sum(len(v) for v in rows.values())
    log_event(
        "audit.baseline",
        "rows",
        None,
        community_id=community_id,
        after={"rows_recorded": count},
        rows={t: {str(k): v for k, v in ids.items()} for t, ids in rows.items()},
    )
    return count
