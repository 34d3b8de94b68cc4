"""Engine, sessions and the metadata naming convention shared by models and migrations.

The naming convention matters: Alembic can only drop or alter a constraint it can name, and SQLite
and PostgreSQL must end up with the same names so one migration serves both.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy import Date, DateTime, Table, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import class_mapper
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine
from starlette.concurrency import run_in_threadpool

from app import data_versions

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite ignores foreign keys unless asked on every connection; we rely on them for 409s."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """Build the engine for a URL, with the SQLite settings a threaded web server needs."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    from app import db_postgres  # psycopg's 8 MiB only in a process that uses PostgreSQL

    psycopg_url = database_url.startswith("postgresql+psycopg")
    engine = create_engine(database_url, echo=echo, pool_pre_ping=not psycopg_url)
    if psycopg_url:
        event.listen(engine, "checkout", db_postgres.replace_if_closed)
    if engine.dialect.name == "postgresql":
        db_postgres.watch_pending_copies(engine)
    return engine


#: Pooled connections left to what a request opens beside its own session (the login
#: throttle's writes, an import's slot): the requests' own sessions may take the rest.
SPARE_CONNECTIONS = 3


def _request_slots(request: Request, engine: Engine) -> anyio.Semaphore:
    """The app's request slots: as many as its pool lends connections, less the spare ones.

    One set per event loop: a semaphore's waiters belong to the loop they wait on, and one
    shared by two loops strands a waiter whose release came from the other (a server worker
    has one loop; tests run one per client thread, and fifteen clients at once left three
    requests waiting forever)."""
    loop = asyncio.get_running_loop()
    by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] | None
    by_loop = getattr(request.app.state, "db_slots", None)
    if by_loop is None:
        by_loop = request.app.state.db_slots = weakref.WeakKeyDictionary()
    slots = by_loop.get(loop)
    if slots is None:
        pool = engine.pool
        size = getattr(pool, "size", None)
        capacity = size() + getattr(pool, "_max_overflow", 0) if callable(size) else 15
        slots = by_loop[loop] = anyio.Semaphore(max(1, capacity - SPARE_CONNECTIONS))
    return slots


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; services decide when to commit, errors roll back.

    Async so that a request costs no worker thread for it (issue #20): a ``Session`` connects on
    first use, and one that never did (a credential answered from the cache, a page without
    queries) closes without I/O. One still in a transaction rolls back on a worker thread.

    A request takes one of the app's slots before its session, on the event loop, and gives it
    back once the session is closed (``release_slot`` may give it back earlier). A request keeps
    its connection from its first query to its session's end, across several hops to worker
    threads (a page's dependencies, its handler, the close), and each hop needs a free thread:
    under 200 people (``bench/load.py``) every thread of a worker waited in the pool for a
    connection while every connection belonged to a request waiting for a thread, and nothing
    moved until the pool's 30 s timeout (503s, answers after 60 s). With no more sessions than
    connections, a thread never waits for one, and requests beyond wait their turn in order.
    """
    engine: Engine = request.app.state.engine
    slots = _request_slots(request, engine)
    await slots.acquire()
    session = Session(engine, expire_on_commit=False)
    session.info["release_slot"] = _once(slots.release)
    try:
        yield session
    except Exception:
        await _off_loop(session, session.rollback)
        raise
    finally:
        try:
            await _off_loop(session, session.close)
        finally:
            release_slot(session)


def _once(release: Callable[[], None]) -> Callable[[], None]:
    done = False

    def once() -> None:
        nonlocal done
        if not done:
            done = True
            release()

    return once


def release_slot(session: Session) -> None:
    """Give the request's slot back early: for a request that has closed its session and will
    wait long for something else (a slow upload's body), so that it holds no slot meanwhile."""
    release = session.info.get("release_slot")
    if release is not None:
        release()


async def _off_loop(session: Session, end: Callable[[], None]) -> None:
    if session.in_transaction():
        await run_in_threadpool(end)
    else:
        end()


SessionDep = Annotated[Session, Depends(get_session)]


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware, on SQLite as on PostgreSQL.

    SQLite has no time zones and would hand back naive datetimes, which then compare wrongly with
    the aware ones the clock produces.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, typed: SQLModel sets ``__table__`` at class creation
    without declaring it, so a type checker cannot see ``Model.__table__``."""
    table = class_mapper(model).local_table
    assert isinstance(table, Table), f"{model.__name__} is not a table model"
    return table


_NOTHING = object()


def insert_many(
    db_session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    overlap: bool = False,
) -> None:
    """Insert many rows in the session's transaction at the driver's own speed.

    A Core ``executemany`` builds and type-processes a parameter dict per row, which for an
    import of a million dossiers costs more than the database's own work. Here each column's
    bind processor (the very function Core would call, ``UTCDateTime`` and JSON included) is
    looked up once, the rows become tuples, and the driver receives them whole: ``COPY … FROM
    STDIN`` on PostgreSQL, the sqlite3 module's ``executemany`` on SQLite. Every row must carry
    the keys of the first; columns left out get their server defaults. Constraint violations
    surface as SQLAlchemy's ``IntegrityError`` on both databases, as from a Core insert.

    ``overlap`` (an import's chunks) lets PostgreSQL go on storing and checking the rows while
    this process reads the next chunk: the server's answer to the ``COPY`` is awaited by the
    connection's next statement, commit or rollback (``app.db_postgres``), so a
    violation surfaces there, still before anything is committed.
    """
    if not rows:
        return
    data_versions.touch_rows(db_session, table.name, rows)
    connection = db_session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    pick = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    processors = [
        (i, proc, isinstance(table.c[name].type, Date))
        for i, name in enumerate(names)
        if (proc := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    # The same object in many rows (the import's timestamp) is processed once, and so is the
    # same day (a month of dossiers names some thirty).
    last: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(processors)
    days: list[dict[Any, Any]] = [{} for _ in processors]
    values: list[list[Any]] = []
    for row in rows:
        value = list(pick(row))
        for n, (i, proc, is_day) in enumerate(processors):
            given = value[i]
            if is_day:
                done = days[n].get(given, _NOTHING)
                if done is _NOTHING:
                    done = days[n][given] = proc(given)
            else:
                seen, done = last[n]
                if given is not seen:
                    done = proc(given)
                    last[n] = (given, done)
            value[i] = done
        values.append(value)
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in names)
    if dialect.name == "postgresql":
        from app import db_postgres

        statement = f"COPY {quote(table.name)} ({columns}) FROM STDIN"
        watched = connection.engine in db_postgres.WATCHED
        db_postgres.copy_rows(connection, statement, values, overlap=overlap and watched)
        return
    marks = ", ".join("?" for _ in names)
    connection.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})",
        [tuple(v) for v in values],
    )
