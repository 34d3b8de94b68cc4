"""What still points at a row, found from the foreign keys in the metadata.

A delete that must be refused while other rows refer to its row (a unit with reports, a task with
updates) asks here instead of importing every table that might refer to it: the lower package
(units, plans) then depends on none of the domains built on it, and a table added later that
refers to the row is counted without anyone remembering to add it. The registry of tables is
``app/models.py``, which the app and the tests import before any request.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Column, func, or_, select
from sqlmodel import Session, SQLModel


def count_references(
    *,
    db_session: Session,
    table: str,
    row_id: int | None,
    only: Collection[str] | None = None,
    skip: Collection[str] = (),
) -> dict[str, int]:
    """Rows of each referring table that point at ``table``'s row ``row_id`` (tables with no
    such row are left out). A table with two columns that refer to the row (a plan's issuer and
    coordinator) counts each of its rows once."""
    columns_of: dict[str, list[Column[int]]] = {}
    for referring in SQLModel.metadata.sorted_tables:
        if (only is not None and referring.name not in only) or referring.name in skip:
            continue
        for fk in referring.foreign_keys:
            if fk.column.table.name == table and fk.column.name == "id":
                columns_of.setdefault(referring.name, []).append(fk.parent)
    counts: dict[str, int] = {}
    for name, columns in columns_of.items():
        referring_table = SQLModel.metadata.tables[name]
        query = (
            select(func.count())
            .select_from(referring_table)
            .where(or_(*(column == row_id for column in columns)))
        )
        count = int(db_session.execute(query).scalar_one())
        if count:
            counts[name] = count
    return counts
