"""Result notices and the tally sheet: figures per item, dates, contact, and never a name."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.conftest import sign_in_staff
from tests.printing.conftest import pdf_fonts, pdf_pages, publish_example


@pytest.fixture
def published(app, factory, example):
    """The example plan with the 20 example paper ballots keyed twice, voting over, and the
    preliminary result published."""
    return publish_example(app, factory, example)


def _notice(app, pid, kind, tmp_path, *args):
    out = tmp_path / f"{kind}.pdf"
    result = app.test_cli_runner().invoke(
        args=["print", "notice", str(pid), "--kind", kind, "--out", str(out), *args]
    )
    return result, (out.read_bytes() if out.exists() else None)


def test_preliminary_notice_gives_figures_deadline_and_contact_but_no_names(
    app, published, tmp_path
):
    from app.communities.models import Household
    from app.plans.models import Plan

    _cid, pid = published
    result, pdf = _notice(app, pid, "preliminary", tmp_path, "--contact", "社区居委会 88886666")
    assert result.exit_code == 0, result.output
    text = "".join(pdf_pages(pdf))
    flat = text.replace("\n", "").replace(" ", "")
    assert "表决结果公示" in flat
    for title in ("外墙保温及屋面防水", "楼道污水管线更换", "加装电梯", "充电棚", "老年食堂"):
        assert title in flat
    assert "参与表决20户" in flat and "纸质票20户" in flat
    assert "未通过" in flat  # 20 of 84 households cannot meet the two-thirds quorum
    assert "社区居委会88886666" in flat
    with app.app_context():
        plan = db.session.get(Plan, pid)
        deadline = plan.objections_close
        names = db.session.scalars(select(Household.owner_name)).all()
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in flat
    assert not [n for n in names if n in flat]  # no owner's name
    # No room numbers either (leaving out the year and the chain head's hex, which may hold 101).
    assert "101" not in re.sub(r"[0-9a-f]{16}", "", flat).replace("2026", "")
    assert all(f["embedded"] for f in pdf_fonts(pdf))


def test_tally_sheet_has_signature_lines_and_final_notice_waits(app, published, tmp_path):
    _cid, pid = published
    result, pdf = _notice(app, pid, "sheet", tmp_path)
    assert result.exit_code == 0, result.output
    flat = "".join(pdf_pages(pdf)).replace("\n", "").replace(" ", "")
    assert "表决计票表" in flat and "计票人（签名）" in flat and "监票人（签名）" in flat
    assert "有效表决票20户" in flat
    refused, pdf = _notice(app, pid, "final", tmp_path)
    assert refused.exit_code == 1 and pdf is None and "最终结果公布后" in refused.output


def test_notice_page_downloads_the_pdf(app, factory, published):
    cid, pid = published
    factory.user("c1", "committee", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "c1")
    page = client.get(f"/c/{cid}/plans/{pid}/print").get_data(as_text=True)
    assert "初步结果公示" in page and 'value="final" disabled' in page
    response = client.get(f"/c/{cid}/plans/{pid}/print/notice?kind=preliminary&contact=居委会")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "表决结果公示" in "".join(pdf_pages(response.data))
    early = client.get(f"/c/{cid}/plans/{pid}/print/notice?kind=final", follow_redirects=True)
    assert "最终结果公布后才能打印公告" in early.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["sheet", "preliminary"])
def test_notices_carry_the_chain_head_they_were_drawn_at(app, published, tmp_path, kind):
    from app.core.audit import chain_head

    cid, pid = published
    with app.app_context():
        head = chain_head(cid)
    result, pdf = _notice(app, pid, kind, tmp_path)
    assert result.exit_code == 0, result.output
    flat = "".join(pdf_pages(pdf)).replace("\n", "").replace(" ", "")
    assert f"记录链核验码：第{head.seq}条·{head.hash[:16]}" in flat


def test_notice_says_why_each_item_failed_spells_out_the_custom_rule_and_its_bases(
    app, factory, published, tmp_path
):
    _cid, pid = published
    result, pdf = _notice(app, pid, "preliminary", tmp_path)
    assert result.exit_code == 0, result.output
    flat = "".join(pdf_pages(pdf)).replace("\n", "").replace(" ", "")
    # 20 of 84 households: the quorum is the reason, given with what the percentage is of.
    quorum = "结果：未通过：参与表决的人数和面积未达到表决范围内全体业主的三分之二以上（按人数"
    assert quorum in flat
    # C1's custom rule, spelt out rather than "方案约定的规则" alone.
    custom = "方案约定的规则：不设参与比例要求；同意的人数须达到表决范围内全体业主的三分之二以上"
    assert custom in flat
    assert "同意的人数未达到表决范围内全体业主的三分之二以上" in flat
    assert "“参与表决”的占比是占该项目表决范围内全体业主的比例" in flat
    assert "又" not in flat  # headcounts as decimals, never 104又1/8


def test_notice_printed_from_an_english_page_stays_chinese(app, factory, published):
    cid, pid = published
    factory.user("c2", "committee", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "c2")
    response = client.get(
        f"/c/{cid}/plans/{pid}/print/notice?kind=preliminary", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    flat = "".join(pdf_pages(response.data)).replace("\n", "").replace(" ", "")
    assert "结果：未通过：参与表决的人数和面积未达到" in flat
    assert "Not passed" not in flat and "not passed" not in flat
