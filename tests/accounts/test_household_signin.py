"""Household sign-in by code and QR link; rate limits; rotation; no enumeration."""

import math
import re

from sqlalchemy import select

from app.communities.models import Household
from app.core import codes
from app.extensions import db
from tests.conftest import csrf_from, post_form, sign_in_staff


def test_code_has_enough_entropy_and_an_unambiguous_alphabet():
    assert codes.ENTROPY_BITS >= 40
    assert math.isclose(codes.ENTROPY_BITS, codes.LENGTH * math.log2(len(codes.ALPHABET)))
    for confusable in "0O1IL5SUV":
        assert confusable not in codes.ALPHABET
    code = codes.generate_code()
    assert codes.is_well_formed(code)
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", codes.format_code(code))


def test_codes_are_random():
    assert len({codes.generate_code() for _ in range(2000)}) == 2000


def test_typed_code_is_normalised():
    assert codes.normalize_code(" abcde-fghjk ") == "ABCDEFGHJK"
    assert codes.normalize_code("ＡＢＣＤＥ　ＦＧＨＪＫ") == "ABCDEFGHJK"


def test_codes_are_stored_hashed_only(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    issued = factory.codes(cid)
    with app.app_context():
        stored = db.session.scalars(select(Household.code_hash)).all()
    for code in issued.values():
        assert code not in stored
        assert all(code not in h for h in stored)


def test_sign_in_by_typed_code_shows_the_household(app, client, factory):
    cid = factory.community(buildings=1, units=1, floors=2)
    code = factory.codes(cid)[("1号楼", "1单元", "201")]
    response = post_form(client, "/", {"code": codes.format_code(code).lower()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    html = client.get("/home").get_data(as_text=True)
    assert "1号楼" in html and "201" in html and "61.00" in html
    assert "目前没有需要您参与的事项" in html


def test_sign_in_by_qr_link(client, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = factory.codes(cid)[("1号楼", "1单元", "102")]
    response = client.get(f"/h/{code}")
    assert response.status_code == 302
    assert "102" in client.get("/home").get_data(as_text=True)


def test_wrong_and_unknown_codes_get_the_same_answer(client, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    factory.codes(cid)
    wrong = post_form(client, "/", {"code": "ABCDE-FGHJK"})
    malformed = post_form(client, "/", {"code": "12"})
    assert wrong.status_code == malformed.status_code == 401
    strip = lambda r: re.sub(r'value="[^"]+"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(wrong) == strip(malformed).replace('value="12"', "")
    assert "登录码不正确" in wrong.get_data(as_text=True)
    assert client.get("/home").status_code == 302  # not signed in


def test_client_rate_limit_gives_a_clear_message(app, client, factory):
    factory.community(buildings=1, units=1, floors=1)
    token = csrf_from(client, "/")
    statuses = [
        client.post("/", data={"code": "WRONG-CODE2", "csrf_token": token}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    last = client.post("/", data={"code": "x", "csrf_token": token})
    assert "尝试次数太多" in last.get_data(as_text=True)


def test_household_rate_limit(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = factory.codes(cid)[("1号楼", "1单元", "101")]
    app.config["SIGNIN_LIMIT_PER_HOUSEHOLD"] = "3 per hour"
    try:
        statuses = []
        for i in range(4):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"  # different clients
            statuses.append(client.get(f"/h/{code}").status_code)
        assert statuses == [302, 302, 302, 429]
    finally:
        app.config["SIGNIN_LIMIT_PER_HOUSEHOLD"] = "20 per hour"


def test_rotating_a_code_stops_the_old_one_and_its_sessions(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    factory.user("w1", "worker", communities=[cid])
    old = factory.codes(cid)[("1号楼", "1单元", "101")]
    resident = app.test_client()
    assert resident.get(f"/h/{old}").status_code == 302
    assert resident.get("/home").status_code == 200

    worker = app.test_client()
    sign_in_staff(worker, "w1")
    with app.app_context():
        hid = db.session.scalar(select(Household.id).where(Household.room == "101"))
    page = f"/c/{cid}/households/{hid}"
    response = post_form(worker, f"{page}/code", {"reason": "信件遗失"}, form_page=page)
    assert response.status_code == 200
    new = re.search(r'class="code-display">([A-Z0-9-]+)<', response.get_data(as_text=True)).group(1)
    assert codes.normalize_code(new) != old

    assert resident.get("/home").status_code == 302  # the old session ended at once
    assert app.test_client().get(f"/h/{old}").status_code == 401
    assert app.test_client().get(f"/h/{codes.normalize_code(new)}").status_code == 302


def test_household_cannot_reach_staff_pages(client, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    client.get(f"/h/{code}")
    assert client.get(f"/c/{cid}/").status_code in (302, 403)
