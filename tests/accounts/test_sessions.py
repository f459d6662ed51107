"""Server-side sign-ins: a copied cookie dies at sign-out; idle and old sign-ins end."""

from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import SignIn
from app.core.db import utcnow
from app.extensions import db
from tests.conftest import post_form, sign_in_staff


def _copy_cookie(source, target) -> None:
    """What a thief does with a session cookie read off a shared computer."""
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def _sign_out(client, page: str) -> None:
    response = post_form(client, "/signout", form_page=page)
    assert response.status_code == 302


def test_a_copied_household_cookie_stops_working_at_sign_out(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    resident, thief = app.test_client(), app.test_client()
    assert resident.get(f"/h/{code}").status_code == 302
    _copy_cookie(resident, thief)
    assert thief.get("/home").status_code == 200  # the copy works while the sign-in is open
    _sign_out(resident, "/home")
    assert thief.get("/home").status_code == 302
    assert resident.get("/home").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(SignIn.ended_why)).all() == ["signout"]


def test_a_copied_staff_cookie_stops_working_at_sign_out(app, factory):
    cid = factory.community()
    factory.user("w1", "worker", communities=[cid])
    worker, thief = app.test_client(), app.test_client()
    sign_in_staff(worker, "w1")
    _copy_cookie(worker, thief)
    assert thief.get(f"/c/{cid}/").status_code == 200
    _sign_out(worker, f"/c/{cid}/")
    assert thief.get(f"/c/{cid}/").status_code == 302


def test_two_browsers_of_one_household_sign_out_separately(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    phone, tablet = app.test_client(), app.test_client()
    for client in (phone, tablet):
        assert client.get(f"/h/{code}").status_code == 302
    _sign_out(phone, "/home")
    assert tablet.get("/home").status_code == 200


def _age(app, **columns) -> None:
    with app.app_context():
        db.session.execute(update(SignIn).values(**columns))
        db.session.commit()


def test_an_idle_staff_sign_in_ends_and_says_why(app, factory):
    cid = factory.community()
    factory.user("w1", "worker", communities=[cid])
    worker = app.test_client()
    sign_in_staff(worker, "w1")
    idle = app.config["STAFF_SESSION_IDLE_MINUTES"]
    _age(app, last_seen_at=utcnow() - timedelta(minutes=idle - 1))
    assert worker.get(f"/c/{cid}/").status_code == 200  # still inside the limit; touched
    _age(app, last_seen_at=utcnow() - timedelta(minutes=idle + 1))
    response = worker.get(f"/c/{cid}/", follow_redirects=True)
    assert "长时间未操作已自动退出" in response.get_data(as_text=True)
    assert worker.get(f"/c/{cid}/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SignIn.ended_why)) == "idle"


def test_a_household_sign_in_ends_at_its_absolute_age_however_busy(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    resident = app.test_client()
    assert resident.get(f"/h/{code}").status_code == 302
    days = app.config["HOUSEHOLD_SESSION_MAX_DAYS"]
    _age(app, created_at=utcnow() - timedelta(days=days, minutes=1))
    assert resident.get("/home").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SignIn.ended_why)) == "expired"


def test_reading_pages_touches_the_sign_in_at_most_once_a_minute(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    resident = app.test_client()
    assert resident.get(f"/h/{code}").status_code == 302
    with app.app_context():
        first = db.session.scalar(select(SignIn.last_seen_at))
    resident.get("/home")
    with app.app_context():
        assert db.session.scalar(select(SignIn.last_seen_at)) == first


def test_signing_in_again_clears_ended_sign_ins_of_the_same_household(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    resident = app.test_client()
    for _ in range(3):
        assert resident.get(f"/h/{code}").status_code == 302
        _sign_out(resident, "/home")
    with app.app_context():
        assert db.session.scalar(select(db.func.count(SignIn.id))) == 1
    assert resident.get(f"/h/{code}").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(db.func.count(SignIn.id))) == 1


def test_a_session_cookie_without_a_server_sign_in_is_not_signed_in(app, factory):
    """A cookie made before server-side sign-ins (or forged with the key) names no row."""
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    resident = app.test_client()
    assert resident.get(f"/h/{code}").status_code == 302
    with resident.session_transaction() as session:
        session.pop("sid")
    assert resident.get("/home").status_code == 302
