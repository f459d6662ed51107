"""`flask backup` and the documented restore: households, sign-in codes and the audit chain
survive; a backup taken while others write is still consistent."""

import re
import shutil
import subprocess
import threading

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app import create_app
from app.communities.models import Household
from app.core.audit import AuditEvent, log_event
from app.core.backup import libpq_environment
from app.extensions import db
from tests.reliability.conftest import is_postgres

RESTORE_DB = "coplan_restore_test"


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        households = db.session.scalar(select(func.count()).select_from(Household))
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
        return households, events


def _write_events_until(app, stop: threading.Event, written: list) -> None:
    """Another writer: audit events, one per transaction, while the backup runs."""
    with app.app_context():
        while not stop.is_set() and len(written) < 2000:
            log_event("test.concurrent_write", "test", len(written), actor="test")
            db.session.commit()
            written.append(1)
        db.session.remove()


def _backup(app, out) -> str:
    """`flask backup --out OUT` while another thread keeps writing; returns its output."""
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_write_events_until, args=(app, stop, written))
    writer.start()
    try:
        while len(written) < 20:  # the writer is in full flow before the backup starts
            threading.Event().wait(0.01)
        result = app.test_cli_runner().invoke(args=["backup", "--out", str(out)])
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output
    return result.output


def _check_restored(restored_app, codes, before_households, min_events) -> None:
    """The restored database has the households, working codes and an intact chain."""
    households, events = _counts(restored_app)
    assert households == before_households
    assert events >= min_events
    verify = restored_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    checked = [int(n) for n in re.findall(r"intact, (\d+) events", verify.output)]
    assert sum(checked) == events, verify.output
    client = restored_app.test_client()
    assert client.get(f"/h/{codes[('1号楼', '1单元', '101')]}").status_code == 302
    assert "101" in client.get("/home").get_data(as_text=True)


def _restored(url: str):
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, RATELIMIT_STORAGE_URI="memory://")


def test_backup_and_restore_on_sqlite(app, factory, tmp_path):
    if is_postgres(app):
        pytest.skip("SQLite backup: the suite runs on PostgreSQL")
    cid = factory.community(buildings=2, units=2, floors=3)
    codes = factory.codes(cid)
    households, events = _counts(app)
    archive = tmp_path / "backups" / "coplan-backup.sqlite3"
    _backup(app, archive)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert not list(archive.parent.glob("*.part"))

    # The documented restore: stop the app, put the copy in place of the database file.
    target = tmp_path / "instance" / "coplan.sqlite3"
    target.parent.mkdir()
    shutil.copyfile(archive, target)
    restored = _restored(f"sqlite:///{target}")
    _check_restored(restored, codes, households, events + 20)
    with restored.app_context():
        db.engine.dispose()


@pytest.mark.postgres_only
def test_backup_and_restore_on_postgresql(app, factory, tmp_path):
    cid = factory.community(buildings=2, units=2, floors=3)
    codes = factory.codes(cid)
    households, events = _counts(app)
    archive = tmp_path / "coplan.dump"
    _backup(app, archive)
    assert archive.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    maintenance, env = libpq_environment(url.set(database="postgres"))
    restore_url = url.set(database=RESTORE_DB)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {RESTORE_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {RESTORE_DB}")
    restored = None
    try:
        # The documented restore: pg_restore into an empty database.
        uri, env = libpq_environment(restore_url)
        done = subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", uri, str(archive)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        restored = _restored(restore_url.render_as_string(hide_password=False))
        _check_restored(restored, codes, households, events + 20)
    finally:
        if restored is not None:
            with restored.app_context():
                db.engine.dispose()
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {RESTORE_DB} WITH (FORCE)")


def test_backup_refuses_a_directory_and_reports_pg_dump_errors(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path)])
    assert result.exit_code != 0
    if is_postgres(app):
        from app.core.backup import BackupError, backup_database

        wrong = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(database="no_such_db_x")
        with pytest.raises(BackupError, match="pg_dump failed"):
            backup_database(wrong, tmp_path / "x.dump")
        assert not (tmp_path / "x.dump").exists()
        assert not list(tmp_path.glob("*.part"))
