"""Query parameters for paginated lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

#: Far past any real list, and far inside the 64-bit integers SQLite and PostgreSQL accept for
#: ``OFFSET``: a larger value is refused as invalid instead of failing in the driver.
MAX_OFFSET = 1_000_000_000


class Paging(BaseModel):
    limit: int
    offset: int


def get_paging(
    limit: Annotated[int, Query(ge=1, le=1000, description="Rows per page (1–1000).")] = 100,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description=f"Rows to skip (at most {MAX_OFFSET}).")
    ] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(get_paging)]


def page_total(db_session: Session, query: Any, found: int, *, limit: int, offset: int) -> int:
    """The total of a paged list, counted only when the page cannot tell it.

    A page shorter than the limit ends the list (unless it is empty past the first: the offset
    may be beyond the end), so its total is the offset plus its rows. The workspace, a row save
    and the scores read their lists whole this way, and counting each again cost a statement
    per list (issue #17). Call it after reading the page."""
    if found < limit and (found > 0 or offset == 0):
        return offset + found
    return int(db_session.exec(select(func.count()).select_from(query.subquery())).one())
