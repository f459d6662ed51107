"""Staff sign-in, account creation (page and CLI), community creation."""

from sqlalchemy import select

from app.accounts.models import User
from app.communities.models import Community
from app.extensions import db
from tests.conftest import post_form, sign_in_staff


def test_password_is_hashed_and_checked(app, factory):
    factory.user("admin1", "admin")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "admin1"))
        assert "secret-pass-1" not in user.password_hash
        assert user.check_password("secret-pass-1") and not user.check_password("nope")


def test_wrong_password_is_refused(client, factory):
    factory.user("admin1", "admin")
    response = post_form(client, "/staff/signin", {"username": "admin1", "password": "bad"})
    assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)


def test_next_is_never_an_open_redirect(client, factory):
    factory.user("admin1", "admin")
    token_page = "/staff/signin?next=//evil.example/x"
    response = post_form(client, token_page, {"username": "admin1", "password": "secret-pass-1"})
    assert response.headers["Location"] == "/staff/"


def test_admin_creates_community_and_worker_through_pages(app, client, factory):
    factory.user("admin1", "admin")
    sign_in_staff(client, "admin1")
    response = post_form(
        client,
        "/staff/communities/new",
        {"name": "新华里", "district": "东区", "street": "", "address": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        cid = db.session.scalar(select(Community.id).where(Community.name == "新华里"))
    response = post_form(
        client,
        "/staff/users/new",
        {
            "username": "wang",
            "display_name": "王",
            "password": "long-enough-pw",
            "role": "worker",
            "district": "",
            "communities": [str(cid)],
        },
    )
    assert response.status_code == 302
    worker = app.test_client()
    sign_in_staff(worker, "wang", "long-enough-pw")
    assert worker.get(f"/c/{cid}/").status_code == 200


def test_user_form_reports_every_problem(client, factory):
    factory.user("admin1", "admin")
    sign_in_staff(client, "admin1")
    response = post_form(
        client,
        "/staff/users/new",
        {"username": "admin1", "password": "short", "role": "worker", "district": ""},
    )
    html = response.get_data(as_text=True)
    assert "已被使用" in html and "至少需要 10 个字符" in html and "至少需要一个小区" in html


def test_district_staff_create_inside_their_district_only(app, client, factory):
    factory.user("d1", "district", district="东区")
    sign_in_staff(client, "d1")
    post_form(
        client,
        "/staff/communities/new",
        {"name": "东一小区", "district": "西区", "street": "", "address": ""},
    )
    with app.app_context():
        community = db.session.scalar(select(Community).where(Community.name == "东一小区"))
        assert community.district == "东区"
    html = client.get("/staff/users/new").get_data(as_text=True)
    assert 'value="admin"' not in html and 'value="district"' not in html


def test_cli_community_and_user_create(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["community", "create", "CLI小区", "--district", "南区"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "user",
            "create",
            "li",
            "--role",
            "worker",
            "--community",
            "CLI小区",
            "--password-stdin",
        ],
        input="a-long-password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "li"))
        assert user.check_password("a-long-password")
        assert [m.community_id for m in user.memberships]


def test_cli_errors_exit_non_zero_with_a_message(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "user",
            "create",
            "li",
            "--role",
            "worker",
            "--community",
            "没有这个小区",
            "--password-stdin",
        ],
        input="a-long-password\n",
    )
    assert result.exit_code == 1 and "没有名为" in result.output
    runner.invoke(args=["community", "create", "重复"])
    result = runner.invoke(args=["community", "create", "重复"])
    assert result.exit_code == 1 and "已存在" in result.output


def test_a_nul_character_in_a_form_is_refused_with_a_message_not_a_server_error(
    app, client, factory
):
    # PostgreSQL cannot store NUL; the fuzz test found a community name of "\x00" answering 500.
    factory.user("admin1", "admin")
    sign_in_staff(client, "admin1")
    for fields in ({"name": "\x00"}, {"name": "新华里", "district": "东\x00区"}):
        response = post_form(client, "/staff/communities/new", fields)
        assert response.status_code == 400
        assert "空字符" in response.get_data(as_text=True)
    assert client.get("/staff/communities/new?q=\x00").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Community.id).where(Community.name == "新华里")) is None
