"""Hostile input: secure cookies in production, rate limits shared through Redis between app
processes, and code sign-in that does not tell a dead code from one never issued."""

import json
import os
import re
import subprocess
import sys
import uuid

import pytest

from app import create_app
from app.communities.codes import rotate_code
from app.communities.models import Household
from app.extensions import db
from tests.e2e.conftest import in_ci

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of its own, flushed by these tests
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_production_session_cookie_is_secure(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = factory.codes(cid)[("1号楼", "1单元", "101")]
    production = create_app(
        "production",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_STORAGE_URI="memory://",
        HASH_KEY=app.config["HASH_KEY"],
        SECRET_KEY="production-test-secret",
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    response = production.test_client().get(f"/h/{code}", base_url="https://coplan.example")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
    # Development over plain HTTP keeps working without the Secure flag.
    dev = app.test_client().get(f"/h/{code}")
    assert dev.status_code == 302 and "Secure" not in dev.headers["Set-Cookie"]


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if in_ci():
            pytest.fail(f"CI needs Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return client


# One app process: the production config from the environment, signing a household in from
# different client addresses; prints the statuses and the limiter's storage class.
SIGNIN_SCRIPT = """
import json, sys
from app import create_app
from app.extensions import limiter
app = create_app()
statuses = []
for i in range(int(sys.argv[2])):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.9.{sys.argv[3]}.{i + 1}"
    statuses.append(client.get(f"/h/{sys.argv[1]}", base_url="https://coplan.example").status_code)
print(json.dumps({"statuses": statuses, "storage": type(limiter.storage).__name__,
                  "uri": app.config["RATELIMIT_STORAGE_URI"]}))
"""


def _app_process(
    app, tmp_path, storage: str, code: str, hits: int, name: int, prefix: str = "coplan-test"
) -> dict:
    """Run one production app process against the test database; its sign-in statuses."""
    env = {
        **os.environ,
        "COPLAN_ENV": "production",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": prefix,
        "COPLAN_HOUSEHOLD_LIMIT": "3 per hour",
        "COPLAN_HASH_KEY": app.config["HASH_KEY"],
        "SECRET_KEY": "another-process-secret",
        "COPLAN_INSTANCE": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", SIGNIN_SCRIPT, code, str(hits), str(name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "log": done.stderr[-2000:]}


@pytest.mark.slow
def test_household_signin_limit_is_shared_through_redis(app, factory, tmp_path):
    redis_client = _redis()
    # A prefix of its own: another run sharing this Redis never sees these counters.
    prefix = f"coplan-test-{uuid.uuid4().hex}"
    cid = factory.community(buildings=1, units=1, floors=1)
    code = factory.codes(cid)[("1号楼", "1单元", "101")]
    try:
        first = _app_process(app, tmp_path, REDIS_URL, code, 2, 1, prefix)
        second = _app_process(app, tmp_path, REDIS_URL, code, 2, 2, prefix)
    finally:
        for key in redis_client.scan_iter(f"*{prefix}*"):
            redis_client.delete(key)
    assert first["storage"] == "RedisStorage" and first["uri"] == REDIS_URL
    assert first["statuses"] == [302, 302], first
    assert second["statuses"] == [302, 429], ("the second process must see the first one", second)


@pytest.mark.slow
def test_memory_storage_is_not_shared_between_processes(app, factory, tmp_path):
    """The control: without Redis each process counts alone (why production needs Redis)."""
    cid = factory.community(buildings=1, units=1, floors=1)
    code = factory.codes(cid)[("1号楼", "1单元", "101")]
    first = _app_process(app, tmp_path, "memory://", code, 2, 1)
    second = _app_process(app, tmp_path, "memory://", code, 2, 2)
    assert first["statuses"] == second["statuses"] == [302, 302], (first, second)


def _signin_body(response) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))


def test_dead_code_and_never_issued_code_get_the_same_answer(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    codes = factory.codes(cid)
    dead = codes[("1号楼", "1单元", "101")]
    with app.test_request_context():
        household = db.session.scalar(db.select(Household).where(Household.room == "101"))
        rotate_code(household, "test")
        db.session.commit()
    never = "ABCDEFGHJK"
    assert never not in codes.values()

    def ask(code: str, n: int):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.8.0.{n}"
        html = client.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        return client.post("/", data={"code": code, "csrf_token": token})

    typed = [ask(dead, 1), ask(never, 2)]
    assert [r.status_code for r in typed] == [401, 401]
    assert _signin_body(typed[0]) == _signin_body(typed[1])
    qr = [app.test_client().get(f"/h/{c}") for c in (dead, never)]
    assert [r.status_code for r in qr] == [401, 401]
    assert _signin_body(qr[0]) == _signin_body(qr[1])


def test_refused_qr_codes_of_every_kind_get_the_same_answer(app, factory):
    """Rotated out, never issued or malformed: the same 401 page. How long each takes is a
    figure of bench/signin_refusal.py, not something a test can assert reliably."""
    cid = factory.community(buildings=1, units=1, floors=1)
    dead = factory.codes(cid)[("1号楼", "1单元", "101")]
    with app.test_request_context():
        household = db.session.scalar(db.select(Household).where(Household.room == "101"))
        rotate_code(household, "test")
        db.session.commit()
    answers = []
    for n, code in enumerate(("ABCDEFGHJK", dead, "12")):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.7.0.{n + 1}"
        answers.append(client.get(f"/h/{code}"))
    assert [r.status_code for r in answers] == [401, 401, 401]
    assert len({_signin_body(r) for r in answers}) == 1
