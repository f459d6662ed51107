"""Cross-cutting web behaviour: CSRF on every POST, security headers, language, demo seed."""

import re

import pytest

from tests.conftest import sign_in_staff


def test_every_post_route_refuses_a_missing_csrf_token(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    factory.user("admin1", "admin")
    client = app.test_client()
    sign_in_staff(client, "admin1")
    values = {"community_id": cid, "household_id": 1, "upload_id": 1, "code": "en", "token": "x"}
    posted = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        # CSRF is checked before the view runs, so any id will do for other arguments.
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule)
        response = client.post(url, data={"code": "ABCDE-FGHJK", "username": "admin1"})
        assert response.status_code == 400, (url, response.status_code)
        assert "页面已过期" in response.get_data(as_text=True)
        posted += 1
    assert posted >= 10


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_external_assets(client):
    html = client.get("/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_static_urls_carry_their_files_digest(app, client):
    """nginx lets browsers keep /static/ a year: a changed file must get a new URL."""
    import hashlib

    html = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/css/app\.css[^"]*)"', html).group(1)
    with open(f"{app.static_folder}/css/app.css", "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    assert url == f"/static/css/app.css?v={digest}"
    assert client.get(url).status_code == 200


def test_chinese_by_default_and_english_on_request(app):
    client = app.test_client()
    assert "住户登录" in client.get("/").get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Household sign-in" in english.get_data(as_text=True)


def test_language_switch_sticks(app):
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/lang/en", data={"csrf_token": token, "next": "/"})
    assert "Household sign-in" in client.get("/").get_data(as_text=True)


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


@pytest.mark.slow
def test_demo_seed_prints_sign_ins_and_working_codes(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "demo-worker" in result.output and "coplan-demo-2026" in result.output
    codes = re.findall(r"/h/([A-Z0-9]{10})", result.output)
    assert len(codes) == 6  # three of each demo community (the second one is in the works)
    assert "和平里小区" in result.output
    assert app.test_client().get(f"/h/{codes[0]}").status_code == 302
    in_the_works = app.test_client()
    assert in_the_works.get(f"/h/{codes[3]}").status_code == 302
    assert "施工进度" in in_the_works.get("/home").get_data(as_text=True)
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0 and "already present" in again.output
    new_codes = re.findall(r"/h/([A-Z0-9]{10})", again.output)
    assert app.test_client().get(f"/h/{new_codes[0]}").status_code == 302
    assert app.test_client().get(f"/h/{codes[0]}").status_code == 401


def test_demo_is_realistic(app):
    from sqlalchemy import func, select

    from app.communities.models import Household
    from app.extensions import db

    app.test_cli_runner().invoke(args=["demo", "seed"])
    with app.app_context():
        total = db.session.scalar(select(func.count(Household.id)))
        biggest = db.session.execute(
            select(Household.owner_name, func.count())
            .where(Household.owner_key.is_not(None))
            .group_by(Household.owner_key, Household.owner_name)
            .order_by(func.count().desc())
        ).all()
    assert 200 <= total <= 400
    assert biggest[0][1] >= 20 and biggest[0][0] == "滨城区房管所"
    assert any(n == 4 for _name, n in biggest)


def test_worker_overview_shows_roster_stats(app, client, factory):
    cid = factory.community(buildings=2, units=1, floors=2)
    factory.user("w1", "worker", communities=[cid])
    factory.codes(cid)
    sign_in_staff(client, "w1")
    html = client.get(f"/c/{cid}/").get_data(as_text=True)
    assert "1号楼" in html and "2号楼" in html and "4/4" in html and "codes.issue" in html


def test_household_list_is_paginated_and_searchable(app, client, factory):
    cid = factory.community(buildings=3, units=2, floors=6, per_floor=2)  # 72 households
    factory.user("w1", "worker", communities=[cid])
    sign_in_staff(client, "w1")
    first = client.get(f"/c/{cid}/households").get_data(as_text=True)
    assert "共 72 条" in first
    found = client.get(f"/c/{cid}/households?q=3号楼2单元601").get_data(as_text=True)
    assert len(re.findall(r"/households/\d+", found)) == 1


def test_language_survives_sign_in(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/lang/en", data={"csrf_token": token, "next": "/"})
    client.get(f"/h/{code}")
    assert "Sign out" in client.get("/home").get_data(as_text=True)


def test_ids_beyond_the_id_range_answer_404_not_500(app, client, factory):
    """A number no id can reach names no record, in the URL and in a form field alike."""
    cid = factory.community("大号小区")
    factory.user("w", "worker", communities=[cid])
    sign_in_staff(client, "w")
    huge = 2**63
    assert client.get(f"/c/{huge}/").status_code == 404
    assert client.get(f"/c/{cid}/households/{huge}").status_code == 404
    assert client.get(f"/c/{cid}/households/{2**31}").status_code == 404
    assert client.get(f"/c/{cid}/households/{2**31 - 1}").status_code == 404
    # Form fields reach the lookup without the URL converter's bound.
    import pytest
    from werkzeug.exceptions import NotFound

    from app.communities.models import Household
    from app.communities.tenancy import get_in_community_or_404

    with app.test_request_context(), pytest.raises(NotFound):
        get_in_community_or_404(Household, huge)


def test_a_refusal_undoes_what_the_operation_flushed_and_says_why(app):
    """flash_refusal(): the redirect that follows commits, so what was flushed goes first."""
    from flask import get_flashed_messages
    from sqlalchemy import select

    from app.communities.models import Community
    from app.core.errors import DomainError
    from app.core.refusals import flash_refusal
    from app.extensions import db

    with app.test_request_context():
        db.session.add(Community(name="半途小区", district="滨城区"))
        db.session.flush()
        flash_refusal(DomainError("理由一", "理由二"))
        db.session.commit()
        assert db.session.scalar(select(Community).where(Community.name == "半途小区")) is None
        assert get_flashed_messages(with_categories=True) == [("error", "理由一；理由二")]
