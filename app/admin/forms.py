"""What every admin form shares: the typed input kept on a mistake, errors per field, and one
way to call a service so that a refusal becomes messages instead of an error page."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.errors import AppError, Forbidden
from app.reporting.forms import field_messages, validate
from app.templating import is_partial_request, render

_VI_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_MESSAGE = "Ngày không hợp lệ; hãy ghi theo dạng dd/mm/yyyy (ví dụ 31/12/2025)."


@dataclass
class FormState:
    """One form on a page: its DOM id, what was typed (on a failed save), errors and notices."""

    id: str
    typed: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    saved: str = ""

    def value(self, name: str, default: Any = "") -> Any:
        """The officer's own input after a mistake, else the stored value."""
        if self.typed is not None and name in self.typed:
            return self.typed[name]
        return "" if default is None else default

    def error(self, name: str) -> str:
        return self.errors.get(name, "")


@dataclass
class Outcome:
    """The result of one attempted write."""

    result: Any = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    status_code: int = 200

    @property
    def ok(self) -> bool:
        return not self.errors and not self.message

    def state(self, form_id: str, typed: dict[str, Any], saved: str = "") -> FormState:
        """The form as it re-renders: the input kept on failure, a notice on success."""
        if self.ok:
            return FormState(form_id, saved=saved)
        return FormState(form_id, typed=typed, errors=self.errors, message=self.message)


async def read_form(request: Request, names: tuple[str, ...], lists: tuple[str, ...] = ()) -> dict:
    """The named fields as strings (checkbox lists as lists), absent ones as empty."""
    form = await request.form()
    out: dict[str, Any] = {n: str(form.get(n, "")) for n in names}
    for name in lists:
        out[name] = [str(v) for v in form.getlist(name)]
    return out


def parse_date_vi(text: str) -> tuple[str | None, str | None]:
    """``31/12/2025`` → ``2025-12-31``; blank → none; anything else → the Vietnamese error."""
    value = text.strip()
    if not value:
        return None, None
    found = _VI_DATE.match(value)
    try:
        if found:
            day, month, year = (int(g) for g in found.groups())
            return date(year, month, day).isoformat(), None
        if _ISO_DATE.match(value):
            return date.fromisoformat(value).isoformat(), None
    except ValueError:
        pass
    return None, DATE_MESSAGE


def date_input(value: date | None) -> str:
    """A stored date as the input shows it: dd/mm/yyyy."""
    return "" if value is None else f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def blank_none(text: str) -> str | None:
    return text.strip() or None


def _messages(exc: AppError) -> tuple[dict[str, str], str]:
    """Field messages next to their fields; the whole message too unless a field says it all."""
    fields = field_messages(exc.errors)
    visible = {k: v for k, v in fields.items() if k not in {"version", "base_version"}}
    if visible and exc.status_code in {409, 422}:
        return visible, "" if exc.status_code == 422 else exc.message
    return {}, exc.message


def attempt(
    db_session: Session,
    model: type[BaseModel] | None,
    data: dict[str, Any],
    call: Callable[[Any], Any],
    *,
    errors: dict[str, str] | None = None,
) -> Outcome:
    """Validate ``data`` against the API's own schema, then call the service with it.

    ``errors`` are problems found while reading the form (a date typed wrongly); they are shown
    together with the schema's, so the officer sees every mistake at once.
    """
    found = dict(errors or {})
    parsed: Any = data
    if model is not None:
        parsed, schema_errors = validate(model, data)
        found = {**schema_errors, **found}
    if found:
        return Outcome(errors=found, status_code=422)
    try:
        return Outcome(result=call(parsed))
    except Forbidden:
        db_session.rollback()
        raise
    except AppError as exc:
        db_session.rollback()
        fields, message = _messages(exc)
        return Outcome(errors=fields, message=message, status_code=exc.status_code)


def answer(
    request: Request,
    outcome: Outcome,
    *,
    template: str,
    context: Callable[[], dict[str, Any]],
    block: str,
    redirect: str,
    hx_redirect: bool = False,
) -> Response:
    """Post/redirect/get on success (htmx gets the saved block, or a redirect for a new page);
    on failure the form's block again with status 422/409 and everything typed kept."""
    partial = is_partial_request(request)
    if outcome.ok and not partial:
        return RedirectResponse(redirect, status_code=303)
    if outcome.ok and hx_redirect:
        response = Response(status_code=200)
        response.headers["HX-Redirect"] = redirect
        return response
    return render(request, template, context(), block=block, status_code=outcome.status_code)
