"""Opt-in items on paper: the 参加/不参加 box on the ballot PDF and the paper ballots file's
opt-in column (参加/不参加, yes/no or blank)."""

import os
import subprocess

from sqlalchemy import select

from app.extensions import db
from app.voting.models import OptInSignup
from tests.conftest import DATA
from tests.optin.conftest import household_id, optin_plan  # noqa: F401

EXAMPLE = os.path.join(DATA, "paper-ballots-example.csv")


def test_ballot_pdf_prints_the_opt_in_box_and_price(app, optin_plan, tmp_path):  # noqa: F811
    from app.communities.models import Household
    from app.plans.models import Plan
    from app.printing.batches import prepare_ballots, render

    _cid, pid, _ids = optin_plan()
    hid = household_id(app, "3号楼", "1单元", "101")
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        batch = prepare_ballots(plan, [db.session.get(Household, hid)])
        (ballot,) = batch.pages
        kinds = [(i.key, i.kind) for i in ballot.items]
        assert kinds[-2:] == [("D1", "opt_in"), ("D2", "opt_in")]
        d1 = next(i for i in ballot.items if i.key == "D1")
        assert d1.share_fen == 130_000
        out = tmp_path / "ballot.pdf"
        render(batch, str(out))
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "户内自选" in text and "不参加" in text and "1,300.00" in text
    assert "不表决、不计票" in text
    if os.environ.get("OPTIN_RENDER_DIR"):
        os.replace(out, os.path.join(os.environ["OPTIN_RENDER_DIR"], "ballot.pdf"))


def test_paper_file_column_records_paper_signups(app, factory, optin_plan, tmp_path):  # noqa: F811
    cid, pid, ids = optin_plan()
    factory.user("w1", "worker", communities=[cid])
    with open(EXAMPLE, encoding="utf-8-sig") as fh:
        rows = fh.read().splitlines()
    header = rows[0] + ",D1,D2"
    body = [r + "," for r in rows[1:4]]  # 1号楼: only D1 in scope
    body[0] += "参加,"
    body[1] += "no,"
    body[2] += ","
    good = tmp_path / "good.csv"
    good.write_text("\n".join([header, *body]), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["ballots", "import", str(pid), str(good), "--by", "w1"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        answers = db.session.execute(
            select(OptInSignup.item_id, OptInSignup.decision, OptInSignup.channel)
        ).all()
        assert sorted(answers) == sorted(
            [(ids["D1"], "join", "paper"), (ids["D1"], "decline", "paper")]
        )
    # D2 is not in 1号楼's scope; a word that is not an answer is named by row and column.
    bad_rows = [header, rows[4] + ",也许,", rows[5] + ",,参加"]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(bad_rows), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["ballots", "import", str(pid), str(bad), "--by", "w1"]
    )
    assert result.exit_code == 1
    assert "第 2 行，“D1”列：“也许”无法识别，应为 参加、不参加 或留空" in result.output
    assert "第 3 行，“D2”列：该户不在此项目的范围内" in result.output
