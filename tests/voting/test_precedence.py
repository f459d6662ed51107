"""One household, one effective ballot: precedence and conflict reporting (docs/counting.md)."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.precedence import REASONS, BallotRef, ballots_differ, choose_effective_ballot

T0 = datetime(2026, 4, 12, 9, 0)


def ballot(bid, channel, minutes, **choices):
    """A ballot recorded `minutes` after T0."""
    return BallotRef(bid, channel, T0 + timedelta(minutes=minutes), choices)


ONLINE_AGREE = ballot("o1", "online", 60, A1="agree", B1="oppose")
PAPER_AGREE = ballot("p1", "paper", 0, A1="agree", B1="oppose")
PAPER_OPPOSE = ballot("p2", "paper", 0, A1="oppose", B1="oppose")
ASSISTED_LATE = ballot("s1", "assisted", 120, A1="abstain", B1="oppose")


def test_no_ballot():
    decision = choose_effective_ballot(None, [], "paper_prevails")
    assert (decision.effective, decision.conflict, decision.reason) == (None, False, "no_ballot")


def test_only_online_or_only_paper():
    decision = choose_effective_ballot(ONLINE_AGREE, [])
    assert (decision.effective, decision.conflict, decision.reason) == (
        ONLINE_AGREE,
        False,
        "online_only",
    )
    decision = choose_effective_ballot(None, [PAPER_AGREE], "online_prevails")
    assert (decision.effective, decision.reason) == (PAPER_AGREE, "paper_only")


def test_paper_ballot_supersedes_online_by_default():
    decision = choose_effective_ballot(ONLINE_AGREE, [PAPER_OPPOSE])
    assert decision.effective == PAPER_OPPOSE
    assert decision.conflict and decision.reason == "paper_prevails"
    assert decision.superseded == (ONLINE_AGREE,)


def test_online_prevails_keeps_the_online_ballot_and_reports_the_conflict():
    decision = choose_effective_ballot(ONLINE_AGREE, [PAPER_OPPOSE], "online_prevails")
    assert decision.effective == ONLINE_AGREE
    assert decision.conflict and decision.superseded == (PAPER_OPPOSE,)


def test_latest_prevails_takes_the_later_ballot_whatever_its_channel():
    # online at +60 min is later than paper at +0, earlier than assisted at +120.
    decision = choose_effective_ballot(ONLINE_AGREE, [PAPER_OPPOSE], "latest_prevails")
    assert decision.effective == ONLINE_AGREE and decision.conflict
    decision = choose_effective_ballot(ONLINE_AGREE, [ASSISTED_LATE], "latest_prevails")
    assert decision.effective == ASSISTED_LATE and decision.conflict


def test_latest_prevails_tie_goes_to_paper():
    online = ballot("o1", "online", 0, A1="agree")
    paper = ballot("p1", "paper", 0, A1="oppose")
    assert choose_effective_ballot(online, [paper], "latest_prevails").effective == paper


@pytest.mark.parametrize("policy", ["paper_prevails", "online_prevails", "latest_prevails"])
def test_identical_ballots_on_both_channels_are_no_conflict(policy):
    decision = choose_effective_ballot(ONLINE_AGREE, [PAPER_AGREE], policy)
    assert not decision.conflict
    assert decision.reason == policy
    assert len(decision.superseded) == 1


def test_several_differing_paper_ballots_are_a_conflict_and_the_latest_counts():
    decision = choose_effective_ballot(None, [ASSISTED_LATE, PAPER_AGREE], "paper_prevails")
    assert decision.effective == ASSISTED_LATE
    assert decision.conflict and decision.reason == "paper_only"
    assert decision.superseded == (PAPER_AGREE,)


def test_paper_prevails_with_several_paper_ballots_takes_the_latest_paper():
    decision = choose_effective_ballot(ONLINE_AGREE, [PAPER_AGREE, ASSISTED_LATE])
    assert decision.effective == ASSISTED_LATE
    assert decision.conflict  # the assisted ballot abstains on A1 where the others agree
    assert decision.superseded == (ONLINE_AGREE, PAPER_AGREE)


def test_blank_and_missing_are_the_same_but_blank_and_abstain_differ():
    blank = ballot("o1", "online", 0, A1="agree", B1=None)
    missing = ballot("p1", "paper", 0, A1="agree")
    abstain = ballot("p2", "paper", 0, A1="agree", B1="abstain")
    assert not ballots_differ([blank, missing])
    assert ballots_differ([blank, abstain])  # a person should look: counted alike, marked not


def test_every_reason_is_explained():
    seen = {
        choose_effective_ballot(online, paper, policy).reason
        for online in (None, ONLINE_AGREE)
        for paper in ([], [PAPER_AGREE])
        for policy in ("paper_prevails", "online_prevails", "latest_prevails")
    }
    assert seen <= set(REASONS) and len(seen) == 6


def test_wrong_channels_policies_and_choices_are_refused():
    with pytest.raises(ValueError):
        choose_effective_ballot(PAPER_AGREE, [])
    with pytest.raises(ValueError):
        choose_effective_ballot(None, [ONLINE_AGREE])
    with pytest.raises(ValueError):
        choose_effective_ballot(ONLINE_AGREE, [], "first_prevails")
    with pytest.raises(ValueError):
        choose_effective_ballot(ballot("o9", "online", 0, A1="yes"), [])


marks = st.fixed_dictionaries(
    {}, optional={key: st.sampled_from(["agree", "oppose", "abstain", None]) for key in "AB"}
)


@st.composite
def households_ballots(draw):
    """An optional online ballot and 0-3 paper/assisted ballots at random times."""
    times = st.integers(0, 5).map(lambda m: T0 + timedelta(minutes=m))
    online = draw(st.none() | st.builds(BallotRef, st.just("o"), st.just("online"), times, marks))
    paper = draw(
        st.lists(
            st.builds(
                BallotRef, st.text(min_size=1), st.sampled_from(["paper", "assisted"]), times, marks
            ),
            max_size=3,
        )
    )
    return online, paper


@given(
    households_ballots(), st.sampled_from(["paper_prevails", "online_prevails", "latest_prevails"])
)
def test_precedence_properties(case, policy):
    online, paper = case
    everything = ([online] if online else []) + paper
    decision = choose_effective_ballot(online, paper, policy)
    # nothing dropped: the effective ballot plus the superseded are exactly the inputs
    kept = ([decision.effective] if decision.effective else []) + list(decision.superseded)
    assert sorted(map(id, kept)) == sorted(map(id, everything))
    # a conflict exactly when two ballots mark some item differently
    marked = {frozenset((k, v) for k, v in b.choices.items() if v is not None) for b in everything}
    assert decision.conflict == (len(marked) > 1)
    if paper and (policy == "paper_prevails" or online is None):
        assert decision.effective.recorded_at == max(b.recorded_at for b in paper)
    if online and (policy == "online_prevails" or not paper):
        assert decision.effective is online
    if online and paper and policy == "latest_prevails":
        assert decision.effective.recorded_at == max(b.recorded_at for b in everything)
