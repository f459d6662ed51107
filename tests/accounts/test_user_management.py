"""Managing staff accounts: the least-privileged default, editing, password reset, disabling,
who may do it, the last admin, sign-ins ended, audit events (never a password)."""

import json
import re

from sqlalchemy import select

from app.accounts.models import SignIn, User
from app.core.audit import AuditEvent
from app.extensions import db
from tests.conftest import post_form, sign_in_staff

PASSWORD = "secret-pass-1"


def _events(app, action):
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [(e.before, e.after, e.actor) for e in rows]


def _user(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def test_a_new_account_defaults_to_the_least_privileged_role(client, factory):
    factory.user("admin1", "admin")
    sign_in_staff(client, "admin1")
    html = client.get("/staff/users/new").get_data(as_text=True)
    selected = re.search(r'<option selected value="(\w+)"|<option value="(\w+)" selected', html)
    assert selected and "committee" in selected.groups()
    options = re.findall(r'<option[^>]*value="(\w+)"', html)
    assert options[:4] == ["committee", "worker", "district", "admin"]


def test_admin_edits_name_role_district_and_communities(app, client, factory):
    a = factory.community("甲小区", "东区", roster=False)
    b = factory.community("乙小区", "西区", roster=False)
    factory.user("admin1", "admin")
    wid = factory.user("w1", "worker", communities=[a])
    sign_in_staff(client, "admin1")
    page = f"/staff/users/{wid}"
    assert "w1" in client.get(page).get_data(as_text=True)
    response = post_form(
        client,
        page,
        {"display_name": "王芳", "role": "committee", "district": "", "communities": [str(b)]},
    )
    assert response.status_code == 302
    user = _user(app, "w1")
    assert (user.display_name, user.role) == ("王芳", "committee")
    with app.app_context():
        assert [m.community_id for m in db.session.get(User, wid).memberships] == [b]
    [(before, after, actor)] = _events(app, "user.update")
    assert json.loads(before)["role"] == "worker" and json.loads(before)["communities"] == [a]
    assert json.loads(after)["role"] == "committee" and json.loads(after)["communities"] == [b]
    assert actor == "user:admin1"
    refused = post_form(
        client, page, {"display_name": "", "role": "worker", "district": "", "communities": []}
    )
    assert "至少需要一个小区" in refused.get_data(as_text=True)
    assert _user(app, "w1").role == "committee"


def test_password_reset_shows_a_new_password_once_and_ends_sign_ins(app, client, factory):
    cid = factory.community(roster=False)
    factory.user("admin1", "admin")
    wid = factory.user("w1", "worker", communities=[cid])
    worker = app.test_client()
    sign_in_staff(worker, "w1")
    assert worker.get(f"/c/{cid}/").status_code == 200
    sign_in_staff(client, "admin1")
    response = post_form(client, f"/staff/users/{wid}/password", form_page=f"/staff/users/{wid}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = re.search(r"<code>([^<]+)</code>", response.get_data(as_text=True)).group(1)
    assert len(password) >= 16
    # The worker's open sign-in has ended; the old password no longer works, the new one does.
    assert worker.get(f"/c/{cid}/").status_code == 302
    old = post_form(app.test_client(), "/staff/signin", {"username": "w1", "password": PASSWORD})
    assert old.status_code == 401
    with app.app_context():
        ended = db.session.scalars(select(SignIn.ended_why).where(SignIn.user_id == wid)).all()
    assert ended == ["reset"]
    sign_in_staff(app.test_client(), "w1", password)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
    assert [e for e in events if e.action == "user.password_reset"]
    assert not [e for e in events if password in (e.before or "") + (e.after or "")]
    # The page is not shown again: the edit page has no password on it.
    assert password not in client.get(f"/staff/users/{wid}").get_data(as_text=True)


def test_disabling_ends_sign_ins_and_enabling_lets_the_account_back_in(app, client, factory):
    cid = factory.community(roster=False)
    factory.user("admin1", "admin")
    wid = factory.user("w1", "worker", communities=[cid])
    worker = app.test_client()
    sign_in_staff(worker, "w1")
    sign_in_staff(client, "admin1")
    page = f"/staff/users/{wid}"
    post_form(client, f"/staff/users/{wid}/active", {"active": "0"}, form_page=page)
    assert not _user(app, "w1").active
    assert worker.get(f"/c/{cid}/").status_code == 302
    refused = post_form(
        app.test_client(), "/staff/signin", {"username": "w1", "password": PASSWORD}
    )
    assert refused.status_code == 401
    with app.app_context():
        open_rows = db.session.scalars(
            select(SignIn).where(SignIn.user_id == wid, SignIn.ended_at.is_(None))
        ).all()
        assert open_rows == []
    assert "已停用" in client.get("/staff/users").get_data(as_text=True)
    post_form(client, f"/staff/users/{wid}/active", {"active": "1"}, form_page=page)
    assert _user(app, "w1").active
    sign_in_staff(app.test_client(), "w1")
    disable = _events(app, "user.disable")
    enable = _events(app, "user.enable")
    assert len(disable) == 1 and json.loads(disable[0][1])["active"] is False
    assert len(enable) == 1 and json.loads(enable[0][1])["active"] is True


def test_nobody_disables_themselves_or_locks_out_the_last_admin(app, client, factory):
    aid = factory.user("admin1", "admin")
    bid = factory.user("admin2", "admin")
    sign_in_staff(client, "admin1")
    own = f"/staff/users/{aid}"
    response = post_form(
        client, f"/staff/users/{aid}/active", {"active": "0"}, form_page=own, follow_redirects=True
    )
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    assert _user(app, "admin1").active
    # Another admin may be disabled; then admin1 is the last one and cannot step down.
    post_form(
        client, f"/staff/users/{bid}/active", {"active": "0"}, form_page=f"/staff/users/{bid}"
    )
    assert not _user(app, "admin2").active
    response = post_form(
        client, own, {"display_name": "", "role": "worker", "district": "", "communities": []}
    )
    assert "唯一一个可用的系统管理员" in response.get_data(as_text=True)
    assert _user(app, "admin1").role == "admin"
    refused = post_form(client, f"/staff/users/{aid}/password", form_page=own)
    assert refused.status_code == 302 and _user(app, "admin1").check_password(PASSWORD)


def test_district_staff_manage_only_their_districts_workers(app, client, factory):
    east = factory.community("东一", "东区", roster=False)
    west = factory.community("西一", "西区", roster=False)
    factory.user("d1", "district", district="东区")
    factory.user("d2", "district", district="西区")
    mine = factory.user("w-east", "worker", communities=[east], district="东区")
    theirs = factory.user("w-west", "worker", communities=[west], district="西区")
    admin = factory.user("admin1", "admin")
    peer = factory.user("d1b", "district", district="东区")
    sign_in_staff(client, "d1")
    listing = client.get("/staff/users").get_data(as_text=True)
    assert f"/staff/users/{mine}" in listing and f"/staff/users/{peer}" not in listing
    assert client.get(f"/staff/users/{mine}").status_code == 200
    for other in (theirs, admin, peer):
        assert client.get(f"/staff/users/{other}").status_code == 404
        token_page = f"/staff/users/{mine}"
        assert (
            post_form(
                client, f"/staff/users/{other}/active", {"active": "0"}, form_page=token_page
            ).status_code
            == 404
        )
    html = client.get(f"/staff/users/{mine}").get_data(as_text=True)
    assert 'value="admin"' not in html and 'value="district"' not in html
    post_form(
        client,
        f"/staff/users/{mine}",
        {"display_name": "", "role": "admin", "district": "西区", "communities": [str(east)]},
    )
    user = _user(app, "w-east")
    assert (user.role, user.district) == ("worker", "东区")


def test_district_edit_keeps_memberships_beyond_its_reach(app, client, factory):
    east = factory.community("东一", "东区", roster=False)
    west = factory.community("西一", "西区", roster=False)
    east2 = factory.community("东二", "东区", roster=False)
    factory.user("d1", "district", district="东区")
    wid = factory.user("w1", "worker", communities=[east, west], district="东区")
    sign_in_staff(client, "d1")
    html = client.get(f"/staff/users/{wid}").get_data(as_text=True)
    assert "西一" in html  # named as kept, not offered
    post_form(
        client,
        f"/staff/users/{wid}",
        {"display_name": "", "role": "worker", "district": "", "communities": [str(east2)]},
    )
    with app.app_context():
        kept = sorted(m.community_id for m in db.session.get(User, wid).memberships)
    assert kept == sorted([west, east2])


def test_workers_cannot_manage_accounts(app, client, factory):
    cid = factory.community(roster=False)
    factory.user("w1", "worker", communities=[cid])
    other = factory.user("w2", "worker", communities=[cid])
    sign_in_staff(client, "w1")
    assert client.get(f"/staff/users/{other}").status_code == 403
    response = post_form(client, f"/staff/users/{other}/password", form_page=f"/c/{cid}/")
    assert response.status_code == 403


def test_ending_all_sign_ins_touches_only_that_users_open_rows(app, factory):
    from app.accounts.sessions import end_all_sign_ins

    cid = factory.community(roster=False)
    one = factory.user("w1", "worker", communities=[cid])
    two = factory.user("w2", "worker", communities=[cid])
    for name in ("w1", "w1", "w2"):
        sign_in_staff(app.test_client(), name)
    with app.test_request_context():
        assert end_all_sign_ins(user_id=one, why="disabled") == 2
        assert end_all_sign_ins(user_id=one, why="disabled") == 0
        db.session.commit()
        rows = db.session.scalars(select(SignIn)).all()
    assert {(r.user_id, r.ended_why) for r in rows} == {(one, "disabled"), (two, "")}
