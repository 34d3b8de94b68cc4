"""Query parameters for paginated lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel


class Paging(BaseModel):
    limit: int
    offset: int


def get_paging(
    limit: Annotated[int, Query(ge=1, le=1000, description="Rows per page (1–1000).")] = 100,
    offset: Annotated[int, Query(ge=0, description="Rows to skip.")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(get_paging)]
