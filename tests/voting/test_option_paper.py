"""Options within an item (方案比选) on paper: the printed ballot's option boxes, keying an option
by its key, double entry that disagrees on the option, and the paper ballots file's option marks."""

import os
import shutil

import pytest
from sqlalchemy import select

from app.extensions import db
from app.paper.keying import (
    Keying,
    decode_keying,
    differing_items,
    encode_keying,
    file_mark,
    keyings_agree,
)
from app.paper.models import PaperEntry, PaperSerial
from app.paper.serials import format_serial
from app.voting.models import Ballot
from tests.conftest import post_form, sign_in_staff
from tests.plans.conftest import example, household_id  # noqa: F401
from tests.voting.test_option_ballot import OPTIONS_FILE, UNIT, option_ids

# ---- pure: keyings with options ----


def test_keyings_that_differ_only_in_the_option_disagree():
    a = Keying({"B1": "agree", "A1": "oppose"}, frozenset({"B1"}), {"B1": "a"})
    b = Keying({"B1": "agree", "A1": "oppose"}, frozenset({"B1"}), {"B1": "b"})
    assert not keyings_agree(a, b)
    assert differing_items(a, b) == ["B1"]
    assert keyings_agree(a, Keying({"B1": "agree", "A1": "oppose"}, frozenset({"B1"}), {"B1": "a"}))
    assert decode_keying(encode_keying(a)) == a
    assert decode_keying(encode_keying(Keying({"A1": "agree"}))) == Keying({"A1": "agree"})
    with pytest.raises(ValueError):
        Keying({"B1": "oppose"}, options={"B1": "a"})  # an option marks an agree only


def test_a_file_cell_on_an_item_with_options():
    marks = {"a": "a", "b": "b", "无机房电梯": "a"}
    assert file_mark(" A ", marks) == ("agree", "a")
    assert file_mark("无机房电梯", marks) == ("agree", "a")
    assert file_mark("反对", marks) == ("oppose", None)
    assert file_mark("", marks) == (None, None)
    for bad in ("同意", "c", "好"):  # 同意 alone does not say which option
        with pytest.raises(ValueError):
            file_mark(bad, marks)


# ---- pages and files ----


@pytest.fixture
def paper(app, factory, example, tmp_path):  # noqa: F811
    """The options example in voting, ballots printed for 3号楼2单元, two workers, a committee."""
    cid, pid = example(phase="voting", plan_file=OPTIONS_FILE)
    for name, role in (("w1", "worker"), ("w2", "worker"), ("c1", "committee")):
        factory.user(name, role, communities=[cid])
    pdf = tmp_path / "ballots.pdf"
    result = app.test_cli_runner().invoke(
        args=[
            "print",
            "ballots",
            str(pid),
            "--building",
            UNIT[0],
            "--unit",
            UNIT[1],
            "--out",
            str(pdf),
        ]
    )
    assert result.exit_code == 0, result.output
    if os.environ.get("KEEP_BALLOT_PDF"):
        shutil.copy(pdf, os.environ["KEEP_BALLOT_PDF"])
    hid = household_id(app, *UNIT, "601")
    with app.app_context():
        serial = db.session.scalar(
            select(PaperSerial.serial).where(PaperSerial.household_id == hid)
        )
    return {"cid": cid, "pid": pid, "hid": hid, "serial": serial, "pdf": pdf}


def test_the_printed_ballot_has_a_box_line_per_option_with_its_share(app, paper):
    from pypdf import PdfReader

    reader = PdfReader(str(paper["pdf"]))
    # The last household's ballot (3号楼2单元602): its two pages.
    text = "".join(page.extract_text() for page in reader.pages[-2:])
    assert "方案a：无机房电梯（标准型）" in text and "方案b：有机房电梯（担架梯）" in text
    assert "方案c：" in text
    assert "选方案" in text and "只能选一个方案" in text
    # The opt-in item is not voted: it prints apart, with a 参加/不参加 box (户内自选).
    assert "户内自选" in text and "不参加" in text


def _key(app, paper, username, marks, pledges=()):
    client = app.test_client()
    sign_in_staff(client, username)
    url = f"/c/{paper['cid']}/plans/{paper['pid']}/paper/entry"
    page = client.get(f"{url}?serial={format_serial(paper['serial'])}").get_data(as_text=True)
    assert 'name="m:B1"' in page and "同意时输入所选方案的编号" in page
    data = {"serial": paper["serial"], **{f"m:{k}": v for k, v in marks.items()}}
    data.update({f"p:{k}": "1" for k in pledges})
    return post_form(
        client, url, data, form_page=f"{url}?serial={paper['serial']}", follow_redirects=True
    )


MARKS = {"A1": "1", "B1": "a", "B2": "2", "C1": "3"}


def test_double_entry_confirms_an_option_and_refuses_a_bare_agree(app, paper):
    bare = _key(app, paper, "w1", {**MARKS, "B1": "1"})
    assert "项目 B1：“1”不是有效的标记，请输入所选方案的编号（a、b、c）" in bare.get_data(
        as_text=True
    )
    _key(app, paper, "w1", MARKS, pledges=["B1"])
    second = _key(app, paper, "w2", {**MARKS, "B1": "A"}, pledges=["B1"])
    assert "已确认并计入" in second.get_data(as_text=True)
    ids = option_ids(app, paper["pid"])
    with app.app_context():
        ballot = db.session.scalar(select(Ballot).where(Ballot.channel == "paper"))
        marked = {(c.choice, c.option_id, c.pledge) for c in ballot.choices}
        assert ("agree", ids["a"], True) in marked


def test_keyings_disagreeing_on_the_option_go_to_review(app, paper):
    _key(app, paper, "w1", MARKS)
    mismatch = _key(app, paper, "w2", {**MARKS, "B1": "b"})
    assert "已转给居委会" in mismatch.get_data(as_text=True)
    committee = app.test_client()
    sign_in_staff(committee, "c1")
    case_url = f"/c/{paper['cid']}/plans/{paper['pid']}/paper/review/{paper['hid']}"
    case = committee.get(case_url).get_data(as_text=True)
    assert "方案a" in case and "方案b" in case and 'class="diff"' in case
    # What both keyed alike is filled in; the option they disagree on is left to the committee.
    assert 'name="m:A1" value="1"' in case and 'name="m:B1" value=""' in case
    resolved = post_form(
        committee,
        case_url,
        {**{f"m:{k}": v for k, v in MARKS.items()}, "m:B1": "b"},
        follow_redirects=True,
    )
    assert "已按核对结果计入" in resolved.get_data(as_text=True)
    option_b = option_ids(app, paper["pid"])["b"]
    with app.app_context():
        ballot = db.session.scalar(select(Ballot).where(Ballot.channel == "paper"))
        b1 = next(c for c in ballot.choices if c.option_id is not None)
        assert b1.option_id == option_b
        statuses = [e.status for e in db.session.scalars(select(PaperEntry))]
        assert statuses.count("resolution") == 1


def test_the_paper_ballots_file_takes_option_keys_and_titles(app, paper, tmp_path):
    rows = [
        "楼栋,单元,房号,A1,A2,B1,B2,C1",
        "3号楼,2单元,301,同意,,a,同意,",
        "3号楼,2单元,302,反对,,有机房电梯（担架梯）,,",
        "3号楼,2单元,401,弃权,,反对,,",
        "3号楼,2单元,402,同意,,同意,,",  # 同意 alone names no option
        "3号楼,2单元,501,同意,,d,,",  # no such option
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(rows), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ballots", "import", str(paper["pid"]), str(bad), "--by", "w1"])
    assert result.exit_code == 1
    assert "第 5 行，“B1”列：“同意”无法识别，应为 a（无机房电梯（标准型））" in result.output
    assert "第 6 行，“B1”列：“d”无法识别" in result.output
    with app.app_context():
        assert db.session.scalar(select(PaperEntry.id)) is None  # nothing entered
    good = tmp_path / "good.csv"
    good.write_text("\n".join(rows[:4]), encoding="utf-8")
    for worker in ("w1", "w2"):
        result = runner.invoke(
            args=["ballots", "import", str(paper["pid"]), str(good), "--by", worker]
        )
        assert result.exit_code == 0, result.output
    ids = option_ids(app, paper["pid"])
    expected = {"301": ("agree", ids["a"]), "302": ("agree", ids["b"]), "401": ("oppose", None)}
    hids = {room: household_id(app, *UNIT, room) for room in expected}
    with app.app_context():
        for room, mark in expected.items():
            hid = hids[room]
            ballot = db.session.scalar(select(Ballot).where(Ballot.household_id == hid))
            got = {
                (c.choice, c.option_id) for c in ballot.choices if c.choice in ("agree", "oppose")
            }
            assert mark in got, (room, got)
