"""Listing the overview's rows: sort by a column (unknown values last) and page in memory.

The rows are computed for every community in scope anyway (the per-district totals need
them all), so sorting and paging happen on the list, not in SQL.
"""

from dataclasses import dataclass

from app.district.queries import CommunityRow
from app.plans.phases import PHASES

SORTS = (
    "name",
    "turnout",
    "pledge_rate",
    "phase",
    "closes",
    "works_progress",
    "issues_overdue",
    "acceptance",
    "satisfaction",
)
# Acceptance outcomes from worst to best, so an ascending sort lists the failures first.
ACCEPTANCE_ORDER = ("failed", "conditional", "pending", "passed")


def _sort_value(row: CommunityRow, key: str):
    """The row's value for a sort key (None: unknown, always listed last)."""
    if key == "turnout":
        return row.turnout
    if key == "pledge_rate":
        return row.pledge_rate
    if key == "phase":
        return PHASES.index(row.phase) if row.phase else -1  # 未建方案 before the first phase
    if key == "closes":
        return row.phase_closes
    if key == "works_progress":
        return row.works_progress
    if key == "issues_overdue":
        return row.issues_overdue if row.works_total or row.issues_open else None
    if key == "acceptance":
        return ACCEPTANCE_ORDER.index(row.acceptance["outcome"]) if row.acceptance else None
    if key == "satisfaction":
        return row.satisfaction
    return row.name


def sort_rows(rows: list[CommunityRow], key: str, descending: bool = False) -> list[CommunityRow]:
    """Rows sorted by a key of SORTS, ties by name; rows without a value come last either way."""
    key = key if key in SORTS else "name"
    by_name = sorted(rows, key=lambda r: (r.name, r.community_id))
    known = [r for r in by_name if _sort_value(r, key) is not None]
    unknown = [r for r in by_name if _sort_value(r, key) is None]
    # sorted() is stable: equal values keep name order in both directions.
    return sorted(known, key=lambda r: _sort_value(r, key), reverse=descending) + unknown


@dataclass(frozen=True)
class ListPage:
    """One page of an in-memory list, with what the pager macro reads."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        """There is a page before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """There is a page after this one."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        """The previous page's number."""
        return self.page - 1

    @property
    def next_num(self) -> int:
        """The next page's number."""
        return self.page + 1


def page_of(rows: list, page: int, per_page: int) -> ListPage:
    """The page-th page (1-based, clamped into range) of the rows."""
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return ListPage(rows[start : start + per_page], page, per_page, len(rows))
