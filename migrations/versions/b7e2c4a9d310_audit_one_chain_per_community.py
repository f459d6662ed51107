"""audit: one chain per community (chain, seq), events re-linked per chain

Revision ID: b7e2c4a9d310
Revises: 1fb00c246aff
Create Date: 2026-12-06 18:20:00

The old trail was one city-wide chain. This migration first walks it exactly as the old code
did and refuses to go on if it is broken (so no tampering is laundered by re-hashing), then
splits it: each event goes to its community's chain (0: city-wide), numbered 1, 2, 3 ... in its
old order, linked to the previous event of the same chain, and hashed with the chain and number
in its payload (app.core.audit.AuditEvent.payload). Downgrading re-links them into one chain.
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "b7e2c4a9d310"
down_revision = "1fb00c246aff"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 2000

events = sa.table(
    "audit_event",
    sa.column("id", sa.Integer),
    sa.column("community_id", sa.Integer),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("record_type", sa.String),
    sa.column("record_id", sa.String),
    sa.column("before", sa.Text),
    sa.column("after", sa.Text),
    sa.column("created_at", sa.DateTime),
    sa.column("chain", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def _digest(row, prev_hash: str, chain=None, seq=None) -> str:
    """The event hash, as app.core.audit computes it (with chain and seq when given)."""
    payload = {
        "community_id": row.community_id,
        "actor": row.actor,
        "action": row.action,
        "record_type": row.record_type,
        "record_id": row.record_id,
        "before": row.before,
        "after": row.after,
        "created_at": row.created_at.isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
    }
    if chain is not None:
        payload |= {"chain": chain, "seq": seq}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _rows(conn):
    """Every event in id order, a batch at a time."""
    last = 0
    old_columns = [c for c in events.c if c.name not in ("chain", "seq")]
    while True:
        batch = conn.execute(
            sa.select(*old_columns).where(events.c.id > last).order_by(events.c.id).limit(BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def _check_old_chain(conn) -> None:
    """Walk the city-wide chain as the old code did; refuse to go on if it is broken (checked
    before any change, so a refused upgrade leaves the database exactly as it was)."""
    previous = GENESIS
    for row in _rows(conn):
        if row.prev_hash != previous or _digest(row, row.prev_hash) != row.hash:
            raise RuntimeError(
                f"the audit trail is broken at event {row.id}: upgrading would re-hash and hide "
                "it. Run `flask audit verify` on the previous version, and restore the trail "
                "from a backup before upgrading."
            )
        previous = row.hash


def upgrade():
    _check_old_chain(op.get_bind())
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_audit_event_prev_hash", type_="unique")

    conn = op.get_bind()
    tails: dict[int, tuple[int, str]] = {}
    for row in _rows(conn):
        chain = row.community_id or 0
        seq, prev_hash = tails.get(chain, (0, GENESIS))
        digest = _digest(row, prev_hash, chain, seq + 1)
        conn.execute(
            events.update()
            .where(events.c.id == row.id)
            .values(chain=chain, seq=seq + 1, prev_hash=prev_hash, hash=digest)
        )
        tails[chain] = (seq + 1, digest)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("chain", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint("uq_audit_event_chain_seq", ["chain", "seq"])
        batch_op.create_unique_constraint(
            "uq_audit_event_chain_prev_hash", ["chain", "prev_hash"]
        )


def downgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_event_chain_prev_hash", type_="unique")
        batch_op.drop_constraint("uq_audit_event_chain_seq", type_="unique")
    conn = op.get_bind()
    previous = GENESIS
    for row in _rows(conn):
        digest = _digest(row, previous)
        conn.execute(
            events.update().where(events.c.id == row.id).values(prev_hash=previous, hash=digest)
        )
        previous = digest
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("seq")
        batch_op.drop_column("chain")
        batch_op.create_unique_constraint("uq_audit_event_prev_hash", ["prev_hash"])
