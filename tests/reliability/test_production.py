"""`make prod` on this machine: migrations, gunicorn with 4 workers on PostgreSQL, production
settings, rate limits on Redis, and a clean stop on Ctrl-C or SIGTERM.

Runs in the PostgreSQL phase of `make test` (marker db; skipped on SQLite like every
postgres_only test). It never touches the suite's databases: it creates one of its own on the
server COPLAN_TEST_DATABASE_URL names (`coplan_smoke_<random>`, dropped afterwards), and gives
its Redis counters a prefix of their own (deleted afterwards). Unreachable PostgreSQL or Redis:
skipped with the reason outside CI, a failure in CI (CI=1, .ci/run).
"""

import contextlib
import csv
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.conftest import PG_URL
from tests.e2e.conftest import in_ci

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.postgres_only]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"  # production's default (config.ProductionConfig)
START_LIMIT = 90  # seconds for migrations and four workers on a busy 2-core machine
STOP_LIMIT = 40  # gunicorn's graceful_timeout is 30 s
ROSTER = "楼栋,单元,房号,面积,业主\n1号楼,1单元,101,60.50,王芳\n1号楼,1单元,102,72.00,李强\n"


def _unreachable(what: str, exc: Exception):
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if in_ci():
        pytest.fail(f"CI needs {what}: {reason}")
    pytest.skip(f"{what} not reachable: {reason}")


@pytest.fixture
def smoke_database():
    """A fresh PostgreSQL database on the test server; its URL. Dropped afterwards."""
    base = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(
        base.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    name = f"coplan_smoke_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        _unreachable(f"PostgreSQL at {base.render_as_string()}", exc)
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_prefix():
    """A rate-limit key prefix of this run's own; its keys deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        _unreachable(f"Redis at {REDIS_URL}", exc)
    prefix = f"coplan-smoke-{uuid.uuid4().hex}"
    yield prefix, client
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _request(port: int, method: str, path: str, body: str | None = None, headers=None):
    """One request as nginx would pass it on: over HTTPS, for a client at 203.0.113.7."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {
        "Host": "coplan.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.7",
        **(headers or {}),
    }
    if body is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


class Prod:
    """`make prod` in a process group of its own, as a terminal would run it."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "prod"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.port = int(env["COPLAN_BIND"].rsplit(":", 1)[1])

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make prod exited early:\n{self.tail()}"
            try:
                if _request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"make prod did not answer within {START_LIMIT} s:\n{self.tail()}")

    def gunicorn(self) -> tuple[int, list[int]]:
        """The gunicorn master (make's child, the shell replaced by `exec`) and its workers."""
        processes = [p for p in _descendants(self.process.pid) if "gunicorn" in _cmdline(p)]
        masters = [p for p in processes if _children().get(p)]
        assert len(masters) == 1, (processes, self.tail())
        workers = [p for p in _children()[masters[0]] if "gunicorn" in _cmdline(p)]
        return masters[0], workers

    def stop(self, how: str) -> list[int]:
        """Ctrl-C (SIGINT to the whole foreground group) or SIGTERM to make alone; every
        process that was running (make, gunicorn, workers)."""
        running = [self.process.pid, *_descendants(self.process.pid)]
        if how == "ctrl-c":
            os.killpg(self.process.pid, signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_LIMIT)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in running) and time.monotonic() < deadline:
            time.sleep(0.2)
        return running

    def kill(self) -> None:
        """Whatever is left of the group (after a failed test)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def _flask(env: dict, *args: str) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr[-2000:])
    return done.stdout


def _session_cookie(headers) -> str:
    """The session cookie a response sets; it must be Secure and HttpOnly."""
    cookies = [c for c in headers.get_all("Set-Cookie") or [] if c.startswith("session=")]
    assert cookies, f"no session cookie in {headers}"
    flags = {part.strip().lower() for part in cookies[-1].split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= flags, cookies[-1]
    return cookies[-1].split(";", 1)[0]


def test_make_prod_serves_production_and_stops_cleanly(smoke_database, redis_prefix, tmp_path):
    prefix, redis_client = redis_prefix
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("COPLAN_", "RATELIMIT_"))},
        "FLASK_APP": "app:create_app",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": smoke_database,
        "RATELIMIT_KEY_PREFIX": prefix,
        "COPLAN_BIND": f"127.0.0.1:{port}",
        "COPLAN_INSTANCE": str(tmp_path / "instance"),
        "MAKEFLAGS": "",
    }
    env.pop("MAKELEVEL", None)

    # Without a secret, or without Redis, production refuses at once, saying why.
    for unset, extra, reason in (
        ("SECRET_KEY", {}, "SECRET_KEY is not set"),
        ("", {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}, "Redis (rate limits) not"),
    ):
        refused = subprocess.run(
            ["make", "--no-print-directory", "prod"],
            cwd=ROOT,
            env={**{k: v for k, v in env.items() if k != unset}, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert refused.returncode != 0 and reason in refused.stderr, refused
        assert "gunicorn" not in refused.stdout, refused

    prod = Prod(env, tmp_path / "prod-1.log")
    try:
        prod.wait_ready()
        log = prod.tail()
        assert "flask db upgrade" in log and "Running upgrade" in log, log

        # Four workers under one master, every one of them a child of make's process.
        master, workers = prod.gunicorn()
        assert len(workers) == 4, (workers, log)

        # Production headers: HSTS, and a Secure, HttpOnly session cookie behind HTTPS.
        status, headers, html = _request(port, "GET", "/")
        assert status == 200, html[:500]
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        cookie = _session_cookie(headers)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

        # A community seeded through the CLI (production settings), then household sign-in with
        # the typed code: its CSRF token was signed by whichever worker served the form.
        cli_env = {**env, "COPLAN_ENV": "production"}
        roster = tmp_path / "roster.csv"
        roster.write_text(ROSTER, encoding="utf-8")
        _flask(cli_env, "community", "create", "冒烟小区", "--district", "滨城区")
        _flask(cli_env, "roster", "import", "冒烟小区", str(roster))
        codes_file = tmp_path / "codes.csv"
        _flask(cli_env, "codes", "issue", "冒烟小区", "--out", str(codes_file))
        with codes_file.open(encoding="utf-8-sig") as fh:
            code = next(row["code"] for row in csv.DictReader(fh) if row["room"] == "101")

        # Over HTTPS Flask-WTF also wants a same-site Referer, as a browser sends.
        form = urlencode({"csrf_token": token, "code": code})
        sent = {"Cookie": cookie, "Referer": "https://coplan.example/"}
        status, headers, body = _request(port, "POST", "/", form, sent)
        assert status == 302 and headers["Location"].endswith("/home"), (status, body[:500])
        signed_in = {"Cookie": _session_cookie(headers)}
        status, _headers, home = _request(port, "GET", "/home", headers=signed_in)
        assert status == 200 and "101" in home, home[:1000]

        # The sign-in limits counted in Redis, under this run's prefix, for the client nginx
        # named in X-Forwarded-For (one trusted proxy), not for the proxy's own address.
        keys = [k.decode() for k in redis_client.scan_iter(f"*{prefix}*")]
        assert any("203.0.113.7" in k for k in keys), keys
        assert not any("127.0.0.1" in k for k in keys), keys

        # Ctrl-C: make, gunicorn and its workers all end, and nothing listens on the port.
        running = prod.stop("ctrl-c")
        assert master in running and set(workers) <= set(running)
        assert not [p for p in running if _alive(p)], prod.tail()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        prod.kill()

    # Again (nothing left to migrate), stopped as a service manager would: SIGTERM to make.
    prod = Prod(env, tmp_path / "prod-2.log")
    try:
        prod.wait_ready()
        master, workers = prod.gunicorn()
        assert len(workers) == 4
        running = prod.stop("sigterm")
        assert master in running and set(workers) <= set(running)
        assert not [p for p in running if _alive(p)], prod.tail()
        assert "Shutting down: Master" in prod.tail(), prod.tail()
    finally:
        prod.kill()
