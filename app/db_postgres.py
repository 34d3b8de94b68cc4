"""What partrack does only on PostgreSQL, kept out of ``app.db`` so that a process on SQLite
never imports psycopg (8 MiB a worker, issue #17: login memory): replacing a pooled connection
the server closed, and ``insert_many``'s ``COPY`` with its answer awaited later."""

from __future__ import annotations

import contextlib
import select
import weakref
from typing import Any

import psycopg
from psycopg.pq import ConnStatus, ExecStatus
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError, IntegrityError


def replace_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Before a pooled connection is lent: one the server has closed is replaced.

    ``pool_pre_ping`` costs a round trip on every check-out, a fifth of a small request's
    database time (issue #20). A connection the server closed (a restart,
    ``pg_terminate_backend``) has its last message or end-of-file waiting on its socket, while
    an idle healthy one has nothing to read: looking at the socket costs no round trip. The pool
    replaces a connection for which this raises ``DisconnectionError``.
    """
    pgconn = dbapi_connection.pgconn
    try:
        if dbapi_connection.closed or pgconn.status != ConnStatus.OK:
            raise DisconnectionError("the connection is closed")
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except (OSError, psycopg.Error) as error:
        raise DisconnectionError(str(error)) from error
    if readable:
        raise DisconnectionError("the server closed the connection")


_PENDING_COPY = "partrack_pending_copy"
#: Engines whose connections end an overlapping COPY before anything else (``make_engine``).
WATCHED: weakref.WeakSet[Engine] = weakref.WeakSet()


def copy_rows(
    connection: Connection, statement: str, values: list[list[Any]], *, overlap: bool
) -> None:
    _finish_pending_copy(connection.info)  # one COPY at a time on a connection
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        writer = _AnswerLater(cursor) if overlap else None
        try:
            with cursor.copy(statement, writer=writer) as copy:
                for value in values:
                    copy.write_row(value)
        except psycopg.IntegrityError as error:
            raise IntegrityError(statement, None, error) from error
    if overlap:
        connection.info[_PENDING_COPY] = (statement, driver.pgconn)


class _AnswerLater(psycopg.copy.LibpqWriter):
    """Ends a COPY (all rows sent, then CopyDone) without waiting for the server's answer: the
    server checks indexes and foreign keys while this process reads the next chunk."""

    def finish(self, exc: BaseException | None = None) -> None:
        if exc is not None:
            super().finish(exc)  # aborting: the usual CopyFail and its answer
            return
        pgconn = self._pgconn
        while pgconn.put_copy_end(None) == 0:
            select.select([], [pgconn.socket], [])
        while pgconn.flush() != 0:
            select.select([], [pgconn.socket], [])


def _collect_answer(statement: str, pgconn: Any) -> None:
    """Read the server's answer to an ended COPY; its error, if any, is raised here."""
    failed = None
    while True:
        pgconn.consume_input()
        while pgconn.is_busy():
            select.select([pgconn.socket], [], [])
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            break
        if result.status != ExecStatus.COMMAND_OK and failed is None:
            failed = psycopg.errors.error_from_result(result)
    if isinstance(failed, psycopg.IntegrityError):
        raise IntegrityError(statement, None, failed) from failed
    if failed is not None:
        raise failed


def _finish_pending_copy(info: dict[Any, Any]) -> None:
    """Wait for a ``COPY`` left to the server by ``insert_many(overlap=True)``; its errors are
    raised here."""
    pending = info.pop(_PENDING_COPY, None)
    if pending is not None:
        _collect_answer(*pending)


def _abort_pending_copy(info: dict[Any, Any]) -> None:
    pending = info.pop(_PENDING_COPY, None)
    if pending is not None:
        with contextlib.suppress(Exception):  # the transaction is being thrown away anyway
            _collect_answer(*pending)


def watch_pending_copies(engine: Engine) -> None:
    """Whatever the connection does next (a query, commit, rollback, going back to the pool),
    an overlapping ``COPY`` is ended first, so nothing can run beside it or be lost."""
    WATCHED.add(engine)

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn: Connection, *_: Any) -> None:
        if _PENDING_COPY in conn.info:
            _finish_pending_copy(conn.info)

    @event.listens_for(engine, "commit")
    def _before_commit(conn: Connection) -> None:
        if _PENDING_COPY in conn.info:
            _finish_pending_copy(conn.info)

    @event.listens_for(engine, "rollback")
    def _before_rollback(conn: Connection) -> None:
        if conn.invalidated:  # the server went away: no COPY to wait for, and ``info`` would
            return  # raise instead of letting the rollback clear the invalid transaction
        _abort_pending_copy(conn.info)

    @event.listens_for(engine.pool, "reset")
    def _on_reset(_dbapi: Any, record: Any, _state: Any) -> None:
        _abort_pending_copy(record.info)
