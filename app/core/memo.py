"""Results worked out once for a read-only stretch of work.

An archive build asks for the same plan's shares and tally many times (its files, notices and
exports). Inside ``reading_once()`` each ``once(key, compute)`` computes on the first call and
hands back the same result after; outside it every call computes afresh (a page or a write
must see the database as it is now).
"""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("read_once", default=None)


@contextmanager
def reading_once() -> Iterator[None]:
    """A stretch of work that only reads: inside it, `once` remembers what it computed."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def once(key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), only the first time for `key` inside reading_once(); every time outside."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
