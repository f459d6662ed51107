"""Consistent backups of the configured database: SQLite's online backup API, or pg_dump.

A backup is written to a temporary file beside the target and renamed into place only when it
is complete, so a failed or interrupted backup never leaves a truncated file under the name.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL


class BackupError(RuntimeError):
    """The backup could not be written; the message says why."""


@dataclass
class BackupResult:
    """What was written."""

    path: Path
    kind: str  # "sqlite" or "postgresql"
    size: int


def backup_database(url: URL, out: Path) -> BackupResult:
    """Back the database at `url` up to `out` (SQLite file copy, or pg_dump custom format)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _atomic(out, "sqlite", lambda tmp: backup_sqlite(url.database, tmp))
    if backend == "postgresql":
        return _atomic(out, "postgresql", lambda tmp: backup_postgres(url, tmp))
    raise BackupError(f"backups of {backend} databases are not supported")


def _atomic(out: Path, kind: str, write) -> BackupResult:
    """Write through `write(tmp_path)` and move the finished file to `out`."""
    out = Path(out)
    if out.is_dir():
        raise BackupError(f"{out} is a directory; give a file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o600)  # a backup holds every household's name and phone
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return BackupResult(out, kind, out.stat().st_size)


def backup_sqlite(database: str | None, out: Path) -> None:
    """Copy a live SQLite database with the online backup API, in one consistent step."""
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    if not Path(database).exists():
        raise BackupError(f"SQLite database {database} not found")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(str(out))
    try:
        source.backup(target)  # pages=-1: everything in one step, under one read snapshot
        # The copy must stand alone: fold any WAL content in and check it.
        target.execute("PRAGMA journal_mode=DELETE")
        status = target.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"the copy failed its integrity check: {status}")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        target.close()
        source.close()


def libpq_environment(url: URL) -> tuple[str, dict]:
    """A libpq connection URI without the password, and an environment carrying it."""
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def backup_postgres(url: URL, out: Path) -> None:
    """pg_dump the database in custom format (one consistent snapshot, restorable selectively)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump not found; install postgresql-client")
    uri, env = libpq_environment(url)
    command = [pg_dump, "--format=custom", "--no-owner", "--file", str(out), "--dbname", uri]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
