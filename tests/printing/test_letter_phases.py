"""The household letter speaks of what residents can do in the plan's phase: proposing while
proposals are gathered, voting (and by when) while voting, neither afterwards."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.extensions import db
from app.formats.pdf import cn_date
from app.plans.models import Plan
from app.plans.phases import PHASES
from app.printing.letters import LetterData, letter_purpose, letter_steps
from tests.communities.test_codes_page import strip
from tests.conftest import sign_in_staff
from tests.printing.conftest import pdf_pages


def letter(phase: str, **dates) -> LetterData:
    return LetterData(
        community="幸福里社区",
        plan_title="幸福里改造方案",
        address="3号楼2单元301",
        owner_name="张三",
        code="ABCDE-FGHJK",
        link="https://coplan.example.cn/h/ABCDEFGHJK",
        site="https://coplan.example.cn",
        voting_opens=dates.get("voting_opens"),
        voting_closes=dates.get("voting_closes"),
        contact="",
        printed_on=date(2026, 5, 1),
        phase=phase,
        proposals_closes=dates.get("proposals_closes"),
    )


def words(d: LetterData) -> str:
    return letter_purpose(d) + "".join(letter_steps(d))


maybe_day = st.none() | st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31))


@given(
    phase=st.sampled_from(PHASES),
    voting_opens=maybe_day,
    voting_closes=maybe_day,
    proposals_closes=maybe_day,
)
def test_each_phase_speaks_only_of_its_own_action(
    phase, voting_opens, voting_closes, proposals_closes
):
    d = letter(
        phase,
        voting_opens=voting_opens,
        voting_closes=voting_closes,
        proposals_closes=proposals_closes,
    )
    text = words(d)
    steps = letter_steps(d)
    assert d.site in steps[0]  # every letter says how to sign in
    if phase == "proposals":
        assert "表决" not in text
        assert "建议" in text and "支持" in text
        if proposals_closes:
            assert cn_date(proposals_closes) in text
        else:
            assert "另行通知" in text
    elif phase == "voting":
        assert "“同意”“反对”或“弃权”" in text and "建议" not in text
        if voting_closes:
            assert cn_date(voting_closes) in text
        else:
            assert "表决时间另行通知" in text
    else:
        assert "“同意”“反对”或“弃权”" not in text and "提交" not in text
        if phase == "drafting":
            assert "草案" in text
            if voting_closes:
                assert cn_date(voting_closes) in text
        else:
            assert "表决" not in text


def test_voting_letter_gives_the_period():
    d = letter("voting", voting_opens=date(2026, 5, 1), voting_closes=date(2026, 5, 15))
    assert "表决时间：2026年5月1日 至 2026年5月15日。" in letter_steps(d)[2]


def _phase_plan(app, pid, phase):
    """Put the example plan in `phase` with dates that keep it there."""
    today = date.today()
    with app.app_context():
        plan = db.session.get(Plan, pid)
        plan.phase = phase
        plan.proposals_opens = today - timedelta(days=3)
        plan.proposals_closes = today + timedelta(days=5)
        plan.voting_opens = today + timedelta(days=20)
        plan.voting_closes = today + timedelta(days=30)
        db.session.commit()
        return plan.proposals_closes, plan.voting_closes


def _first_page(run_print, pid):
    result, pdf = run_print(
        "letters", pid, "--unit", "2单元", "--building", "3号楼", "--base-url", "https://c.example"
    )
    assert result.exit_code == 0, result.output
    return pdf_pages(pdf)[0].replace("\n", "").replace(" ", "")


@pytest.mark.slow
def test_letter_printed_while_proposals_are_gathered_asks_for_proposals(app, example, run_print):
    _cid, pid = example(phase="drafting")
    proposals_closes, _voting_closes = _phase_plan(app, pid, "proposals")
    page = _first_page(run_print, pid)
    assert "征集改造建议" in page and "支持" in page
    assert f"征集建议截止{cn_date(proposals_closes)}" in page
    assert "表决" not in page


@pytest.mark.slow
def test_letter_printed_while_voting_says_how_and_by_when(app, example, run_print):
    _cid, pid = example(phase="voting")
    with app.app_context():
        closes = db.session.get(Plan, pid).voting_closes
    page = _first_page(run_print, pid)
    assert "“同意”“反对”或“弃权”" in page and cn_date(closes) in page
    assert "征集" not in page


def test_letters_card_says_what_it_voids_and_offers_the_csv(app, factory, example):
    cid, pid = example(phase="voting")
    factory.user("w2", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w2")
    html = client.get(f"/c/{cid}/plans/{pid}/print").get_data(as_text=True)
    text = strip(html)
    assert "本小区84户中，已有0户持有有效登录码。" in text
    assert "旧信件上的，或“登录码”页下载的CSV里的）立即失效" in text
    assert f'href="/c/{cid}/codes">到“登录码”页下载 CSV</a>' in html
    assert "现在是表决阶段：信上讲怎么表决，以及表决截止日期。" in text
    factory.codes(cid)
    text = strip(client.get(f"/c/{cid}/plans/{pid}/print").get_data(as_text=True))
    assert "已有84户持有有效登录码" in text
