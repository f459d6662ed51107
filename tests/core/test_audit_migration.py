"""Upgrading a database made before per-community chains: the old city-wide chain is checked,
then split into one chain per community, and verification passes afterwards."""

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app.core.audit import CITY, GENESIS, AuditEvent, verify_all
from app.extensions import db
from tests.conftest import another_app

BEFORE = "1fb00c246aff"  # the last revision with one city-wide chain


def _old_hash(fields: dict) -> str:
    """The hash as the code before this change computed it (no chain, no seq)."""
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _old_trail(conn, communities=(1, 2), events=9, tamper_at=None) -> None:
    """Communities and an interleaved city-wide trail written the old way."""
    start = datetime(2026, 11, 1, 8, 0, 0, 123456)
    for cid in communities:
        conn.execute(
            text(
                "INSERT INTO community (id, name, district, street, address, created_at) "
                "VALUES (:id, :name, '区', '', '', :at)"
            ),
            {"id": cid, "name": f"小区{cid}", "at": start},
        )
    previous = GENESIS
    for number in range(1, events + 1):
        community = (None, *communities)[number % (len(communities) + 1)]
        fields = {
            "community_id": community,
            "actor": "cli",
            "action": "test.write",
            "record_type": "thing",
            "record_id": str(number),
            "before": None,
            "after": json.dumps({"n": number}),
            "created_at": (start + timedelta(seconds=number)).isoformat(timespec="microseconds"),
            "prev_hash": previous,
        }
        digest = _old_hash(fields)
        stored = dict(fields, after='{"n":-1}') if number == tamper_at else fields
        conn.execute(
            text(
                "INSERT INTO audit_event (id, community_id, actor, action, record_type, "
                "record_id, before, after, created_at, prev_hash, hash) VALUES (:id, "
                ":community_id, :actor, :action, :record_type, :record_id, :before, :after, "
                ":created_at, :prev_hash, :hash)"
            ),
            {
                **stored,
                "id": number,
                "created_at": start + timedelta(seconds=number),
                "hash": digest,
            },
        )
        previous = digest


@pytest.fixture
def old_database(app, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("runs on its own SQLite file; the PostgreSQL run upgrades from empty")
    before = another_app(app, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with before.app_context():
        upgrade(revision=BEFORE)
    yield before
    with before.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_old_trail_splits_into_verified_chains(old_database):
    with old_database.app_context():
        with db.engine.begin() as conn:
            _old_trail(conn)
        upgrade()
        reports = verify_all()
        assert [(r.chain, r.checked, r.ok) for r in reports] == [
            (CITY, 3, True),
            (1, 3, True),
            (2, 3, True),
        ]
        rows = db.session.execute(
            select(AuditEvent.id, AuditEvent.chain, AuditEvent.seq).order_by(AuditEvent.id)
        ).all()
        assert [(r.chain, r.seq) for r in rows[:4]] == [(1, 1), (2, 1), (CITY, 1), (1, 2)]
        # Writing after the upgrade extends the community's own chain.
        from app.core.audit import log_event

        db.session.commit()
        with old_database.test_request_context():
            event = log_event("test.after", "thing", 1, community_id=2)
            db.session.commit()
            assert (event.chain, event.seq) == (2, 4)
        assert all(r.ok for r in verify_all())
        db.session.remove()
        downgrade(revision=BEFORE)  # and back: one chain again, linked in id order
        hashes = db.session.execute(text("SELECT prev_hash, hash FROM audit_event ORDER BY id"))
        previous = GENESIS
        for prev_hash, digest in hashes:
            assert prev_hash == previous
            previous = digest


def test_a_broken_old_trail_is_not_laundered_by_the_upgrade(old_database):
    with old_database.app_context():
        with db.engine.begin() as conn:
            _old_trail(conn, tamper_at=5)
        with pytest.raises(SystemExit):  # Flask-Migrate logs the RuntimeError and exits 1
            upgrade()
        # Refused before any change: still the old revision, the old schema, the old rows.
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == BEFORE
            columns = [r[1] for r in conn.execute(text("PRAGMA table_info(audit_event)"))]
            assert "seq" not in columns
            assert conn.scalar(text("SELECT count(*) FROM audit_event")) == 9
