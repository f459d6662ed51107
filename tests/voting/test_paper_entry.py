"""Paper ballot entry: typed serials, keyboard marks, double keying, review, invalid ballots."""

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.paper.keying import EntryRef, Keying, enter_outcome, keyings_agree
from app.paper.models import PaperEntry, PaperSerial
from app.paper.serials import format_serial
from app.voting.models import Ballot, EffectiveBallot
from tests.conftest import post_form, sign_in_staff
from tests.plans.conftest import example, household_id  # noqa: F401

MARKS = st.sampled_from(["agree", "oppose", "abstain", None])
KEYINGS = st.builds(
    lambda a1, b2, pledge: Keying({"A1": a1, "B2": b2}, frozenset({"A1"} if pledge else ())),
    MARKS,
    MARKS,
    st.booleans(),
)


@given(KEYINGS, KEYINGS)
def test_second_keying_by_another_worker_confirms_exactly_when_it_agrees(first, second):
    earlier = [EntryRef(1, 10, "pending", first)]
    outcome = enter_outcome(True, earlier, 11, second)
    assert outcome.partner == 1
    assert outcome.status == ("confirmed" if keyings_agree(first, second) else "mismatch")
    assert enter_outcome(True, earlier, 10, second).refusal == "same_worker"
    assert enter_outcome(False, [], 10, second).status == "confirmed"
    assert enter_outcome(True, [], 10, second).status == "pending"


def test_counted_and_reviewed_ballots_refuse_more_keyings():
    k = Keying({"A1": "agree"})
    assert enter_outcome(True, [EntryRef(1, 1, "confirmed", k)], 2, k).refusal == "counted"
    assert enter_outcome(True, [EntryRef(1, 1, "mismatch", k)], 2, k).refusal == "in_review"
    assert enter_outcome(True, [EntryRef(1, 1, "superseded", k)], 1, k).status == "pending"
    # A pledge on anything but agree says nothing, so it cannot make two keyings differ.
    assert keyings_agree(Keying({"A1": "oppose"}, frozenset({"A1"})), Keying({"A1": "oppose"}))


@pytest.fixture
def paper(app, factory, example, tmp_path):  # noqa: F811
    """The example plan in voting, ballots printed for 1号楼1单元, two workers, a committee."""
    cid, pid = example(phase="voting")
    factory.user("w1", "worker", communities=[cid])
    factory.user("w2", "worker", communities=[cid])
    factory.user("c1", "committee", communities=[cid])
    result = app.test_cli_runner().invoke(
        args=[
            "print",
            "ballots",
            str(pid),
            "--building",
            "1号楼",
            "--unit",
            "1单元",
            "--out",
            str(tmp_path / "ballots.pdf"),
        ]
    )
    assert result.exit_code == 0, result.output
    hid = household_id(app, "1号楼", "1单元", "101")
    with app.app_context():
        serial = db.session.scalar(
            select(PaperSerial.serial).where(PaperSerial.household_id == hid)
        )
    return {"cid": cid, "pid": pid, "hid": hid, "serial": serial, "tmp": tmp_path}


def _client(app, username):
    client = app.test_client()
    sign_in_staff(client, username)
    return client


def _key(app, paper, username, marks: dict, pledges=()):
    """Key a ballot through the entry page; returns the response to the save."""
    client = _client(app, username)
    url = f"/c/{paper['cid']}/plans/{paper['pid']}/paper/entry"
    page = client.get(f"{url}?serial={format_serial(paper['serial']).lower()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1号楼1单元101" in html and 'name="m:A1"' in html and 'name="m:B1"' not in html
    data = {"serial": paper["serial"], **{f"m:{k}": v for k, v in marks.items()}}
    data.update({f"p:{k}": "1" for k in pledges})
    return post_form(
        client, url, data, form_page=f"{url}?serial={paper['serial']}", follow_redirects=True
    )


def _entries(app):
    with app.app_context():
        return [
            (e.status, e.ballot_id is not None)
            for e in db.session.scalars(select(PaperEntry).order_by(PaperEntry.id))
        ]


def test_double_entry_confirms_when_a_second_worker_agrees(app, paper):
    marks = {"A1": "1", "A2": "2", "B2": "3", "C1": "0"}
    first = _key(app, paper, "w1", marks, pledges=["A1"])
    assert "还需要另一位工作人员" in first.get_data(as_text=True)
    assert _entries(app) == [("pending", False)]
    with app.app_context():
        assert db.session.scalar(select(Ballot.id)) is None  # one keying never counts
    again = _key(app, paper, "w1", marks, pledges=["A1"])
    assert "须由另一位工作人员" in again.get_data(as_text=True)
    second = _key(app, paper, "w2", marks, pledges=["A1"])
    assert "已确认并计入" in second.get_data(as_text=True)
    assert _entries(app) == [("confirmed", True), ("confirmed", True)]
    with app.app_context():
        ballot = db.session.scalar(select(Ballot))
        assert ballot.channel == "paper" and ballot.household_id == paper["hid"]
        assert ballot.serial_id is not None
        choices = {c.item_id: (c.choice, c.pledge) for c in ballot.choices}
        assert sorted(choices.values(), key=str) == sorted(
            [("agree", True), ("oppose", False), ("abstain", False), (None, False)], key=str
        )
        assert db.session.scalar(select(EffectiveBallot.ballot_id)) == ballot.id
    third = _key(app, paper, "w1", marks)
    assert "已经录入并计入" in third.get_data(as_text=True)


@pytest.mark.slow
def test_a_mismatch_waits_for_the_committee_who_sees_both_entries(app, paper):
    _key(app, paper, "w1", {"A1": "1", "A2": "1", "B2": "1", "C1": "1"})
    mismatch = _key(app, paper, "w2", {"A1": "1", "A2": "2", "B2": "1", "C1": "1"})
    assert "已转给居委会" in mismatch.get_data(as_text=True)
    assert _entries(app) == [("mismatch", False), ("mismatch", False)]
    assert "正在等待" in _key(app, paper, "w2", {"A1": "1"}).get_data(as_text=True)
    # Workers may not resolve; the committee may.
    base = f"/c/{paper['cid']}/plans/{paper['pid']}/paper/review"
    assert _client(app, "w1").get(base).status_code == 403
    committee = _client(app, "c1")
    queue = committee.get(base).get_data(as_text=True)
    assert "1号楼1单元101" in queue
    case_url = f"{base}/{paper['hid']}"
    case = committee.get(case_url).get_data(as_text=True)
    assert 'class="diff"' in case and "同意" in case and "反对" in case
    resolved = post_form(
        committee,
        case_url,
        {"m:A1": "1", "m:A2": "2", "m:B2": "1", "m:C1": "1"},
        follow_redirects=True,
    )
    assert "已按核对结果计入" in resolved.get_data(as_text=True)
    assert _entries(app) == [("superseded", False), ("superseded", False), ("resolution", True)]
    with app.app_context():
        ballot = db.session.scalar(select(Ballot))
        assert sorted(c.choice for c in ballot.choices) == ["agree", "agree", "agree", "oppose"]


def test_without_double_entry_one_keying_confirms(app, paper):
    from app.plans.models import Plan

    with app.app_context():
        db.session.get(Plan, paper["pid"]).paper_double_entry = False
        db.session.commit()
    response = _key(app, paper, "w1", {"A1": "2", "A2": "", "B2": "", "C1": ""})
    assert "已确认并计入" in response.get_data(as_text=True)
    assert _entries(app) == [("confirmed", True)]


def test_an_invalid_ballot_is_recorded_with_its_reason(app, paper):
    client = _client(app, "w1")
    base = f"/c/{paper['cid']}/plans/{paper['pid']}/paper"
    form_page = f"{base}/entry?serial={paper['serial']}"
    no_reason = post_form(
        client,
        f"{base}/invalid",
        {"serial": paper["serial"], "reason": ""},
        form_page=form_page,
        follow_redirects=True,
    )
    assert "请填写票号和无效的原因" in no_reason.get_data(as_text=True)
    done = post_form(
        client,
        f"{base}/invalid",
        {"serial": paper["serial"], "reason": "未签名"},
        form_page=form_page,
        follow_redirects=True,
    )
    assert "已记为无效票" in done.get_data(as_text=True)
    with app.app_context():
        serial = db.session.scalar(select(PaperSerial).where(PaperSerial.serial == paper["serial"]))
        assert serial.invalid_reason == "未签名" and serial.returned_at is not None
    refused = _key(app, paper, "w2", {"A1": "1", "A2": "1", "B2": "1", "C1": "1"})
    assert "无效票：未签名" in refused.get_data(as_text=True)
    register = client.get(base).get_data(as_text=True)
    assert "纸质票登记表" in register


def test_typos_void_serials_and_bad_marks_are_explained(app, paper):
    client = _client(app, "w1")
    url = f"/c/{paper['cid']}/plans/{paper['pid']}/paper/entry"
    wrong = paper["serial"][:5] + ("A" if paper["serial"][5] != "A" else "B") + paper["serial"][6:]
    assert "校验码不符" in client.get(f"{url}?serial={wrong}").get_data(as_text=True)
    bad = _key(app, paper, "w1", {"A1": "5", "A2": "1", "B2": "1", "C1": "1"})
    assert "不是有效的标记" in bad.get_data(as_text=True)
    assert _entries(app) == []
    app.test_cli_runner().invoke(
        args=[
            "print",
            "ballots",
            str(paper["pid"]),
            "--building",
            "1号楼",
            "--unit",
            "1单元",
            "--out",
            str(paper["tmp"] / "reprint.pdf"),
        ]
    )
    assert "已作废" in client.get(f"{url}?serial={paper['serial']}").get_data(as_text=True)


def test_collected_ballots_are_keyed_after_the_close_until_the_result_is_published(app, paper):
    """Keying is clerical work that runs past the closing day; publication ends it."""
    from datetime import timedelta

    from app.plans.models import Plan
    from app.plans.queries import is_voting_open, local_today
    from app.tally.operations import publish_preliminary

    with app.app_context():
        plan = db.session.get(Plan, paper["pid"])
        plan.voting_opens = local_today() - timedelta(days=10)
        plan.voting_closes = local_today() - timedelta(days=1)
        db.session.commit()
        assert not is_voting_open(plan)
    marks = {"A1": "1", "A2": "2", "B2": "1", "C1": "3"}
    assert "还需要另一位工作人员" in _key(app, paper, "w1", marks).get_data(as_text=True)
    assert "已确认并计入" in _key(app, paper, "w2", marks).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Ballot.channel)) == "paper"
        publish_preliminary(db.session.get(Plan, paper["pid"]))
        db.session.commit()
    refused = _key(app, paper, "w1", {"A1": "2", "A2": "2", "B2": "2", "C1": "2"})
    assert "纸质票不能再录入" in refused.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Ballot)).all()) == 1


def test_printing_to_a_device_writes_through_it_and_never_replaces_it(app, paper):
    """`--out /dev/null` (or /dev/stdout) is written to; the device stays a device."""
    import stat

    result = app.test_cli_runner().invoke(
        args=["print", "ballots", str(paper["pid"]), "--building", "1号楼", "--out", os.devnull]
    )
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
