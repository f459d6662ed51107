"""Pure rules of the works: the progress a status sets, and when an issue report is overdue.

Pure: plain values in and out; imports neither Flask nor the database.
"""

from datetime import date

DEFAULT_PROGRESS = {
    "pending": 0,
    "in_progress": 10,
    "paused": None,  # a pause keeps the progress reached
    "completed": 95,
    "rectifying": 90,
    "accepted": 100,
}
OPEN_ISSUE_STATUSES = ("reported", "assigned", "rectified")


def progress_for(status: str, current: int, typed: int | None = None) -> int:
    """The progress (0-100) after a status change: what the worker typed, else the status's
    default, else (a pause) what it was."""
    if typed is not None:
        return max(0, min(100, typed))
    default = DEFAULT_PROGRESS.get(status)
    return current if default is None else default


def is_overdue(status: str, deadline: date | None, today: date) -> bool:
    """An issue report not yet closed whose deadline has passed."""
    return status in OPEN_ISSUE_STATUSES and deadline is not None and today > deadline


def average_progress(values: list[int]) -> int | None:
    """The mean progress of several works, rounded half up to a whole percent; None for none."""
    if not values:
        return None
    total = sum(values)
    return (2 * total + len(values)) // (2 * len(values))
