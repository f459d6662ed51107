"""One refusal path: a refused operation never commits, whether the view catches it or not."""

import ast
from pathlib import Path

import pytest
from flask import Blueprint, flash

from app.core.audit import log_event
from app.core.errors import DomainError
from app.core.refusals import refuse
from app.extensions import db
from tests.conftest import another_app

APP = Path(__file__).resolve().parents[2] / "app"


def _handlers_without_refusal(path: Path) -> list[int]:
    """Line numbers of `except DomainError` handlers that neither refuse nor re-raise."""
    missing = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ExceptHandler) or node.type is None:
            continue
        names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
        if "DomainError" not in names:
            continue
        calls = {
            getattr(c.func, "id", getattr(c.func, "attr", ""))
            for c in ast.walk(node)
            if isinstance(c, ast.Call)
        }
        reraises = any(isinstance(n, ast.Raise) for n in ast.walk(node))
        if not ({"refuse", "flash_refusal"} & calls or reraises):
            missing.append(node.lineno)
    return missing


def test_every_view_that_catches_a_refusal_goes_through_refuse():
    views = [p for p in APP.rglob("*.py") if "views" in p.name]
    assert len(views) >= 12
    offenders = {
        str(p.relative_to(APP)): lines for p in views if (lines := _handlers_without_refusal(p))
    }
    assert offenders == {}


@pytest.fixture
def refusing_app(app):
    """A second app on the test database with routes that write an audit event, then refuse."""
    probe = another_app(app, WTF_CSRF_ENABLED=False)
    bp = Blueprint("refusal_probe", __name__)

    def write_then_refuse():
        log_event("probe.write", "probe", 1)
        db.session.flush()
        raise DomainError("不行")

    @bp.route("/_probe/uncaught", methods=["POST"])
    def uncaught():
        write_then_refuse()

    @bp.route("/_probe/rerender", methods=["POST"])
    def rerender():
        try:
            write_then_refuse()
        except DomainError as exc:
            return " ".join(refuse(exc)), 200  # a page showing the reasons with status 200

    @bp.route("/_probe/forgot", methods=["POST"])
    def forgot():
        log_event("probe.write", "probe", 1)
        db.session.flush()
        flash("ok")
        return "fine", 200

    probe.register_blueprint(bp)
    yield probe
    with probe.app_context():
        db.session.remove()


def _events(app) -> int:
    from app.core.audit import AuditEvent

    with app.app_context():
        return db.session.query(AuditEvent).filter_by(action="probe.write").count()


def test_uncaught_refusal_redirects_back_with_the_reason_and_writes_nothing(refusing_app):
    client = refusing_app.test_client()
    response = client.post(
        "/_probe/uncaught", headers={"Referer": "http://localhost/somewhere?x=1"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/somewhere?x=1")
    assert _events(refusing_app) == 0
    with client.session_transaction() as session:
        assert ("error", "不行") in session["_flashes"]


def test_uncaught_refusal_never_redirects_off_site(refusing_app):
    client = refusing_app.test_client()
    response = client.post("/_probe/uncaught", headers={"Referer": "https://evil.example/x"})
    assert response.status_code == 409
    assert "不行" in response.get_data(as_text=True)
    assert _events(refusing_app) == 0


def test_refusal_shown_with_status_200_still_commits_nothing(refusing_app):
    response = refusing_app.test_client().post("/_probe/rerender")
    assert response.status_code == 200 and "不行" in response.get_data(as_text=True)
    assert _events(refusing_app) == 0


def test_a_successful_request_still_commits(refusing_app):
    assert refusing_app.test_client().post("/_probe/forgot").status_code == 200
    assert _events(refusing_app) == 1
