"""Pages of rows: Flask-SQLAlchemy's pagination for selects of several columns.

``db.paginate`` returns the first column of each row only (it calls ``.scalars()``); list pages
that select a few columns from several tables, instead of whole objects, page through this.
"""

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select

from app.extensions import db


class RowPagination(SelectPagination):
    """A page whose items are rows (named tuples), with the usual pager attributes."""

    def _query_items(self) -> list:
        """The page's rows, whole."""
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())

    def _query_count(self) -> int:
        """The number of rows on all pages; a caller-given count query when it is cheaper."""
        count = self._query_args.get("count_select")
        if count is not None:
            return self._query_args["session"].scalar(count) or 0
        return super()._query_count()


def paginate_rows(
    select: Select, page: int = 1, per_page: int = 50, count: Select | None = None
) -> RowPagination:
    """A page of `select`'s rows; `count` (a select of one number) may stand in for the count."""
    return RowPagination(
        select=select,
        session=db.session(),
        page=page,
        per_page=per_page,
        error_out=False,
        count_select=count,
    )


MAX_PAGE = 100_000


def page_number(args) -> int:
    """The ?page= argument as a page number: 1 when missing or malformed, never beyond
    MAX_PAGE (a huge number would overflow the database's OFFSET)."""
    page = args.get("page", 1, type=int)
    return min(max(page or 1, 1), MAX_PAGE)
