"""Keeping every request inside one ward: the database session carries the ward, and every ORM
query made through it sees that ward's rows only.

Why a session-wide rule rather than a ``where ward_id = …`` in each query: partrack has hundreds
of queries written before there was more than one ward, and a ward's data must never leak into
another's page because one of them was missed. SQLAlchemy's documented recipe for global criteria
(``do_orm_execute`` + ``with_loader_criteria``) adds the condition to every SELECT, UPDATE and
DELETE the ORM emits, joins and relationship loads included:

- tables with a ``ward_id`` (units, plans, users, audit events, import batches) compare it;
- tables with a ``plan_id`` keep rows of the ward's plans; with a ``unit_id``, of its units;
  with a ``user_id`` (tokens, sessions, notifications), of its users.

A session with no ward set (the CLI before it picks a ward, login, the public survey) is not
filtered; the request dependencies set the ward as soon as they know the actor
(``app.accounts.dependencies``), and the city scope (``CITY``) is set only for city roles.
Core statements on ``Table`` objects (bulk inserts, COPY) bypass the rule; they only ever write
ids that were looked up through it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Table, event, false, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables
from sqlmodel import SQLModel

_WARD = "partrack.ward"
#: ``select(...).execution_options(all_wards=True)``: the rare read that must see past the ward
#: (a new user name must be free in the whole city, not only in the ward creating it).
ALL_WARDS = "all_wards"


@dataclass(frozen=True)
class Scope:
    """Whose rows a session sees: one ward's (``ward_id``), or every ward's (``ward_id=None``)."""

    ward_id: int | None
    #: The acting user: its own row and credentials stay visible to a city user inside a ward.
    user_id: int | None = None
    #: A plan named by this request (``?plan=``), by code: it must exist.
    plan_code: str | None = None
    #: The plan the user chose earlier (a cookie): used when it still exists.
    remembered_plan: str | None = None
    #: The request's day, which decides the ward's current plan when none is named.
    today: date | None = None


#: Every ward's rows: only the city pages enter it, to rank the wards.
CITY = Scope(ward_id=None)
#: A city account that has not opened a ward yet: it sees no ward's rows (never all of them
#: mixed, where every ward has a "vhxh"), and a page needing a plan asks it to choose a ward.
NO_WARD = 0


def enter(db_session: Session, scope: Scope) -> None:
    """Make every later query of this session see only the scope's rows."""
    db_session.info[_WARD] = scope


def leave(db_session: Session) -> None:
    db_session.info.pop(_WARD, None)


def scope_of(db_session: Session) -> Scope | None:
    value = db_session.info.get(_WARD)
    return value if isinstance(value, Scope) else None


def ward_of(db_session: Session) -> int | None:
    """The ward a session is inside, or ``None`` (no ward chosen yet, or the city scope)."""
    scope = scope_of(db_session)
    return scope.ward_id if scope is not None else None


@dataclass(frozen=True)
class _Owned:
    direct: tuple[type[Any], ...]
    by_plan: tuple[type[Any], ...]
    by_unit: tuple[type[Any], ...]
    by_user: tuple[type[Any], ...]
    tables: dict[str, type[Any]]
    #: The names of the tables a ward owns rows of (any of the four kinds above).
    names: frozenset[str] = frozenset()


@cache
def _owned() -> _Owned:
    """Which mapped classes belong to a ward, and through which column (read once, from the
    mappers, so a new table with a ``unit_id`` is covered without anyone remembering to).

    Every table must be known before this is read once and kept: the CLI imports its modules
    lazily, and ``partrack seed`` on a fresh database flushed its ward before the accounts'
    tables were imported (a KeyError, and a rule set missing tables had it been kept). Loaded by
    name: ``app.models`` imports this module."""
    importlib.import_module("app.models")
    classes = [mapper.class_ for mapper in SQLModel._sa_registry.mappers]
    tables = {cls.__tablename__: cls for cls in classes}
    direct, by_plan, by_unit, by_user = [], [], [], []
    for cls in classes:
        columns = cls.__table__.columns
        if "ward_id" in columns:
            direct.append(cls)
        elif "plan_id" in columns:
            by_plan.append(cls)
        elif "unit_id" in columns:
            by_unit.append(cls)
        elif "user_id" in columns:
            by_user.append(cls)
    names = frozenset(c.__tablename__ for c in (*direct, *by_plan, *by_unit, *by_user))
    return _Owned(tuple(direct), tuple(by_plan), tuple(by_unit), tuple(by_user), tables, names)


def _criteria(scope: Scope, tables: frozenset[str]) -> tuple[Any, ...]:
    return _criteria_for(scope.ward_id, scope.user_id, tables)


@lru_cache(maxsize=4096)
def _criteria_for(ward: int | None, me: int | None, tables: frozenset[str]) -> tuple[Any, ...]:
    """The criteria for the owned tables a statement names, built once per (ward, user, tables)
    and reused: the options are immutable, and two dozen of them on every statement cost more
    than the statement itself (half a millisecond a query, measured)."""
    owned = _owned()
    unit, plan, user = owned.tables["unit"], owned.tables["plan"], owned.tables["app_user"]
    ward_units = select(unit.id).where(unit.ward_id == ward).scalar_subquery()
    ward_plans = select(plan.id).where(plan.ward_id == ward).scalar_subquery()
    ward_users = select(user.id).where(user.ward_id == ward).scalar_subquery()
    options: list[Any] = []
    for cls in owned.direct:
        if cls.__tablename__ in tables:
            mine = cls.id == me if cls is user and me is not None else false()
            options.append(with_loader_criteria(cls, or_(cls.ward_id == ward, mine)))
    for cls in owned.by_plan:
        if cls.__tablename__ in tables:
            options.append(with_loader_criteria(cls, cls.plan_id.in_(ward_plans)))
    for cls in owned.by_unit:
        if cls.__tablename__ in tables:
            # A row with no unit (a survey code printed for no desk) belongs to no ward's data.
            unit_ok = or_(cls.unit_id.is_(None), cls.unit_id.in_(ward_units))
            options.append(with_loader_criteria(cls, unit_ok))
    for cls in owned.by_user:
        if cls.__tablename__ in tables:
            mine = cls.user_id == me if me is not None else false()
            options.append(with_loader_criteria(cls, or_(cls.user_id.in_(ward_users), mine)))
    return tuple(options)


def _tables_of(statement: Any) -> frozenset[str]:
    """Every table a statement names, in joins and subqueries too (``find_tables``): the
    criteria go where the ward's rows could come from, and nowhere else."""
    found = find_tables(statement, include_joins=True, include_selects=True, include_crud=True)
    return frozenset(t.name for t in found if isinstance(t, Table)) & _owned().names


@event.listens_for(Session, "do_orm_execute")
def _keep_inside_the_ward(state: ORMExecuteState) -> None:
    scope = scope_of(state.session)
    if scope is None or scope.ward_id is None:
        return
    if state.execution_options.get(ALL_WARDS):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria travel with the entities already (propagate_to_loaders)
    tables = _tables_of(state.statement)
    if tables:
        state.statement = state.statement.options(*_criteria(scope, tables))


@event.listens_for(Session, "before_flush")
def _new_rows_join_the_ward(session: Session, _context: Any, _instances: Any) -> None:
    """A unit, plan or audit record created inside a ward is that ward's, unless the code creating
    it said otherwise. Outside any ward (the CLI of a single-ward installation, tests) a unit or a
    plan joins the only ward there is; with several wards it must name one, or the database's
    NOT NULL refuses it."""
    owned = _owned()
    user = owned.tables["app_user"]
    orphans = [
        row
        for row in session.new
        if type(row) in owned.direct and not isinstance(row, user) and row.ward_id is None
    ]
    if not orphans:
        return
    ward = ward_of(session)
    if ward == NO_WARD:
        return  # a city account outside any ward: its records belong to the city
    if ward is None and scope_of(session) is None:
        ward_table = owned.tables["ward"]
        wards = session.execute(select(ward_table.id).limit(2)).scalars().all()
        ward = wards[0] if len(wards) == 1 else None
    if ward is not None:
        for row in orphans:
            row.ward_id = ward


def authorize_shared(db_session: Session, actor: Any, permission: Any) -> None:
    """Refuse a ward's account a change to what every ward shares (the scoring rules, mapping
    profiles, TTHC domains, the SIPAS questionnaire), unless its ward is the only one: in a
    one-ward installation the ward's administrator is also the city's."""
    from app.permissions import Permission, authorize, can

    authorize(actor, permission)
    if can(actor, Permission.WARDS_MANAGE):
        return
    ward_table = _owned().tables["ward"]
    wards = db_session.execute(
        select(ward_table.id).limit(2).execution_options(**{ALL_WARDS: True})
    ).all()
    if len(wards) > 1:
        from app.errors import Forbidden

        raise Forbidden(
            "Cấu hình này dùng chung cho mọi phường, xã: chỉ quản trị cấp Thành phố được thay đổi.",
            code="shared_setting",
        )
