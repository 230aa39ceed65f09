"""Long lists a page at a time: which page to show, and what page links need to know."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select

from ..extensions import DbSession

T = TypeVar("T")


def last_page(total: int, per_page: int) -> int:
    """The number of the last page (1 for an empty list, which still shows one page)."""
    return max(1, -(-total // per_page))


def page_to_show(requested: int, total: int, per_page: int) -> int:
    """The page asked for, kept between the first page and the last."""
    return min(max(1, requested), last_page(total, per_page))


@dataclass
class Page(Generic[T]):
    """One page of a list. ``requested`` is the page asked for, which may lie past the last
    page (``page`` is then the last one, and ``out_of_range`` says so)."""

    items: list[T]
    page: int
    per_page: int
    total: int
    requested: int

    @property
    def pages(self) -> int:
        return last_page(self.total, self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_number(self) -> int:
        """The 1-based position of the page's first item in the list (0 when there are none)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_number(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    @property
    def out_of_range(self) -> bool:
        return self.requested > self.page


def paginate(session: DbSession, query: Select, page: int, per_page: int) -> Page:
    """One page of the objects ``query`` selects, in its order (past the last page: the last)."""
    total = session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    shown = page_to_show(page, total, per_page)
    items = session.scalars(query.offset((shown - 1) * per_page).limit(per_page)).all()
    return Page(list(items), shown, per_page, total, requested=max(1, page))
