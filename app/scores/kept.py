"""Answers kept whole, found without a thread: a ward's summary as the JSON bytes sent, its
dashboard as the HTML drawn.

A dashboard is read far more often than it changes. Once its answer is kept (``cache.RESULTS``,
under the same key prefix as the computation it came from), what a request must still learn is
which plan it means and whether that plan's data changed since, in any worker. Both come from one
small statement (``data_versions.ward_plans``) on a connection of its own in autocommit mode (no
transaction to begin or roll back), so it runs on the event loop, and a request answered from
memory never waits for a worker thread. Whatever this cannot decide (a plan not found, no ward
chosen, nothing kept yet, the database locked or gone) goes the full way, on a thread, and gives
the full way's answer or error; that way then keeps its result under the key read here.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from typing import cast

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app import data_versions, tenancy
from app.actors import Actor
from app.clock import Clock
from app.plans import service as plan_service
from app.plans.models import Plan
from app.scores import cache, service
from app.scores.cache import Scope, Stamp
from app.scores.schemas import Basis
from app.templating import is_partial_request, render


@dataclass(frozen=True, slots=True)
class Body:
    """A serialised answer and its entity tag (a digest of the bytes: equal answers, equal tags)."""

    content: bytes
    etag: str

    @classmethod
    def of(cls, content: bytes) -> Body:
        return cls(content, '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"')


#: Per engine of the app, the engine whose connections serve ``locate``.
_READERS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _reader(engine: Engine) -> Engine:
    """Connections for the event loop only, in a pool of their own, in autocommit mode.

    Not the app's pool: a request waiting on the event loop holds its session's connection,
    so a loop blocked waiting for a free one from the same pool would wait for itself. The
    loop never awaits while it holds one of these, so one connection serves it; more are
    opened, never waited for, should another thread ask at the same time. An in-memory SQLite
    database exists only behind its own engine, which then serves."""
    sqlite = engine.url.get_backend_name() == "sqlite"
    if sqlite and engine.url.database in (None, "", ":memory:"):
        return engine
    found = _READERS.get(engine)
    if found is None:
        # SQLite: any thread may use it, and a writer's lock is waited for briefly (the full
        # way, on a thread, waits its usual time).
        # PostgreSQL: this runs on the event loop, so a database that does not answer must not
        # hold the worker; a slow connect or statement gives up and the full way answers.
        connect_args: dict[str, object] = (
            {"check_same_thread": False, "timeout": 0.5}
            if sqlite
            else {"connect_timeout": 2, "options": "-c statement_timeout=2000"}
        )
        found = _READERS[engine] = create_engine(
            engine.url,
            isolation_level="AUTOCOMMIT",
            pool_size=1,
            max_overflow=-1,
            connect_args=connect_args,
        )
    return found


def locate(*, db_session: Session, clock: Clock, plan: str | None) -> Scope | None:
    """The plan the request means, as stored now, from one query on the caller's thread; ``None``
    where only ``plans.service.get_plan`` can answer (outside a ward, a plan not found, a ward
    without plans) or nothing may be kept (a plan without a version)."""
    where = tenancy.scope_of(db_session)
    if where is None or where.ward_id is None or where.ward_id == tenancy.NO_WARD:
        return None
    try:
        found = data_versions.ward_plans(_reader(db_session.get_bind().engine), where.ward_id)
    except DBAPIError:  # no connection to be had: the full way says what it is
        return None
    if found is None:  # locked, or the server went away: the same
        return None
    plans, shared = found
    today = clock.today()
    by_code = {p.code: p for p in plans}
    code = plan if plan is not None else where.plan_code
    chosen: data_versions.PlanVersion | None
    if code is not None:
        chosen = by_code.get(code)
    else:
        chosen = by_code.get(where.remembered_plan) if where.remembered_plan else None
        if chosen is None:
            # The rule of the ward's current plan reads only the years and the issue date.
            chosen = cast(
                data_versions.PlanVersion | None,
                plan_service.pick_current(cast(list[Plan], plans), today),
            )
    if chosen is None or chosen.version is None or shared is None:
        return None
    structure = chosen.version if chosen.structure is None else chosen.structure
    stamp = Stamp(chosen.version, shared, structure, chosen.periods)
    return Scope(chosen.id, today, stamp, where.ward_id)


def kept(scope: Scope | None, period: str | None, *what: Hashable) -> object | None:
    """What is kept under ``scope``'s key for ``period`` and ``what``, or ``None``."""
    return cache.RESULTS.peek(scope.key_for(period, *what)) if scope is not None else None


# --- the ward's summary, as the API sends it ------------------------------------------------


def _json_key(period: str | None, basis: Basis) -> tuple[str, str | None, str]:
    return ("summary.json", service.period_key(period), basis)


def kept_summary_json(
    *, db_session: Session, actor: Actor, clock: Clock, period: str | None, plan: str | None,
    basis: Basis,
) -> Body | None:  # fmt: skip
    """The body ``ward_summary_json`` keeps, if it is kept for the plan's data as stored now:
    one query, no thread (``app/scores/kept.py``); ``None`` sends the caller the full way."""
    service.require_ward(actor)
    scope = locate(db_session=db_session, clock=clock, plan=plan)
    found = kept(scope, period, *_json_key(period, basis))
    return found if isinstance(found, Body) else None


def ward_summary_json(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    period: str | None = None,
    plan: str | None = None,
    basis: Basis = "all",
) -> Body:
    """``service.ward_summary`` as the API sends it, serialised once per data version."""
    service.require_ward(actor)
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    scope = cache.plan_scope(db_session=db_session, clock=clock, plan=plan_row)

    def compute() -> Body:
        summary = service.plan_summary(
            db_session=db_session,
            clock=clock,
            plan=plan_row,
            period=period,
            basis=basis,
            scope=scope,
        )
        return Body.of(summary.model_dump_json().encode())

    return cache.RESULTS.get(scope.key_for(period, *_json_key(period, basis)), compute)


#: Where the kept bytes go in the frame drawn per request (a comment no text can forge: text
#: is escaped).
_SLOT = "<!--partrack:kept-->"


@dataclass(frozen=True, slots=True)
class Drawn:
    """A page drawn for every reader alike (the permission to see it checked before): its
    title, its content (toolbar and body) and the body alone (what htmx swaps), encoded once,
    since a page is mostly these bytes."""

    title: str
    content: bytes
    body: bytes


def framed(request: Request, template: str, drawn: Drawn) -> HTMLResponse:
    """The page in the frame drawn for this reader (top bar, name, CSRF token), or its body
    alone for htmx. ``template`` extends the base page with ``content_html`` as its content
    and ``body_html`` as its ``body`` block."""
    slot = Markup(_SLOT)
    context = {"title": drawn.title, "content_html": slot, "body_html": slot}
    response = render(request, template, context, block="body")
    kept_bytes = drawn.body if is_partial_request(request) else drawn.content
    response.body = bytes(response.body).replace(_SLOT.encode(), kept_bytes, 1)
    response.headers["Content-Length"] = str(len(response.body))
    return response
