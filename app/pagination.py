"""Query parameters for paginated lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel

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
