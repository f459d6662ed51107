"""Assisted ballots: recorded at the door by a worker, with authoriser and witness."""

from sqlalchemy import select

from app.extensions import db
from app.voting.models import Ballot, EffectiveBallot
from tests.conftest import post_form, sign_in_staff
from tests.plans.conftest import example, household_id  # noqa: F401


def test_worker_records_an_assisted_ballot(app, factory, example):  # noqa: F811
    cid, pid = example()
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    hid = household_id(app, "1号楼", "1单元", "101")
    url = f"/c/{cid}/plans/{pid}/assisted?household={hid}"
    page = client.get(url).get_data(as_text=True)
    assert "外墙保温及屋面防水" in page
    from app.plans.models import Item

    with app.app_context():
        a1 = db.session.scalar(select(Item.id).where(Item.key == "A1"))
    missing = post_form(
        client, url, {f"item-{a1}": "agree", "authorised_by": "", "witness": "王书记"}
    )
    assert "请填写授权人" in missing.get_data(as_text=True)
    response = post_form(
        client, url, {f"item-{a1}": "agree", "authorised_by": "女儿 李红", "witness": "王书记"}
    )
    assert response.status_code == 302
    with app.app_context():
        ballot = db.session.scalar(select(Ballot))
        assert ballot.channel == "assisted" and ballot.authorised_by == "女儿 李红"
        assert {c.choice for c in ballot.choices} == {"agree", None}  # blanks count as abstain
        assert db.session.scalar(select(EffectiveBallot.ballot_id)) == ballot.id


def test_assisted_beats_online_by_default_and_the_conflict_is_listed(app, factory, example):  # noqa: F811
    from app.communities.models import Household
    from app.plans.models import Item, Plan
    from app.voting.operations import cast_online_ballot, record_assisted_ballot

    cid, pid = example()
    factory.user("w1", "worker", communities=[cid])
    hid = household_id(app, "1号楼", "1单元", "101")
    with app.test_request_context():
        from app.accounts.models import User

        plan, household = db.session.get(Plan, pid), db.session.get(Household, hid)
        items = db.session.scalars(select(Item).where(Item.key.in_(["A1", "A2", "B2", "C1"])))
        ids = [i.id for i in items]
        cast_online_ballot(plan, household, dict.fromkeys(ids, "agree"), set(), "k1")
        worker = db.session.scalar(select(User))
        paper = record_assisted_ballot(
            plan,
            household,
            dict.fromkeys(ids, "oppose"),
            set(),
            user=worker,
            authorised_by="本人",
            witness="邻居",
        )
        effective = db.session.scalar(select(EffectiveBallot))
        assert effective.ballot_id == paper.id and effective.conflict
        assert effective.reason == "paper_prevails"
        db.session.rollback()
