"""Pledge figures come from effective ballots: agree + pledge on the item's current revision."""

import itertools
from fractions import Fraction

import pytest

from app.funding.ledger import funding_dashboard, pledges
from app.funding.operations import update_item_funding
from app.plans.workflow import close_voting
from app.voting.operations import cast_online_ballot, record_paper_ballot
from tests.funding.conftest import B1_EXPECTED, build_world

_keys = itertools.count()


@pytest.fixture
def voting(app):
    return build_world(app, voting=True)


def vote(world, label, choices, pledged=(), *, paper=False, key=None):
    """Cast one household's ballot: choices {item key: choice}, pledges on item keys."""
    household = world.household(label)
    plan = world.plan
    ids = {k: world.item(k).id for k in choices}
    choice_ids = {ids[k]: v for k, v in choices.items()}
    pledge_ids = {ids[k] for k in pledged}
    if paper:
        return record_paper_ballot(plan, household, choice_ids, pledge_ids)
    return cast_online_ballot(
        plan, household, choice_ids, pledge_ids, key or f"{label}-{id(choices)}"
    )


def figures(world, key):
    board = funding_dashboard(world.plan)
    return next(row.figures for row in board.items if row.item.key == key)


def test_pledges_follow_the_effective_ballot(app, voting, ctx):
    w = voting
    unit = "3号楼2单元"
    vote(w, unit + "302", {"A1": "agree", "B1": "agree"}, ["A1", "B1"])
    # Online pledge, then a paper ballot without one: paper prevails (the default policy).
    vote(w, unit + "602", {"A1": "agree", "B1": "agree"}, ["B1"])
    vote(w, unit + "602", {"A1": "agree", "B1": "agree"}, [], paper=True)
    # Online without a pledge, then paper with one.
    vote(w, unit + "601", {"A1": "agree", "B1": "agree"}, [])
    vote(w, unit + "601", {"A1": "agree", "B1": "agree"}, ["B1"], paper=True)
    # Opposing cannot carry a pledge; an exempt floor may pledge its share of 0.
    vote(w, unit + "401", {"A1": "abstain", "B1": "oppose"}, ["B1"])
    vote(w, unit + "101", {"A1": "agree", "B1": "agree"}, ["B1"])
    # A later online ballot replaces an earlier one: 502 withdraws its pledge.
    vote(w, unit + "502", {"A1": "agree", "B1": "agree"}, ["B1"], key="first")
    vote(w, unit + "502", {"A1": "agree", "B1": "agree"}, [], key="second")

    b1 = w.item("B1")
    pledged = {hid for item_id, hid in pledges(w.plan) if item_id == b1.id}
    assert pledged == {w.household(unit + r).id for r in ("302", "601", "101")}

    f = figures(w, "B1")
    assert f.required_fen == 45_000_000
    assert f.pledged_fen == B1_EXPECTED["302"] + B1_EXPECTED["601"] == 10_879_121
    assert f.gap_fen == 45_000_000 - 10_879_121
    # Households with a share: floors 3–6 (8); pledging among them: 302 and 601.
    assert (f.payers, f.pledged_payers) == (8, 2)
    assert f.household_rate == Fraction(2, 8)
    # By area: (80 + 60) m² of the 4 × (60 + 80) = 560 m² that pay.
    assert f.area_rate == Fraction(140, 560)
    assert f.paid_fen == 0 and f.outstanding_fen == 45_000_000

    a1 = figures(w, "A1")
    assert a1.pledged_payers == 1  # only 302 pledged A1
    assert a1.payers == 30


def test_a_revised_item_voids_its_pledges(app, voting, ctx):
    w = voting
    vote(w, "3号楼2单元302", {"A1": "agree", "B1": "agree"}, ["A1", "B1"])
    assert figures(w, "B1").pledged_fen == B1_EXPECTED["302"]
    close_voting(w.plan, "调整资金")
    b1 = w.item("B1")
    update_item_funding(
        b1,
        cost_fen=b1.cost_fen,
        sources={"government": (25_000_000, "")},
        share_method="floor",
        floor_coefficients={1: 0, 2: 0, 3: 1, 4: 1, 5: 1, 6: 1},
        reason="增加补助",
    )
    after = figures(w, "B1")
    assert after.required_fen == 40_000_000
    assert after.pledged_fen == 0 and after.pledged_payers == 0  # the choice was on revision 1
    assert figures(w, "A1").pledged_payers == 1  # other items keep their pledges


def test_before_voting_the_dashboard_shows_computed_requirements(app, world, ctx):
    board = funding_dashboard(world.plan)
    assert [row.fixed for row in board.items] == [False, False, False]
    assert board.total.required_fen == 2_000_000 + 100_000 + 45_000_000
    assert board.total.pledged_fen == 0
    assert board.cost_fen == 3_000_000 + 100_000 + 65_000_000
