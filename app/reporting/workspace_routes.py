"""The workspace's “Lưu tất cả”: one request for every changed row, answered row by row.

The page sends the rows as typed (JSON, with the CSRF header); the answer is the HTML of each sent
row, re-rendered from the database when saved, or with the officer's text and the reason next to
the fields when refused, plus the counters, so the script swaps each row in place.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2_fragments import render_block
from pydantic import BaseModel, Field

from app.accounts.dependencies import WebUser
from app.accounts.request_state import request_identity
from app.clock import ClockDep
from app.db import SessionDep
from app.names import names_of
from app.reporting import save_all, workspace_pages
from app.routes import Routes
from app.templating import templates

router = Routes(include_in_schema=False)
_TEMPLATE = "reporting/workspace.html"


class TypedRows(BaseModel):
    """Rows as their forms hold them: text fields keyed by the form's names."""

    tasks: list[dict[str, str]] = Field(default_factory=list, max_length=save_all.MAX_ROWS)
    readings: list[dict[str, str]] = Field(default_factory=list, max_length=save_all.MAX_ROWS)


def _block(request: Request, name: str, context: dict[str, Any]) -> str:
    identity = request_identity(request)
    if identity is None:
        raise RuntimeError("a workspace block outside the protected page router")
    return render_block(
        templates.env,
        _TEMPLATE,
        name,
        request=request,
        identity=identity,
        csrf_token=identity.csrf_token,
        names=names_of(request),
        **context,
    )


@router.post("/units/{unit}/periods/{period}/save-all", response_class=HTMLResponse)
def save_all_rows(
    request: Request,
    unit: str,
    period: str,
    body: TypedRows,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> HTMLResponse:
    tasks = [
        workspace_pages.task_input(
            unit, period, str(t.get("code", "")), {k: str(v) for k, v in t.items()}
        )
        for t in body.tasks
    ]
    readings = [
        workspace_pages.reading_input(
            unit, period, str(r.get("indicator", "")), {k: str(v) for k, v in r.items()}
        )
        for r in body.readings
    ]
    result = save_all.save_rows(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        unit=unit,
        period=period,
        tasks=tasks,
        readings=readings,
    )
    ws = workspace_pages.page_workspace(identity, db_session, clock, unit, period)
    tasks_by_code = {row.task.code: row for row in ws.tasks}
    kpis_by_key = {
        save_all.reading_key(r.indicator.code, r.domain.code if r.domain else None): r
        for r in ws.indicators
    }
    typed_rows = [*body.tasks, *body.readings]
    context = workspace_pages.page_context(ws, identity, clock)
    html: list[str] = []
    for outcome, typed in zip(result.rows, typed_rows, strict=True):
        row: Any = (
            tasks_by_code.get(outcome.key)
            if outcome.kind == "task"
            else kpis_by_key.get(outcome.key)
        )
        if row is None:
            continue  # not a row of this page: nothing to show it on
        edit = None
        if not outcome.ok:
            shown = set(typed) - {"version", "domain", "code", "indicator"}
            edit = workspace_pages.edit_state(
                row.dom_id,
                {k: str(v) for k, v in typed.items()},
                outcome.errors,
                outcome.message,
                shown,
                outcome.status == save_all.RowStatus.CONFLICT,
            )
        block = "task_row" if outcome.kind == "task" else "kpi_row"
        html.append(_block(request, block, {**context, "row": row, "edit": edit, "oob": False}))
    counters = render_block(
        templates.env,
        "reporting/_counters.html",
        "counters",
        ws=ws,
    )
    response = HTMLResponse("".join(html) + counters)
    response.headers["X-Partrack-Saved"] = str(result.saved)
    response.headers["X-Partrack-Failed"] = str(result.failed)
    return response
