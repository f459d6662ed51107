"""The phase × role table, and phases moving by their dates."""

from datetime import date, timedelta

import pytest

from app.plans.phases import (
    ACTIONS,
    PHASE_ACTIONS,
    PHASES,
    Schedule,
    paper_entry_open,
    phase_allows,
    scheduled_phase,
    voting_open,
)

# The expected matrix, written out independently of PHASE_ACTIONS.
EXPECTED = {
    ("household", "propose"): {"proposals"},
    ("household", "support"): {"proposals"},
    ("household", "view_draft"): {
        "drafting",
        "voting",
        "published",
        "works",
        "acceptance",
        "evaluation",
        "closed",
    },
    ("household", "vote"): {"voting"},
    ("household", "view_result"): {"published", "works", "acceptance", "evaluation", "closed"},
    ("household", "evaluate"): {"evaluation"},
    ("household", "report_issue"): {"works", "acceptance", "evaluation"},
    ("worker", "edit_items"): {"proposals", "drafting"},
    ("worker", "enter_paper"): {"voting"},
    ("worker", "record_objection"): {"published"},
    ("committee", "review_paper"): {"voting"},
    ("committee", "edit_items"): set(),
    ("district", "vote"): set(),
    ("district", "edit_items"): set(),
    ("admin", "edit_items"): {"proposals", "drafting"},
}


@pytest.mark.parametrize(("role", "action"), sorted(EXPECTED))
def test_phase_role_matrix(role, action):
    allowed = {phase for phase in PHASES if phase_allows(role, action, phase)}
    assert allowed == EXPECTED[(role, action)]


# The whole table, written out from what each role is for (not read from PHASE_ACTIONS), so a
# changed entry fails. Residents read proposals throughout, propose and support only while
# proposals are open, read the draft once there is one, vote while voting is open and read the
# result once it is published. Workers (and admins) run the process: proposals and the plan until
# voting opens, paper ballots, deliveries and revisions while voting, objections once published.
# The committee reads, prints from the draft on, reviews paper ballots that two keyings disagree
# on and publishes. District staff take no part (they only read, through their permissions).
# A role's rows not written here are never allowed.
# After the final result residents follow the works, report problems (until evaluation ends),
# volunteer as supervisors while the works run and evaluate in evaluation; workers run the works,
# issue reports, change orders, acceptance, evaluation and the final accounts; the committee
# appoints supervisors, approves change orders, takes part in acceptance and evaluation and
# confirms the final accounts.
# Columns: proposals drafting voting published works acceptance evaluation closed
PHASE_MATRIX = {
    "resident": """
        view_proposals      x  x  x  x  x  x  x  x
        propose             x  .  .  .  .  .  .  .
        support             x  .  .  .  .  .  .  .
        view_draft          .  x  x  x  x  x  x  x
        vote                .  .  x  .  .  .  .  .
        check_receipt       .  .  x  x  x  x  x  x
        view_result         .  .  .  x  x  x  x  x
        view_works          .  .  .  .  x  x  x  x
        report_issue        .  .  .  .  x  x  x  .
        volunteer           .  .  .  .  x  .  .  .
        evaluate            .  .  .  .  .  .  x  .
    """,
    "worker": """
        view_proposals      x  x  x  x  x  x  x  x
        add_proposal        x  x  .  .  .  .  .  .
        decide_proposal     x  x  .  .  .  .  .  .
        edit_items          x  x  .  .  .  .  .  .
        edit_plan           x  x  .  .  .  .  .  .
        advance             x  x  .  x  x  x  x  .
        view_draft          .  .  x  x  x  x  x  x
        print               .  x  x  x  x  x  x  x
        enter_paper         .  .  x  .  .  .  .  .
        record_delivery     .  .  x  .  .  .  .  .
        close_voting        .  .  x  .  .  .  .  .
        revise_item         .  .  x  .  .  .  .  .
        view_tally          .  .  x  x  x  x  x  x
        publish             .  .  x  x  .  .  .  .
        record_objection    .  .  .  x  .  .  .  .
        view_works          .  .  .  .  x  x  x  x
        manage_works        .  .  .  .  x  x  .  .
        handle_issues       .  .  .  .  x  x  x  .
        change_order        .  .  .  .  x  .  .  .
        run_acceptance      .  .  .  .  .  x  .  .
        final_accounts      .  .  .  .  .  x  x  .
        run_evaluation      .  .  .  .  .  .  x  .
    """,
    "committee": """
        view_proposals      x  x  x  x  x  x  x  x
        view_draft          x  x  x  x  x  x  x  x
        print               .  x  x  x  x  x  x  x
        review_paper        .  .  x  .  .  .  .  .
        view_tally          .  .  x  x  x  x  x  x
        publish             .  .  x  x  .  .  .  .
        record_objection    .  .  .  x  .  .  .  .
        view_works          .  .  .  .  x  x  x  x
        handle_issues       .  .  .  .  x  x  x  .
        appoint_supervisor  .  .  .  .  x  x  .  .
        approve_change      .  .  .  .  x  .  .  .
        run_acceptance      .  .  .  .  .  x  .  .
        confirm_accounts    .  .  .  .  .  x  x  .
        run_evaluation      .  .  .  .  .  .  x  .
    """,
}
EXPECTED_PHASES: dict[tuple[str, str], set[str]] = {
    (table_role, action): {phase for phase, mark in zip(PHASES, marks, strict=True) if mark == "x"}
    for table_role, grid in PHASE_MATRIX.items()
    for action, *marks in (line.split() for line in grid.strip().splitlines())
}
# Account roles onto the table's: admins act as workers; district staff have no row.
TABLE_ROLE = {
    "household": "resident",
    "admin": "worker",
    "worker": "worker",
    "committee": "committee",
    "district": None,
}


def test_the_matrix_written_here_names_every_action():
    assert {action for _role, action in EXPECTED_PHASES} == ACTIONS


@pytest.mark.parametrize("role", sorted(TABLE_ROLE))
def test_whole_phase_table_for_each_account_role(role):
    """phase_allows() for every action in every phase, against the matrix written out above."""
    wrong = [
        (action, phase, allowed)
        for action in sorted(ACTIONS)
        for phase in PHASES
        if (allowed := phase_allows(role, action, phase))
        != (phase in EXPECTED_PHASES.get((TABLE_ROLE[role], action), ()))
    ]
    assert wrong == [], f"{role}: (action, phase, allowed by the app) differing from the matrix"


def test_every_phase_has_every_role():
    for phase in PHASES:
        assert set(PHASE_ACTIONS[phase]) == {"resident", "worker", "committee"}


def test_unknown_action_is_an_error():
    with pytest.raises(KeyError):
        phase_allows("worker", "fly", "voting")
    assert "vote" in ACTIONS


D = date(2026, 4, 1)


def schedule(phase="proposals", items=True, closed=False):
    return Schedule(
        phase, D + timedelta(days=10), D + timedelta(days=20), D + timedelta(days=30), closed, items
    )


def test_dates_move_phases_forward():
    assert scheduled_phase(schedule(), D) == "proposals"
    assert scheduled_phase(schedule(), D + timedelta(days=10)) == "drafting"
    assert scheduled_phase(schedule(), D + timedelta(days=20)) == "voting"
    assert scheduled_phase(schedule("published"), D + timedelta(days=20)) == "published"


def test_no_voting_without_items():
    assert scheduled_phase(schedule(items=False), D + timedelta(days=25)) == "drafting"


def test_voting_window_is_inclusive_and_closes_early():
    s = schedule("voting")
    assert not voting_open(s, D + timedelta(days=19))
    assert voting_open(s, D + timedelta(days=20))
    assert voting_open(s, D + timedelta(days=30))  # "closes" is the last day
    assert not voting_open(s, D + timedelta(days=31))
    assert not voting_open(schedule("voting", closed=True), D + timedelta(days=25))


def test_paper_keying_runs_from_the_opening_until_publication_but_not_while_paused():
    s = schedule("voting")
    assert not paper_entry_open(s, D + timedelta(days=19))
    assert paper_entry_open(s, D + timedelta(days=20))
    assert paper_entry_open(s, D + timedelta(days=31))  # the day after the close: keying goes on
    assert paper_entry_open(s, D + timedelta(days=45))
    assert not paper_entry_open(schedule("voting", closed=True), D + timedelta(days=25))
    for phase in ("proposals", "drafting", "published", "closed"):
        assert not paper_entry_open(schedule(phase), D + timedelta(days=31))


def test_the_phase_table_in_the_process_docs_is_the_one_the_code_uses():
    """docs/process.md prints the phase × role table; it must say what PHASE_ACTIONS does."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "process.md").read_text("utf-8")
    lines = doc[doc.index("| action | proposals") :].split("\n\n")[0].splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")][1:]
    assert header == list(PHASES)
    letters = {"R": "resident", "W": "worker", "C": "committee"}
    documented = {}
    for line in lines[2:]:
        action, *cells = [cell.strip() for cell in line.strip("|").split("|")]
        for phase, cell in zip(PHASES, cells, strict=True):
            documented[(action.strip("`"), phase)] = {letters[x] for x in cell.split()}
    expected = {
        (action, phase): {role for role, acts in PHASE_ACTIONS[phase].items() if action in acts}
        for action in ACTIONS
        for phase in PHASES
    }
    assert documented == expected
