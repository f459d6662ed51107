"""The works' pure rules: progress by status, overdue, average progress."""

import math
from datetime import date
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from app.works.rules import DEFAULT_PROGRESS, average_progress, is_overdue, progress_for


def test_a_status_sets_its_default_progress_and_a_pause_keeps_it():
    assert progress_for("in_progress", 0) == 10
    assert progress_for("completed", 40) == 95
    assert progress_for("accepted", 90) == 100
    assert progress_for("paused", 37) == 37
    assert progress_for("paused", 37, 50) == 50


@given(st.sampled_from(sorted(DEFAULT_PROGRESS)), st.integers(0, 100), st.integers(-50, 150))
def test_a_typed_progress_wins_and_stays_within_0_and_100(status, current, typed):
    assert progress_for(status, current, typed) == max(0, min(100, typed))


def test_only_open_reports_past_their_deadline_are_overdue():
    today = date(2026, 5, 10)
    assert is_overdue("assigned", date(2026, 5, 9), today)
    assert is_overdue("rectified", date(2026, 5, 9), today)
    assert not is_overdue("assigned", date(2026, 5, 10), today)  # the deadline day itself
    assert not is_overdue("closed", date(2026, 5, 1), today)
    assert not is_overdue("reported", None, today)


@given(st.lists(st.integers(0, 100), min_size=1, max_size=50))
def test_average_progress_is_the_mean_rounded_half_up(values):
    exact = Fraction(sum(values), len(values))
    assert average_progress(values) == math.floor(exact + Fraction(1, 2))


def test_average_of_nothing_is_unknown():
    assert average_progress([]) is None
    assert average_progress([45, 95, 0]) == 47
