"""begin_snapshot(): long reads (the archive) see one moment while others write."""

import threading

from sqlalchemy import select, text

from app.communities.models import Community
from app.core.db import begin_snapshot, commit_or_rollback
from app.extensions import db


def test_a_snapshot_does_not_see_what_others_commit_meanwhile(app, factory):
    cid = factory.community("快照小区")
    with app.app_context():
        begin_snapshot()
        dialect = db.session.get_bind().dialect.name
        if dialect == "postgresql":
            level = db.session.scalar(text("SHOW transaction_isolation"))
            assert level == "repeatable read"
        before = db.session.scalar(select(Community.name).where(Community.id == cid))

        def rename():
            with app.app_context():
                db.session.get(Community, cid).name = "改名小区"
                db.session.commit()

        if dialect == "postgresql":  # SQLite: the writer would wait for our lock instead
            writer = threading.Thread(target=rename)
            writer.start()
            writer.join(timeout=30)
            db.session.expire_all()
            again = db.session.scalar(select(Community.name).where(Community.id == cid))
            assert again == before == "快照小区"
        commit_or_rollback()
        if dialect == "postgresql":
            now = db.session.scalar(select(Community.name).where(Community.id == cid))
            assert now == "改名小区"


def test_a_read_snapshot_sees_one_moment_without_blocking_writers(app, factory):
    """begin_read_snapshot() (the archive job): on SQLite too, a writer commits at once while
    the reader keeps seeing the moment of its first read."""
    import time

    from app.core.db import begin_read_snapshot

    cid = factory.community("快照小区")
    with app.app_context():
        begin_read_snapshot()
        before = db.session.scalar(select(Community.name).where(Community.id == cid))
        took = {}

        def rename():
            with app.app_context():
                start = time.monotonic()
                db.session.get(Community, cid).name = "改名小区"
                db.session.commit()
                took["seconds"] = time.monotonic() - start

        writer = threading.Thread(target=rename)
        writer.start()
        writer.join(timeout=30)
        assert took["seconds"] < 5  # not queued behind the reader (busy timeout is 10 s)
        db.session.expire_all()
        again = db.session.scalar(select(Community.name).where(Community.id == cid))
        assert again == before == "快照小区"
        commit_or_rollback()
        assert db.session.scalar(select(Community.name).where(Community.id == cid)) == "改名小区"
