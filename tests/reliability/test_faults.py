"""The database failing mid-request: the resident is told plainly to try again, nothing half-done
is kept, and a retry of the same confirmed form never records the vote twice."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.core.audit import AuditEvent, verify_every_chain
from app.extensions import db
from app.voting.models import Ballot, BallotChoice, EffectiveBallot
from tests.conftest import CSRF_RE

HOUSEHOLD = ("3号楼", "2单元", "601")
RETRY = "请稍后重试"


@pytest.fixture
def real_errors(app):
    """Errors reach the error pages as in production, instead of propagating to the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


def _confirm_form(app, factory, voting_plan):
    """A signed-in household's client and its confirmed ballot form, ready to post."""
    code = factory.codes(voting_plan["community_id"])[HOUSEHOLD]
    client = app.test_client()
    assert client.get(f"/h/{code}").status_code == 302
    html = client.get("/vote").get_data(as_text=True)
    token = CSRF_RE.search(html)
    form = {"csrf_token": token.group(1) or token.group(2)}
    for item_id in dict.fromkeys(re.findall(r'name="item-(\d+)"', html)):
        form[f"item-{item_id}"] = "agree"
    confirm = client.post("/vote", data=form).get_data(as_text=True)
    form["submission_key"] = re.search(r'name="submission_key" value="([^"]+)"', confirm).group(1)
    return client, form


def _state(app) -> tuple[int, int, int, int, bool]:
    """Ballots, choices, effective ballots, ballot audit events, and whether the chain holds."""
    with app.app_context():
        counts = [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Ballot, BallotChoice, EffectiveBallot)
        ]
        events = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "ballot.online")
        )
        ok = verify_every_chain().ok
        db.session.remove()
    return (*counts, events, ok)


@contextmanager
def _commit_fails(app, *, after_commit: bool):
    """The next COMMIT fails like a dropped connection: before it reaches the database, or after
    the database committed but before its answer came back."""
    with app.app_context():
        dialect = db.engine.dialect
    original = dialect.do_commit
    fired = []

    def do_commit(dbapi_connection):
        if fired:
            return original(dbapi_connection)
        fired.append(True)
        if after_commit:
            original(dbapi_connection)
        raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    dialect.do_commit = do_commit
    try:
        yield fired
    finally:
        dialect.do_commit = original


def _receipt_after_retry(client, form) -> str:
    response = client.post("/vote/confirm", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_connection_lost_before_commit(app, factory, voting_plan, real_errors):
    client, form = _confirm_form(app, factory, voting_plan)
    with _commit_fails(app, after_commit=False) as fired:
        failed = client.post("/vote/confirm", data=form)
    assert fired and failed.status_code in (500, 503)
    assert RETRY in failed.get_data(as_text=True) and "没有完成" in failed.get_data(as_text=True)
    assert _state(app) == (0, 0, 0, 0, True), "nothing half-written"
    receipt = _receipt_after_retry(client, form)
    assert _state(app) == (1, 4, 1, 1, True)
    assert client.get(f"/vote/receipt/{receipt}").status_code == 200


def test_acknowledgement_lost_after_commit(app, factory, voting_plan, real_errors):
    """The vote was committed but the answer never came back: the retry shows the same receipt."""
    client, form = _confirm_form(app, factory, voting_plan)
    with _commit_fails(app, after_commit=True) as fired:
        failed = client.post("/vote/confirm", data=form)
    assert fired and failed.status_code >= 500
    assert RETRY in failed.get_data(as_text=True)
    assert _state(app) == (1, 4, 1, 1, True)
    with app.app_context():
        recorded = db.session.scalar(select(Ballot.receipt))
        db.session.remove()
    assert _receipt_after_retry(client, form) == recorded
    assert _state(app) == (1, 4, 1, 1, True), "the retry recorded nothing new"


def test_database_unreachable_while_writing(app, factory, voting_plan, real_errors, monkeypatch):
    import app.voting.views as views

    client, form = _confirm_form(app, factory, voting_plan)

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("could not connect to server"))

    monkeypatch.setattr(views, "cast_online_ballot", unreachable)
    failed = client.post("/vote/confirm", data=form)
    assert failed.status_code == 503
    assert "系统暂时无法连接数据库" in failed.get_data(as_text=True)
    monkeypatch.undo()
    _receipt_after_retry(client, form)
    assert _state(app) == (1, 4, 1, 1, True)


@pytest.mark.postgres_only
def test_backend_killed_mid_transaction(app, factory, voting_plan, real_errors):
    """PostgreSQL: the server ends the request's connection just before it commits."""
    client, form = _confirm_form(app, factory, voting_plan)

    def terminate(session):
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()

    fired = []

    def once(session):
        if not fired:
            fired.append(True)
            terminate(session)

    event.listen(Session, "before_commit", once)
    try:
        failed = client.post("/vote/confirm", data=form)
    finally:
        event.remove(Session, "before_commit", once)
    assert fired and failed.status_code >= 500
    assert RETRY in failed.get_data(as_text=True)
    assert _state(app) == (0, 0, 0, 0, True)
    _receipt_after_retry(client, form)
    assert _state(app) == (1, 4, 1, 1, True)
