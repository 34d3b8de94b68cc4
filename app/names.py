"""The names people read where the data holds codes: units, people, domains, areas, targets, tasks.

Codes stay the keys in URLs, forms, files and the API; a page shows names. Every page gets one
``Names`` for its request (``templating.render`` puts it in the context as ``names``, and page
modules reach the same one with ``names_for(db_session)``): each table
is read at most once, on first use, with one query for all its rows, so a table of 500 rows costs
one query rather than 500, and a page that shows no unit never reads the unit table.

An unknown code (a unit deleted since, an account removed) falls back to the code itself: a page
never shows an empty cell where it used to show something.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app.accounts.models import User
from app.accounts.request_state import request_identity
from app.actors import SYSTEM
from app.db import SessionDep
from app.kpis.models import Domain, Indicator
from app.periods import PeriodError, parse_period
from app.permissions import ROLE_LABELS
from app.plans.models import Area, Assignment, Plan
from app.units.models import Unit

#: What the audit trail and the records call the shell user (``partrack …`` on the server).
SYSTEM_NAME = "Hệ thống (dòng lệnh)"


class Names:
    """Lazy look-ups of one request; without a session (an error page) every code stands as is."""

    def __init__(self, db_session: Session | None) -> None:
        self._session = db_session
        self._units: dict[str, tuple[str, str]] | None = None
        self._known_units: dict[str, tuple[str, str]] = {}
        self._people: dict[str, str] | None = None
        self._domains: dict[str, str] | None = None
        self._areas: dict[str, str] | None = None
        self._indicators: dict[tuple[str, str], str] | None = None
        self._indicator_any: dict[str, str] = {}
        self._tasks: dict[str, dict[str, str]] = {}

    def detach(self) -> None:
        """No more queries: what was read stays, anything else answers with its code."""
        self._session = None

    # --- units ------------------------------------------------------------------------------

    def _unit_rows(self) -> dict[str, tuple[str, str]]:
        if self._units is None:
            self._units = {}
            if self._session is not None:
                rows = self._session.exec(select(Unit.code, Unit.short_name, Unit.name)).all()
                self._units = {code: (short or name, name) for code, short, name in rows}
        return self._units

    def know_unit(self, code: str, short_name: str, name: str) -> None:
        """A unit's names already read with the request's credentials (the top bar's unit):
        answered without reading the unit table."""
        self._known_units[code] = (short_name, name)

    def unit(self, code: str | None) -> str:
        """The short name (``VP HĐND-UBND``): tables, badges, the top bar."""
        if not code:
            return ""
        found = self._known_units.get(code) or self._unit_rows().get(code)
        return found[0] if found else code

    def unit_name(self, code: str | None) -> str:
        """The full name (``Văn phòng HĐND và UBND phường``): headings and sentences."""
        if not code:
            return ""
        found = self._known_units.get(code) or self._unit_rows().get(code)
        return found[1] if found else code

    # --- people -----------------------------------------------------------------------------

    def person(self, username: str | None) -> str:
        """The account's full name; the username when the account is gone."""
        if not username:
            return ""
        if self._people is None:
            self._people = {}
            if self._session is not None:
                rows = self._session.exec(select(User.username, User.full_name)).all()
                self._people = {name: full for name, full in rows if full}
        found = self._people.get(username)
        if found is None and username == SYSTEM.username:
            return SYSTEM_NAME
        return found or username

    def role(self, role: str | None) -> str:
        """``coordinator`` → ``Điều phối (Phòng Văn hóa - Xã hội)``."""
        return ROLE_LABELS.get(role or "", role or "")

    # --- domains and areas ------------------------------------------------------------------

    def domain(self, code: str | None) -> str:
        if not code:
            return ""
        if self._domains is None:
            self._domains = {}
            if self._session is not None:
                self._domains = dict(self._session.exec(select(Domain.code, Domain.name)).all())
        return self._domains.get(code, code)

    def area(self, code: str | None) -> str:
        if not code:
            return ""
        if self._areas is None:
            self._areas = {}
            if self._session is not None:
                self._areas = dict(self._session.exec(select(Area.code, Area.name)).all())
        return self._areas.get(code, code)

    # --- a plan's targets and tasks ---------------------------------------------------------

    def indicator(self, code: str | None, plan: str | None = None) -> str:
        """The target's name in ``plan``; without a plan, its name in the first plan that has it
        (plans loaded from one template, as the scores benchmark does, agree on it)."""
        if not code:
            return ""
        if self._indicators is None:
            self._indicators = {}
            if self._session is not None:
                rows = self._session.exec(
                    select(Plan.code, Indicator.code, Indicator.name)
                    .join(Plan, col(Plan.id) == col(Indicator.plan_id))
                    .order_by(col(Indicator.plan_id), col(Indicator.id))
                ).all()
                for plan_code, ind_code, name in rows:
                    self._indicators[(plan_code, ind_code)] = name
                    self._indicator_any.setdefault(ind_code, name)
        if plan is not None and (plan, code) in self._indicators:
            return self._indicators[(plan, code)]
        return self._indicator_any.get(code, code)

    def task(self, code: str | None, plan: str) -> str:
        """The task's text in ``plan`` ("" when unknown): shown after its plan code, which stays
        because it is how the plan itself refers to the task."""
        if not code:
            return ""
        if plan not in self._tasks:
            texts: dict[str, str] = {}
            if self._session is not None:
                texts = dict(
                    self._session.exec(
                        select(Assignment.code, Assignment.text)
                        .join(Plan, col(Plan.id) == col(Assignment.plan_id))
                        .where(Plan.code == plan)
                    ).all()
                )
            self._tasks[plan] = texts
        return self._tasks[plan].get(code, "")


def period_name(code: str) -> str:
    """``2025-10`` → ``Tháng 10/2025``; anything else as it is."""
    try:
        return parse_period(code).label_vi
    except PeriodError:
        return code


def names_for(db_session: Session) -> Names:
    """The ``Names`` of this database session: a request has one session, so every caller in it
    (the page's handler, its template, a helper in a page module) shares one set of look-ups."""
    found = db_session.info.get("names")
    if not isinstance(found, Names):
        found = Names(db_session)
        db_session.info["names"] = found
    return found


def reading_key_name(names: Names, key: str) -> str:
    """A reading's key as the audit trail and imports print it (``tthc_ontime/ttpvhcc/2025-10/
    ho-tich``, ``-`` for no domain) in words: target · unit · period · domain."""
    parts = key.split("/")
    if len(parts) != 4:
        return key
    indicator, unit, period, domain = parts
    shown = [names.indicator(indicator), names.unit(unit), period_name(period)]
    return " · ".join(shown + ([names.domain(domain)] if domain not in {"", "-"} else []))


async def attach_names(request: Request, db_session: SessionDep) -> AsyncIterator[Names]:
    """Router dependency of the pages: the request's ``Names``, on the request's own session.

    Its session is closed before an error page renders; a look-up then would open a connection
    nobody closes, so the names let go of the session here and answer from what they already
    read. The signed-in person's unit is known up front, for the top bar of that error page:
    its names came with the session's lookup (``WebIdentity.unit_names``), else they are read
    here on a worker thread. Async so that this costs no thread.
    """
    names = names_for(db_session)
    request.state.names = names
    identity = request_identity(request)
    if identity is not None and identity.actor.unit_code:
        if identity.unit_names is not None:  # read with the session (issue #20: no query)
            names.know_unit(identity.actor.unit_code, *identity.unit_names)
        else:
            await run_in_threadpool(names.unit, identity.actor.unit_code)
    try:
        yield names
    finally:
        names.detach()


def names_of(request: Request) -> Names:
    """The request's ``Names``, or one that leaves codes as they are (pages outside the app's
    routers, such as an error raised before the session was opened)."""
    found = getattr(request.state, "names", None)
    return found if isinstance(found, Names) else Names(None)


NamesDep = Annotated[Names, Depends(attach_names)]
