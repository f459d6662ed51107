"""Killing a gunicorn worker in the middle of a request, for bench/load_vote.py --kill-worker.

Finds the workers of a gunicorn master through /proc, and which of them is busy: inside a
database transaction that is recording a ballot (PostgreSQL, from pg_stat_activity matched to the
worker's socket), or holding a client connection (serving a request).
"""

import os
import random
import signal
import time
from pathlib import Path


def workers_of(master: int) -> list[int]:
    """The gunicorn master's child processes (its workers)."""
    path = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _sockets(match) -> set[str]:
    """Inodes of the TCP sockets whose /proc/net/tcp fields satisfy `match`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                local = int(fields[1].rsplit(":", 1)[1], 16)
                remote = int(fields[2].rsplit(":", 1)[1], 16)
                if fields[3] == "01" and match(local, remote):  # ESTABLISHED
                    inodes.add(fields[9])
    return inodes


def _workers_holding(master: int, inodes: set[str]) -> list[int]:
    """The workers with one of these sockets open."""
    found = []
    for pid in workers_of(master):
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        if any(link.startswith("socket:[") and link[8:-1] in inodes for link in links):
            found.append(pid)
    return found


IN_TRANSACTION = (
    "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
)
# A transaction that has written (it has an xid) and is working on the ballot tables: a vote
# being recorded, not yet committed.
WRITING_BALLOT = IN_TRANSACTION + " AND backend_xid IS NOT NULL AND query ILIKE '%ballot%'"


def busy_workers(master: int, port: int, pg=None, strict=True) -> tuple[list[int], str]:
    """PostgreSQL: workers in the middle of recording a ballot (any open transaction when not
    `strict`); else workers holding a client connection. With what they were doing."""
    if pg is not None:
        ports = {row[0] for row in pg.execute(WRITING_BALLOT if strict else IN_TRANSACTION)}
        in_db = _workers_holding(master, _sockets(lambda local, remote: local in ports))
        if in_db:
            return in_db, "while it was recording a ballot" if strict else "inside a transaction"
        return [], ""
    serving = _workers_holding(master, _sockets(lambda local, remote: local == port))
    return serving, "while serving a request"


def kill_a_worker(master: int, port: int, stats, households: int, log: list, deadline, url):
    """Once a third of the confirmations have started and some are in flight, SIGKILL a worker
    that is in a database transaction (PostgreSQL) or serving a request at that moment."""
    pg = None
    if url.startswith("postgresql"):
        import psycopg
        from sqlalchemy.engine import make_url

        target = make_url(url).set(drivername="postgresql")
        pg = psycopg.connect(target.render_as_string(hide_password=False), autocommit=True)
    try:
        ready_since = None
        while time.monotonic() < deadline:
            with stats.lock:
                ready = stats.confirms_started >= households // 3 and stats.confirms_in_flight > 0
            if ready and ready_since is None:
                ready_since = time.monotonic()
            strict = ready_since is None or time.monotonic() - ready_since < 5
            busy, doing = busy_workers(master, port, pg, strict) if ready else ([], "")
            if busy:
                victim = random.choice(busy)
                os.kill(victim, signal.SIGKILL)
                log.append(
                    f"SIGKILL worker {victim} {doing}, "
                    f"{stats.confirms_in_flight} confirmations in flight"
                )
                return
            time.sleep(0.002)
        log.append("worker not killed: the run ended first")
    finally:
        if pg is not None:
            pg.close()
