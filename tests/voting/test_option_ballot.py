"""Options within an item (方案比选) on the ballot: each option with the household's own share
under it, fixed when voting opens over the frozen electorate; one option, oppose or abstain;
changed until close; assisted ballots; the receipt shows the option; pledges follow it."""

import re
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.funding.ledger import ledger
from app.plans.models import Item, ItemOption, OptionShare, Plan
from app.voting.models import Ballot, BallotChoice
from tests.plans.conftest import example, household_id  # noqa: F401
from tests.voting.test_online_ballot import ballots, choose, confirm, signed_in, token

UNIT = ("3号楼", "2单元")
OPTIONS_FILE = "plan-options-example.json"


def option_ids(app, plan_id) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(ItemOption.key, ItemOption.id)
            .join(Item, Item.id == ItemOption.item_id)
            .where(Item.plan_id == plan_id, Item.key == "B1")
        ).all()
    return dict(rows)


def stored_shares(app, option_id) -> dict[int, int]:
    with app.app_context():
        return dict(
            db.session.execute(
                select(OptionShare.household_id, OptionShare.amount_fen).where(
                    OptionShare.option_id == option_id
                )
            ).all()
        )


def test_shares_per_option_are_fixed_over_the_frozen_electorate(app, factory, example):  # noqa: F811
    _cid, pid = example(plan_file=OPTIONS_FILE)
    ids = option_ids(app, pid)
    a, b, c = (stored_shares(app, ids[k]) for k in "abc")
    # Every household of the unit has a share under every option, each option's shares add up
    # to its own residents' part exactly (cost minus its own funding).
    assert len(a) == len(b) == len(c) == 12
    assert sum(a.values()) == 65000000 - 20000000
    assert sum(b.values()) == 78000000 - 20000000
    assert sum(c.values()) == 92000000 - 20000000 - 5000000
    ground = household_id(app, *UNIT, "101")
    second = household_id(app, *UNIT, "201")
    sixth = household_id(app, *UNIT, "601")
    assert a[ground] == b[ground] == c[ground] == 0  # floors 1-2 pay nothing under a and b
    assert a[second] == b[second] == 0 and c[second] > 0  # c's table charges floor 2 half
    assert b[sixth] > a[sixth]  # the dearer lift costs the sixth floor more
    # floor_flat (option c) splits by the coefficient alone: two households on one floor pay
    # the same whatever their areas.
    assert c[sixth] in (c[household_id(app, *UNIT, "602")], c[household_id(app, *UNIT, "602")] + 1)
    # The plain item without options has no option shares; a household outside the unit none.
    outside = household_id(app, "1号楼", "1单元", "101")
    assert outside not in a


def test_option_shares_by_hand(app, factory, example):  # noqa: F811
    """Option a on floor coefficients × area, worked from the roster's own areas."""
    from app.communities.models import Household

    _cid, pid = example(plan_file=OPTIONS_FILE)
    shares = stored_shares(app, option_ids(app, pid)["a"])
    table = {1: 0, 2: 0, 3: Decimal("1.0"), 4: Decimal("1.2"), 5: Decimal("1.4"), 6: Decimal("1.6")}
    with app.app_context():
        households = db.session.scalars(
            select(Household).where(Household.id.in_(list(shares)))
        ).all()
        weights = {h.id: table[h.floor] * Decimal(h.area_centi) for h in households}
    total = sum(weights.values())
    for hid, weight in weights.items():
        exact = Decimal(45000000) * weight / total
        assert abs(shares[hid] - exact) < 1, (hid, shares[hid], exact)


def test_draft_and_ballot_show_each_option_with_the_households_share(app, factory, example):  # noqa: F811
    cid, pid = example(plan_file=OPTIONS_FILE)
    ids = option_ids(app, pid)
    hid = household_id(app, *UNIT, "601")
    client = signed_in(app, factory, cid, (*UNIT, "601"))
    html = client.get("/vote").get_data(as_text=True)
    for key in "abc":
        assert f'value="option-{ids[key]}"' in html
        fen = stored_shares(app, ids[key])[hid]
        assert f"您家约出 {fen // 100:,}.{fen % 100:02d} 元" in html
    assert "同意 · 方案a：无机房电梯（标准型）" in html
    assert 'name="item-' in html and 'value="oppose"' in html
    assert "D1" not in html  # the opt-in item is signed up for, not voted
    draft = client.get("/plan").get_data(as_text=True)
    assert "方案b：有机房电梯（担架梯）" in draft and "本项目有 3 个方案供比选" in draft
    assert draft.count("您家应出资") >= 4  # A1, B2, C1 ... and each option


def _b1(app, pid):
    with app.app_context():
        return db.session.scalar(select(Item.id).where(Item.plan_id == pid, Item.key == "B1"))


def _all_agree(app, pid, option_field):
    """Every item of 3号楼2单元 agreed; B1 with the given option field value."""
    with app.app_context():
        items = db.session.scalars(
            select(Item).where(Item.plan_id == pid, Item.kind == "vote")
        ).all()
        return {i.id: (option_field if i.key == "B1" else "agree") for i in items if i.key != "A2"}


def test_vote_for_an_option_confirm_receipt_and_change(app, factory, example):  # noqa: F811
    cid, pid = example(plan_file=OPTIONS_FILE)
    ids, b1 = option_ids(app, pid), _b1(app, pid)
    client = signed_in(app, factory, cid, (*UNIT, "601"))
    page = choose(client, _all_agree(app, pid, f"option-{ids['b']}"), pledges=[b1])
    html = page.get_data(as_text=True)
    assert "方案b：有机房电梯（担架梯）" in html  # the confirmation names the option
    fen_b = stored_shares(app, ids["b"])[household_id(app, *UNIT, "601")]
    assert f"承诺出资 {fen_b // 100:,}.{fen_b % 100:02d} 元" in html
    response, _data = confirm(client, page)
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "方案b：有机房电梯（担架梯）" in receipt
    with app.app_context():
        choice = db.session.scalar(
            select(BallotChoice).where(BallotChoice.item_id == b1).order_by(BallotChoice.id.desc())
        )
        assert (choice.choice, choice.option_id, choice.pledge) == ("agree", ids["b"], True)
    # The pledge follows the option: the ledger line is the share under b.
    hid = household_id(app, *UNIT, "601")
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        line = next(ln for ln in ledger(plan, household_id=hid) if ln.item.id == b1)
        assert (line.share_fen, line.pledged) == (fen_b, True)
    # The ballot page shows b as chosen; change to a: the latest counts, and so does its share.
    assert f'value="option-{ids["b"]}" checked' in client.get("/vote").get_data(as_text=True)
    page = choose(client, _all_agree(app, pid, f"option-{ids['a']}"), pledges=[b1])
    assert confirm(client, page)[0].status_code == 303
    fen_a = stored_shares(app, ids["a"])[household_id(app, *UNIT, "601")]
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        line = next(ln for ln in ledger(plan, household_id=hid) if ln.item.id == b1)
        assert line.share_fen == fen_a != fen_b
    assert len(ballots(app, pid)) == 2


def test_oppose_on_an_item_with_options_marks_no_option(app, factory, example):  # noqa: F811
    cid, pid = example(plan_file=OPTIONS_FILE)
    b1 = _b1(app, pid)
    client = signed_in(app, factory, cid, (*UNIT, "301"))
    page = choose(client, _all_agree(app, pid, "oppose"))
    assert confirm(client, page)[0].status_code == 303
    with app.app_context():
        choice = db.session.scalar(select(BallotChoice).where(BallotChoice.item_id == b1))
        assert (choice.choice, choice.option_id) == ("oppose", None)
    hid = household_id(app, *UNIT, "301")
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        assert not [ln for ln in ledger(plan, household_id=hid) if ln.item.id == b1]


def test_agree_without_an_option_or_a_foreign_option_is_refused(app, factory, example):  # noqa: F811
    cid, pid = example(plan_file=OPTIONS_FILE)
    client = signed_in(app, factory, cid, (*UNIT, "301"))
    with app.app_context():
        a1 = db.session.scalar(select(Item.id).where(Item.plan_id == pid, Item.key == "A1"))
    for value in ("agree", f"option-{option_ids(app, pid)['a'] + 999}"):
        picks = _all_agree(app, pid, value)
        data = {"csrf_token": token(client), "submission_key": f"k-{value}"}
        data.update({f"item-{i}": c for i, c in picks.items()})
        response = client.post("/vote/confirm", data=data)
        assert response.status_code == 400
        assert "同意时请选择一个方案" in response.get_data(as_text=True)
    # An option on an item that has none is refused as well.
    picks = _all_agree(app, pid, "agree")
    picks[a1] = f"option-{option_ids(app, pid)['a']}"
    picks[_b1(app, pid)] = f"option-{option_ids(app, pid)['a']}"
    data = {"csrf_token": token(client), "submission_key": "k-x"}
    data.update({f"item-{i}": c for i, c in picks.items()})
    assert client.post("/vote/confirm", data=data).status_code == 400
    assert ballots(app, pid) == []


def test_assisted_ballot_with_an_option(app, factory, example):  # noqa: F811
    from tests.conftest import sign_in_staff

    cid, pid = example(plan_file=OPTIONS_FILE)
    ids, b1 = option_ids(app, pid), _b1(app, pid)
    factory.user("worker1", role="worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "worker1")
    hid = household_id(app, *UNIT, "501")
    url = f"/c/{cid}/plans/{pid}/assisted?household={hid}"
    html = client.get(url).get_data(as_text=True)
    assert f'value="option-{ids["c"]}"' in html and "该户约出" in html
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        url,
        data={
            "csrf_token": csrf,
            f"item-{b1}": f"option-{ids['c']}",
            "authorised_by": "本人",
            "witness": "李四",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        ballot = db.session.scalar(select(Ballot).where(Ballot.channel == "assisted"))
        choice = next(c for c in ballot.choices if c.item_id == b1)
        assert (choice.choice, choice.option_id) == ("agree", ids["c"])
