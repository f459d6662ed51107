"""The audit trail: every write appends a chained event; verification finds the broken link."""

import csv
import itertools

from sqlalchemy import func, select, text

from app.core.audit import CITY, GENESIS, AuditEvent, log_event, verify_all, verify_chain
from app.extensions import db
from tests.conftest import post_form, sign_in_staff


def events(app):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_writes_append_chained_events(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    factory.user("w1", "worker", communities=[cid])
    factory.codes(cid)
    trail = events(app)
    assert [e.action for e in trail] == [
        "community.create",
        "roster.import",
        "user.create",
        "codes.issue",
    ]
    # The community's events form its chain; the user's creation is city-wide (chain 0).
    assert [(e.chain, e.seq) for e in trail] == [(cid, 1), (cid, 2), (CITY, 1), (cid, 3)]
    for chain in (cid, CITY):
        links = [e for e in trail if e.chain == chain]
        assert links[0].prev_hash == GENESIS
        for before, after in itertools.pairwise(links):
            assert after.prev_hash == before.hash and after.seq == before.seq + 1
    assert trail[2].after_data["username"] == "w1" and "password" not in trail[2].after


def test_page_writes_name_their_actor(app, client, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    factory.user("w1", "worker", communities=[cid])
    sign_in_staff(client, "w1")
    post_form(client, f"/c/{cid}/codes", {"only_missing": "y"})
    last = events(app)[-1]
    assert last.action == "codes.issue" and last.actor == "user:w1" and last.community_id == cid


def test_household_sign_in_is_audited(app, client, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    code = next(iter(factory.codes(cid).values()))
    client.get(f"/h/{code}")
    last = events(app)[-1]
    assert last.action == "household.signin" and last.actor.startswith("household:")


def test_verify_detects_an_edited_row(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    with app.app_context():
        assert all(r.ok for r in verify_all())
        target = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id))
        db.session.execute(
            text("UPDATE audit_event SET actor = 'someone-else' WHERE id = :i"), {"i": target}
        )
        db.session.commit()
        report = verify_chain(cid)
        assert not report.ok and report.broken_at == target and "changed" in report.reason
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"BROKEN at event {target}" in result.output


def test_verify_detects_a_deleted_row(app, factory):
    cid = factory.community(buildings=1, units=1, floors=1)
    factory.codes(cid)
    with app.app_context():
        ids = db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.chain == cid).order_by(AuditEvent.seq)
        ).all()
        db.session.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": ids[1]})
        db.session.commit()
        report = verify_chain(cid)
        assert report.broken_at == ids[2] and report.checked == 1
        assert "2 to 2" in report.reason  # the gap in the numbers names what is missing


def test_verify_detects_the_newest_event_deleted_only_against_a_head(app, factory):
    """Deleting the last events leaves a shorter, valid-looking chain: an anchor printed on a
    notice before (SEQ:HASH) is what shows it."""
    from app.core.audit import chain_head, verify_anchor

    cid = factory.community(buildings=1, units=1, floors=1)
    factory.codes(cid)
    with app.app_context():
        head = chain_head(cid).head
        assert verify_anchor(cid, head).ok
        db.session.execute(text("DELETE FROM audit_event WHERE chain = :c AND seq = 3"), {"c": cid})
        db.session.commit()
        assert verify_chain(cid).ok  # the rest still links: truncation alone is invisible
        check = verify_anchor(cid, head)
        assert not check.ok and check.found is None
    result = app.test_cli_runner().invoke(
        args=["audit", "verify", "--community", "示例小区", "--anchor", head]
    )
    assert result.exit_code == 1 and "NOT in the chain" in result.output


def test_verify_cli_reports_an_intact_chain(app, factory):
    factory.community(buildings=1, units=1, floors=1)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact, 2 events" in result.output
    head = app.test_cli_runner().invoke(args=["audit", "head", "示例小区"])
    assert head.exit_code == 0 and head.output.split()[-1].startswith("2:")


def test_failed_operation_leaves_no_event(app, client, factory):
    factory.user("admin1", "admin")
    sign_in_staff(client, "admin1")
    before = len(events(app))
    post_form(client, "/staff/users/new", {"username": "x", "password": "short", "role": "worker"})
    assert len(events(app)) == before


def test_chain_holds_across_transactions(app):
    with app.test_request_context():
        for i in range(5):
            log_event("test.write", "thing", i)
            db.session.commit()
        assert verify_chain(CITY).checked == 5
        assert db.session.scalar(select(func.count(func.distinct(AuditEvent.prev_hash)))) == 5


def test_codes_cli_writes_a_csv(app, factory, tmp_path):
    factory.community("码小区", buildings=1, units=1, floors=2)
    out = tmp_path / "codes.csv"
    result = app.test_cli_runner().invoke(
        args=["codes", "issue", "码小区", "--out", str(out), "--base-url", "https://coplan.example"]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4
    assert rows[0]["link"].startswith("https://coplan.example/h/")
    code = rows[0]["code"].replace("-", "")
    assert rows[0]["link"].endswith(code)
    client = app.test_client()
    assert client.get(f"/h/{code}").status_code == 302
