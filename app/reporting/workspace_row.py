"""What a saved row of a unit's workspace answers to htmx: that row, and the counters when the
save changed them.

Drawing the answer from the whole workspace (``workspace.build``) read every row's update, last
period's answers, evidence and coordination, and the monthly tasks' months, to show one row: 80 %
of a save's time (issue #17). Here the saved row is read as the page reads it, from the same
service functions, and the other rows only when the counters must be redrawn (the row was filled
for the first time: until then nothing they count has changed), and then only whether each is
empty. The number of queries does not grow with the plan (``tests/progress/test_row_save_queries``).
"""

from __future__ import annotations

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.errors import NotFound
from app.plans import service as plan_service
from app.plans.models import AssignmentRead
from app.progress import service as progress_service
from app.progress.evidence import service as evidence_service
from app.registers import links as register_links
from app.reporting import coordination
from app.reporting.workspace import (
    Head,
    IndicatorRow,
    Page,
    TaskRow,
    Workspace,
    by_area,
    head,
    indicator_rows,
    list_missing,
    on_this_page,
    page_tasks,
    progress_by_task,
    role,
    workspace_of,
)


def _page(db_session: Session, actor: Actor, h: Head, *, previous: bool) -> Page:
    return Page(db_session, actor, h.unit, h.period, h.previous if previous else None, h.regular)


def task_answer(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit_code: str,
    period: str,
    code: str,
    counters: bool,
) -> Workspace:
    """A workspace holding task ``code``'s row as the page draws it (its update, last period's,
    evidence, registers and coordination) and, with ``counters``, every other row of the page
    with its update only (what the counters count); without, the saved row alone (none when
    the task is not on this page)."""
    h = head(db_session=db_session, actor=actor, clock=clock, unit_code=unit_code, period=period)
    unit = h.unit
    page = _page(db_session, actor, h, previous=True)
    tasks, monthly_tasks = page_tasks(page) if counters else ([], [])
    task = (
        next((t for t in tasks if t.code == code), None) if counters else _one_task(page, h, code)
    )
    progress = (
        progress_by_task(db_session=db_session, actor=actor, unit=unit, period=h.period)
        if counters
        else {}
    )
    rows: list[TaskRow] = []
    if task is not None:
        if counters:
            before = progress_by_task(
                db_session=db_session, actor=actor, unit=unit, period=h.previous
            )
        else:  # the saved row alone: its two reports, not every report of the unit twice
            assert h.plan.id is not None
            found = progress_service.task_progress(
                db_session=db_session,
                actor=actor,
                plan_id=h.plan.id,
                unit=unit,
                assignment=code,
                periods=[str(p) for p in (h.period, h.previous) if p is not None],
            )
            progress = {code: found[str(h.period)]} if str(h.period) in found else {}
            last = found.get(str(h.previous)) if h.previous is not None else None
            before = {code: last} if last is not None else {}
        evidence = evidence_service.list_for_period(
            db_session=db_session, actor=actor, unit=unit.code, period=str(h.period)
        )
        registered = register_links.by_task(db_session, unit.id)
        rows.append(
            TaskRow(
                task,
                role(task, unit),
                progress.get(code),
                before.get(code),
                evidence.get(code, []),
                registered.get(code, []),
            )
        )
    if counters:
        rows = [
            rows[0] if t.code == code else TaskRow(t, role(t, unit), progress.get(t.code))
            for t in tasks
        ]
    indicators: list[IndicatorRow] = []
    if counters:
        indicators = indicator_rows(_page(db_session, actor, h, previous=False), monthly_tasks)
    ws = workspace_of(
        h, actor=actor, areas=by_area(db_session, rows), indicators=indicators, periods=[]
    )
    _coordination_of(ws, db_session, actor, rows, code)
    if counters:
        list_missing(ws)
    return ws


def _one_task(page: Page, h: Head, code: str) -> AssignmentRead | None:
    """Task ``code`` as ``page_tasks`` reads it, if the page has a row for it."""
    try:
        found = plan_service.get_assignment(db_session=page.db_session, plan=h.plan, code=code)
    except NotFound:
        return None
    if not found.active or not plan_service.applies_to(
        db_session=page.db_session, assignment=found, unit=h.unit
    ):
        return None
    task = plan_service.assignment_reads(db_session=page.db_session, plan=h.plan, rows=[found])[0]
    return task if on_this_page(page, task) else None


def _coordination_of(
    ws: Workspace, db_session: Session, actor: Actor, rows: list[TaskRow], code: str
) -> None:
    """The coordination the saved row shows: its coordinating units' answers when the unit
    leads it, the pointer to its answer when the unit coordinates it."""
    row = next((r for r in rows if r.task.code == code), None)
    if row is None:
        return
    if row.role == "lead":
        ws.coordination = coordination.for_lead(
            db_session=db_session, plan=ws.plan, unit=ws.unit, period=ws.period
        )
    elif row.role == "coordinator":
        ws.coordinating = coordination.for_coordinator(
            db_session=db_session, actor=actor, plan=ws.plan, unit=ws.unit, period=ws.period
        )


def reading_answer(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit_code: str,
    period: str,
    counters: bool,
) -> Workspace:
    """A workspace holding the indicator rows as the page draws them (with last period's
    readings) and, with ``counters``, the task rows with their update only (what the counters
    count)."""
    h = head(db_session=db_session, actor=actor, clock=clock, unit_code=unit_code, period=period)
    page = _page(db_session, actor, h, previous=True)
    tasks, monthly_tasks = page_tasks(page)
    indicators: list[IndicatorRow] = indicator_rows(page, monthly_tasks)
    rows: list[TaskRow] = []
    if counters:
        progress = progress_by_task(
            db_session=db_session, actor=actor, unit=h.unit, period=h.period
        )
        rows = [TaskRow(t, role(t, h.unit), progress.get(t.code)) for t in tasks]
    ws = workspace_of(
        h, actor=actor, areas=by_area(db_session, rows), indicators=indicators, periods=[]
    )
    if counters:
        list_missing(ws)
    return ws
