"""The tally of items with options (方案比选) from the database, and its JSON (docs/formats.md)."""

import json
from decimal import Decimal
from fractions import Fraction

from app.rules.counting import Measure
from app.tally.document import tally_document
from app.tally.queries import tally_plan
from tests.tally.conftest import TODAY

D, F = Decimal, Fraction


def split_owner_plan(estate, option_rule=None):
    """Owner X's two flats mark A (60 m²) and B (80 m²); Y (70) A, Z (90) B, W (50) opposes;
    V (40) abstains: the hand-worked example of docs/counting.md#options."""
    plan = estate.plan()
    estate.item(plan, "E1", rule="cc278_ordinary", options=("A", "B"), option_rule=option_rule)
    estate.item(plan, "P1", rule="cc278_ordinary")  # a plain item beside it
    marks = [("X", "60", "agree:A"), ("X", "80", "agree:B"), ("Y", "70", "agree:A"),
             ("Z", "90", "agree:B"), ("W", "50", "oppose"), ("V", "40", "abstain")]  # fmt: skip
    for owner, area, mark in marks:
        estate.ballot(plan, estate.household(area, owner=owner), {"E1": mark, "P1": "agree"})
    return plan


def test_options_split_agree_with_the_items_weights(estate):
    r = tally_plan(split_owner_plan(estate), TODAY).item("E1")
    assert r.tally.agree == Measure(F(3), D("300"), 4)  # agree = sum over the options
    assert r.tally.abstain == Measure(F(1), D("40"), 1)
    assert r.options.option("A").agree == Measure(F(3, 2), D("130"), 2)
    assert r.options.option("B").agree == Measure(F(3, 2), D("170"), 2)
    assert r.passed and r.undecided and r.chosen_option is None
    assert r.options.runoff == ("A", "B")


def test_agree_without_a_valid_option_counts_as_abstention(estate):
    plan = estate.plan()
    other = estate.item(plan, "O1", options=("C", "D"))
    item = estate.item(plan, "E1", rule="cc278_ordinary", options=("A", "B"))
    h1, h2, h3 = (estate.household("50") for _ in range(3))
    estate.ballot(plan, h1, {"E1": "agree:A"})
    estate.ballot(plan, h2, {"E1": "agree"})  # no option named
    b3 = estate.ballot(plan, h3, {"E1": "agree:A"})
    b3_choice = next(c for c in item_choices(b3) if c.item_id == item.id)
    b3_choice.option_id = other.options[0].id  # another item's option
    r = tally_plan(plan, TODAY).item("E1")
    assert r.tally.agree.households == 1 and r.tally.abstain.households == 2
    assert r.options.option("A").agree.households == 1
    assert not r.passed and r.options.chosen is None  # 1 of 3 agree


def item_choices(ballot):
    """The choices of a ballot."""
    from sqlalchemy import select

    from app.extensions import db
    from app.voting.models import BallotChoice

    return db.session.scalars(select(BallotChoice).where(BallotChoice.ballot_id == ballot.id))


def test_threshold_item_fails_without_a_passing_option(estate):
    plan = estate.plan()
    estate.item(plan, "E1", rule="cc278_ordinary", options=("A", "B"), option_rule="threshold")
    for mark in ("agree:A", "agree:A", "agree:B", "agree:B"):
        estate.ballot(plan, estate.household("100"), {"E1": mark})
    r = tally_plan(plan, TODAY).item("E1")
    assert r.tally.passed and not r.passed and r.status == "not_passed"
    doc = tally_document(tally_plan(plan, TODAY))["items"][0]
    assert doc["passed"] is False and doc["decided"] is True and doc["chosen_option"] is None
    assert [o["passed"] for o in doc["options"]] == [False, False]


def test_opt_in_items_are_not_counted(estate):
    plan = estate.plan()
    estate.item(plan, "V1")
    estate.item(plan, "D1", kind="opt_in")
    estate.ballot(plan, estate.household("50"), {"V1": "agree"})
    assert [r.item.key for r in tally_plan(plan, TODAY).items] == ["V1"]


def test_tally_json_of_an_item_with_options(estate):
    plan = split_owner_plan(estate)
    doc = json.loads(json.dumps(tally_document(tally_plan(plan, TODAY))))
    e1, p1 = doc["items"]
    assert "options" not in p1 and "chosen_option" not in p1
    assert e1["option_rule"] == "plurality"
    assert e1["options"] == [
        {"key": "A", "title": "方案A",
         "agree": {"owners": 1.5, "owners_exact": "3/2", "area": 130, "households": 2}},
        {"key": "B", "title": "方案B",
         "agree": {"owners": 1.5, "owners_exact": "3/2", "area": 170, "households": 2}},
    ]  # fmt: skip
    assert e1["chosen_option"] is None and e1["decided"] is False and e1["passed"] is True
    assert e1["runoff_options"] == ["A", "B"]
    assert e1["leaders"] == {"owners": ["A", "B"], "area": ["B"]}


def test_flask_tally_json_on_a_plan_with_options(app, build):
    with build() as estate:
        plan = split_owner_plan(estate)
        pid = plan.id
    result = app.test_cli_runner().invoke(args=["tally", str(pid), "--json"])
    assert result.exit_code == 0, result.output
    e1 = json.loads(result.output)["items"][0]
    assert e1["options"][1]["agree"] == {
        "owners": 1.5,
        "owners_exact": "3/2",
        "area": 170,
        "households": 2,
    }
    assert (e1["chosen_option"], e1["decided"], e1["runoff_options"]) == (None, False, ["A", "B"])


def test_flask_tally_summary_lists_options_and_the_runoff(app, build):
    with build() as estate:
        pid = split_owner_plan(estate).id
    result = app.test_cli_runner().invoke(args=["tally", str(pid)])
    assert result.exit_code == 0, result.output
    assert "option A: agree 3/2 owners, 130.00 m², 2 households" in result.output
    assert "undecided: runoff between A, B" in result.output
