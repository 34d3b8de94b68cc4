"""What keeps slow or numerous uploads from starving everyone else (issue 17, availability).

Three guards, used by the bulk-import API and the upload page:

* the request's database connection is handed back to the pool before the body is received, so
  a sender at one byte a second holds a socket and a coroutine, never one of the pooled
  connections (``release_connection``);
* the body must keep arriving (an idle gap) and must be complete by a deadline, else 408
  (``timed_receive``);
* one user runs at most ``max_imports_per_user`` imports at once, counted in the database so the
  cap holds across server processes (``import_slot``);
* a page's form read for its CSRF field, before any route runs, meets the same idle gap,
  deadline and size (``read_form``).

The cap is a table of numbered slots with the pair (username, slot) as primary key: taking a slot
is one INSERT in its own short transaction, and the key, not a count read before the write, is
what refuses the third one, so two workers racing on one database cannot both win the same slot
on SQLite or PostgreSQL. A process that dies mid-import leaves its row; rows older than
``import_slot_stale_seconds`` are cleared by the next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel
from starlette.datastructures import FormData

from app import bodies
from app.db import UTCDateTime, release_slot
from app.errors import AppError

Message = MutableMapping[str, Any]  # Starlette's ASGI message type
Receive = Callable[[], Awaitable[Message]]

#: Seconds a refused importer is told to wait before trying again.
RETRY_AFTER_SECONDS = 30


class ImportSlot(SQLModel, table=True):
    """One import running now, for one user; the row exists only while the import runs."""

    __tablename__ = "import_slot"

    username: str = Field(primary_key=True, max_length=64)
    slot: int = Field(primary_key=True)
    started_at: datetime = Field(sa_type=UTCDateTime)


class TooManyImports(AppError):
    """429 with ``Retry-After``: the user already runs as many imports as allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            message=f"Bạn đang có {limit} lượt nhập dữ liệu chưa xong (tối đa {limit} lượt cùng "
            f"lúc cho mỗi người dùng). Hãy đợi một lượt xong rồi gửi lại sau khoảng "
            f"{RETRY_AFTER_SECONDS} giây.",
            code="too_many_imports",
            status_code=429,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        self.limit = limit

    def to_detail(self) -> dict[str, Any]:
        return {**super().to_detail(), "limit": self.limit}


def timed_receive(
    receive: Receive, *, idle: float, deadline: float, max_bytes: int | None = None
) -> Receive:
    """The core ``bodies.timed_receive`` with the imports' own 413 past ``max_bytes``."""

    def too_large() -> Exception:
        from app.uploads.files import PayloadTooLarge  # files builds on this module

        assert max_bytes is not None
        return PayloadTooLarge(max_bytes)

    return bodies.timed_receive(
        receive, idle=idle, deadline=deadline, max_bytes=max_bytes, too_large=too_large
    )


#: What a multipart form may carry beside its file (fields, part headers, boundaries).
FORM_OVERHEAD_BYTES = 64 * 1024


@contextlib.asynccontextmanager
async def guarded_body(request: Request, *, max_bytes: int | None = None) -> AsyncIterator[None]:
    """While inside, reading the request's body (``stream()``, ``form()``) is timed as the
    settings say (and capped at ``max_bytes``); the original channel is put back afterwards."""
    settings = request.app.state.settings
    original = request._receive  # Starlette keeps the channel here
    request._receive = timed_receive(
        original,
        idle=settings.upload_idle_timeout_seconds,
        deadline=settings.upload_deadline_seconds,
        max_bytes=max_bytes,
    )
    try:
        yield
    finally:
        request._receive = original


async def read_form(request: Request) -> FormData:
    """The request's form, read under the upload limits: a page's form post that carries its
    CSRF token in a field (a plain form without the page's script) is read before the route can
    apply them, so a multipart body sent at one byte a second, or one larger than any upload may
    be, must meet the same 408 and 413 here. Starlette keeps the form, so the route that reads
    it again gets it without another read."""
    from app.uploads.files import PayloadTooLarge  # files builds on this module

    limit = request.app.state.settings.max_upload_bytes + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit - FORM_OVERHEAD_BYTES)
    async with guarded_body(request, max_bytes=limit):
        return await request.form()


def release_connection(db_session: Session) -> None:
    """End the request session's transaction so its pooled connection goes back before a slow
    body is read; the authentication done so far has committed what it writes, and the session
    takes a connection again when the import uses it. Its request slot goes back too
    (``app.db.get_session``): a slow sender must not keep others out."""
    db_session.close()
    release_slot(db_session)


def _take_slot(
    engine: Engine, username: str, *, limit: int, stale_after: int, now: datetime
) -> int:
    with Session(engine) as session:
        session.exec(
            delete(ImportSlot).where(
                ImportSlot.username == username,  # type: ignore[arg-type]
                ImportSlot.started_at < now - timedelta(seconds=stale_after),  # type: ignore[arg-type]
            )
        )
        session.commit()
    for slot in range(limit):
        with Session(engine) as session:
            session.add(ImportSlot(username=username, slot=slot, started_at=now))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
            return slot
    raise TooManyImports(limit)


def _free_slot(engine: Engine, username: str, slot: int) -> None:
    with Session(engine) as session:
        session.exec(
            delete(ImportSlot).where(
                ImportSlot.username == username,  # type: ignore[arg-type]
                ImportSlot.slot == slot,  # type: ignore[arg-type]
            )
        )
        session.commit()


@contextlib.asynccontextmanager
async def import_slot(request: Request, username: str, now: datetime) -> AsyncIterator[int]:
    """Hold one of the user's import slots for the block (429 when none is free); the short
    transactions run in the thread pool so the event loop never waits on the database."""
    from fastapi.concurrency import run_in_threadpool

    settings = request.app.state.settings
    engine: Engine = request.app.state.engine
    slot = await run_in_threadpool(
        _take_slot,
        engine,
        username,
        limit=settings.max_imports_per_user,
        stale_after=settings.import_slot_stale_seconds,
        now=now,
    )
    try:
        yield slot
    finally:
        await asyncio.shield(run_in_threadpool(_free_slot, engine, username, slot))
