"""The paper ballots file (docs/formats.md): one keying, row/column errors, all or nothing."""

import json
import os

from sqlalchemy import func, select

from app.extensions import db
from app.paper.models import PaperEntry
from app.voting.models import Ballot
from tests.conftest import DATA, post_form, sign_in_staff
from tests.plans.conftest import example  # noqa: F401

EXAMPLE = os.path.join(DATA, "paper-ballots-example.csv")


def _import(app, pid, path, username):
    return app.test_cli_runner().invoke(
        args=["ballots", "import", str(pid), str(path), "--by", username]
    )


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_example_file_is_one_keying_and_a_second_confirms_it(app, factory, example):  # noqa: F811
    cid, pid = example(phase="voting")
    factory.user("w1", "worker", communities=[cid])
    factory.user("w2", "worker", communities=[cid])
    first = _import(app, pid, EXAMPLE, "w1")
    assert first.exit_code == 0, first.output
    assert "entered 20 paper ballots: 0 confirmed, 20 waiting" in first.output
    assert _count(app, Ballot) == 0
    same = _import(app, pid, EXAMPLE, "w1")
    assert same.exit_code == 1 and "第 2 行" in same.output and "另一位工作人员" in same.output
    second = _import(app, pid, EXAMPLE, "w2")
    assert second.exit_code == 0, second.output
    assert "20 confirmed" in second.output
    assert _count(app, Ballot, Ballot.channel == "paper") == 20
    assert _count(app, PaperEntry, PaperEntry.status == "confirmed") == 40
    result = app.test_cli_runner().invoke(args=["tally", str(pid), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["ballots"]["by_channel"]["paper"] == 20


def test_errors_name_row_and_column_and_nothing_is_entered(app, factory, example, tmp_path):  # noqa: F811
    cid, pid = example(phase="voting")
    factory.user("w1", "worker", communities=[cid])
    with open(EXAMPLE, encoding="utf-8-sig") as fh:
        rows = fh.read().splitlines()
    rows[2] = rows[2].replace("反对", "好的", 1)  # row 3: A1
    rows[4] = "1号楼,1单元,999,,同意,,,,"  # row 5: no such household
    rows[6] = "1号楼,1单元,302,,反对,同意,同意,反对,"  # row 7: B1 (elevator) is not in its scope
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(rows), encoding="utf-8")
    result = _import(app, pid, bad, "w1")
    assert result.exit_code == 1
    assert "第 3 行，“A1”列：“好的”无法识别" in result.output
    assert "第 5 行：花名册中没有 1号楼1单元999" in result.output
    assert "第 7 行，“B1”列：该户不在此项目的表决范围内" in result.output
    assert _count(app, PaperEntry) == 0


def test_only_entering_staff_of_the_community_may_import(app, factory, example):  # noqa: F811
    cid, pid = example(phase="voting")
    factory.user("c1", "committee", communities=[cid])
    result = _import(app, pid, EXAMPLE, "c1")
    assert result.exit_code == 1 and "may not enter" in result.output
    assert _count(app, PaperEntry) == 0


def test_upload_page_takes_the_file_as_my_keying(app, factory, example):  # noqa: F811
    cid, pid = example(phase="voting")
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    url = f"/c/{cid}/plans/{pid}/paper/import"
    assert "您本人的一次录入" in client.get(url).get_data(as_text=True)
    with open(EXAMPLE, "rb") as fh:
        response = post_form(
            client,
            url,
            {"file": (fh, "ballots.csv")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
    html = response.get_data(as_text=True)
    assert "已录入 20 张纸质票" in html and "纸质票登记表" in html
    assert _count(app, PaperEntry, PaperEntry.status == "pending") == 20
    with open(__file__, "rb") as fh:
        bad = post_form(client, url, {"file": (fh, "x.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "没有录入任何纸质票" in bad.get_data(as_text=True)
