"""Tampering tried as a database administrator would: SQL straight on the tables, past the
application. `flask audit verify` must fail naming each row changed, deleted or forged (its
table and id), because every audited row reconciles with its community's chain. Runs on SQLite
and, in the PostgreSQL phase, on PostgreSQL (marker db)."""

import pytest
from sqlalchemy import text

from app.communities.models import Household
from app.extensions import db
from app.plans.models import Plan
from app.plans.queries import items_for_household
from app.voting.operations import cast_online_ballot


@pytest.fixture
def voted(app, voting_plan):
    """The example plan with two households' online ballots; the rest have not voted."""
    ids = sorted(voting_plan["households"].values())
    with app.test_request_context():
        plan = db.session.get(Plan, voting_plan["plan_id"])
        for n, household_id in enumerate(ids[:2]):
            household = db.session.get(Household, household_id)
            choices = {i.id: "agree" for i in items_for_household(plan, household)}
            cast_online_ballot(plan, household, choices, set(), f"key-{n}")
            db.session.commit()
        db.session.remove()
    return {**voting_plan, "voters": ids[:2], "non_voters": ids[2:]}


def sql(app, statement: str, **params):
    """Run one statement straight on the database and commit: no session hooks, no event."""
    with app.app_context(), db.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return result.first() if result.returns_rows else None


def verify(app, *args) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit", "verify", *args])
    return result.exit_code, result.output


def assert_named(app, *rows: tuple[str, int]):
    code, output = verify(app)
    assert code == 1, output
    for table, row_id in rows:
        assert f"row {table} {row_id}: " in output, output


def test_the_untouched_record_verifies(app, voted):
    code, output = verify(app)
    assert code == 0, output
    assert "every audited row reconciles with the chain" in output


def test_a_flipped_ballot_choice_is_named(app, voted):
    (choice_id,) = sql(app, "SELECT MIN(id) FROM ballot_choice")
    sql(app, "UPDATE ballot_choice SET choice = 'disagree' WHERE id = :i", i=choice_id)
    assert_named(app, ("ballot_choice", choice_id))
    _, output = verify(app)
    assert f"row ballot_choice {choice_id}: content differs from event" in output


def test_a_deleted_ballot_is_named(app, voted):
    (ballot_id,) = sql(app, "SELECT MIN(id) FROM ballot")
    choices = [
        r for (r,) in _all(app, "SELECT id FROM ballot_choice WHERE ballot_id = :b", b=ballot_id)
    ]
    (effective_id,) = sql(app, "SELECT id FROM effective_ballot WHERE ballot_id = :b", b=ballot_id)
    sql(app, "DELETE FROM effective_ballot WHERE ballot_id = :b", b=ballot_id)
    sql(app, "DELETE FROM ballot_choice WHERE ballot_id = :b", b=ballot_id)
    sql(app, "DELETE FROM ballot WHERE id = :b", b=ballot_id)
    rows = [("ballot", ballot_id), ("effective_ballot", effective_id)]
    assert_named(app, *rows, *(("ballot_choice", c) for c in choices))
    _, output = verify(app)
    assert f"row ballot {ballot_id}: event" in output and "the row is gone" in output


def test_a_forged_ballot_with_choices_is_named(app, voted):
    household_id = voted["non_voters"][0]
    (item_id, revision) = sql(app, "SELECT id, revision FROM item ORDER BY id LIMIT 1")
    cid, pid = voted["community_id"], voted["plan_id"]
    sql(
        app,
        "INSERT INTO ballot (community_id, plan_id, household_id, channel, recorded_at, receipt) "
        "VALUES (:c, :p, :h, 'online', :t, 'FORGED0001')",
        c=cid,
        p=pid,
        h=household_id,
        t="2026-01-01 00:00:00",
    )
    (ballot_id,) = sql(app, "SELECT id FROM ballot WHERE receipt = 'FORGED0001'")
    sql(
        app,
        "INSERT INTO ballot_choice (community_id, ballot_id, item_id, item_revision, choice, "
        "pledge) VALUES (:c, :b, :i, :r, 'agree', :f)",
        c=cid,
        b=ballot_id,
        i=item_id,
        r=revision,
        f=False,
    )
    (choice_id,) = sql(app, "SELECT id FROM ballot_choice WHERE ballot_id = :b", b=ballot_id)
    sql(
        app,
        "INSERT INTO effective_ballot (community_id, plan_id, household_id, ballot_id, conflict, "
        "reason, updated_at) VALUES (:c, :p, :h, :b, :f, '', :t)",
        c=cid,
        p=pid,
        h=household_id,
        b=ballot_id,
        f=False,
        t="2026-01-01 00:00:00",
    )
    (effective_id,) = sql(app, "SELECT id FROM effective_ballot WHERE ballot_id = :b", b=ballot_id)
    assert_named(
        app, ("ballot", ballot_id), ("ballot_choice", choice_id), ("effective_ballot", effective_id)
    )
    _, output = verify(app)
    assert f"row ballot {ballot_id}: no event records this row" in output


def test_a_raised_household_area_is_named(app, voted):
    household_id = voted["voters"][0]
    sql(app, "UPDATE household SET area_centi = area_centi * 10 WHERE id = :h", h=household_id)
    assert_named(app, ("household", household_id))


def test_a_deleted_effective_ballot_is_named(app, voted):
    (effective_id,) = sql(app, "SELECT MIN(id) FROM effective_ballot")
    sql(app, "DELETE FROM effective_ballot WHERE id = :i", i=effective_id)
    assert_named(app, ("effective_ballot", effective_id))


def test_a_changed_frozen_electorate_area_is_named(app, voted):
    (frozen_id,) = sql(app, "SELECT MIN(id) FROM frozen_household")
    sql(app, "UPDATE frozen_household SET area_centi = area_centi + 1 WHERE id = :i", i=frozen_id)
    assert_named(app, ("frozen_household", frozen_id))


def test_a_changed_share_is_named(app, voted):
    (share_id,) = sql(app, "SELECT MIN(id) FROM household_share")
    assert share_id is not None  # the example plan's shares were fixed when voting opened
    sql(app, "UPDATE household_share SET amount_fen = amount_fen - 100 WHERE id = :i", i=share_id)
    assert_named(app, ("household_share", share_id))


def test_a_truncated_chain_fails_against_its_anchor(app, voted):
    """The newest events cut off: the chain still links, but the head printed on a notice is no
    longer in it, and the rows only those events recorded have no event any more."""
    name = "滨城区示例小区"
    head = app.test_cli_runner().invoke(args=["audit", "head", name]).output.split()[-1]
    seq = int(head.split(":")[0])
    (ballot_id,) = sql(app, "SELECT MAX(id) FROM ballot")
    sql(
        app,
        "DELETE FROM audit_event WHERE chain = :c AND seq = :s",
        c=voted["community_id"],
        s=seq,
    )
    code, output = verify(app, "--community", name, "--anchor", head)
    assert code == 1
    assert f"anchor {seq}:{head.split(':')[1][:16]}… NOT in the chain" in output
    assert f"row ballot {ballot_id}: no event records this row" in output


def test_an_upgraded_database_needs_its_baseline_once(app, voted):
    """Rows made before rows were recorded: an event without rows (as older events are) leaves
    its rows unrecorded until `flask audit baseline`, which runs once per community."""
    sql(app, "DELETE FROM audit_event")  # an old database: no digests anywhere
    code, output = verify(app)
    assert code == 1 and "flask audit baseline" in output
    runner = app.test_cli_runner()
    first = runner.invoke(args=["audit", "baseline"])
    assert first.exit_code == 0 and "baseline recorded" in first.output
    assert verify(app)[0] == 0
    again = runner.invoke(args=["audit", "baseline"])
    assert "nothing done" in again.output
    # A row forged after the baseline is not blessed by running it again.
    sql(app, "UPDATE household SET area_centi = 1 WHERE id = :h", h=voted["voters"][0])
    assert_named(app, ("household", voted["voters"][0]))


def _all(app, statement: str, **params):
    with app.app_context(), db.engine.begin() as conn:
        return conn.execute(text(statement), params).all()
