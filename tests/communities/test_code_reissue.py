"""Reissuing every household's sign-in code asks first, saying how many codes stop working."""

from sqlalchemy import select

from app.communities.models import Household
from app.extensions import db
from tests.conftest import post_form, sign_in_staff


def _hashes(app):
    with app.app_context():
        return set(db.session.scalars(select(Household.code_hash)))


def test_reissuing_all_codes_asks_first(app, factory):
    cid = factory.community()
    factory.user("w1", "worker", communities=[cid])
    factory.codes(cid)
    client = app.test_client()
    sign_in_staff(client, "w1")
    before = _hashes(app)
    url = f"/c/{cid}/codes"
    asked = post_form(client, url, {})  # "only missing" unchecked: everyone gets a new code
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "确认重新发码并下载" in html
    with app.app_context():
        total = db.session.scalar(select(db.func.count(Household.id)))
    assert f"其中 {total} 户原有的登录码立即失效" in html
    assert _hashes(app) == before  # nothing changed yet
    done = post_form(client, url, {"confirmed": "1"})
    assert done.mimetype == "text/csv"
    assert not (_hashes(app) & before)


def test_first_issue_and_only_missing_need_no_confirmation(app, factory):
    cid = factory.community()
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    assert post_form(client, f"/c/{cid}/codes", {}).mimetype == "text/csv"  # nobody had one
    again = post_form(client, f"/c/{cid}/codes", {"only_missing": "y"})
    assert again.mimetype == "text/csv"
