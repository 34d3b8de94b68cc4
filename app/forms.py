"""The one web-form toolkit: what an officer typed becomes the API's input, a refusal becomes
messages next to the fields (with everything typed kept), and a success answers the browser the
way it asked (htmx: the saved block or an ``HX-Redirect``; a plain post: 303, post/redirect/get).

It is core: it knows forms, errors and templates but no domain, so every page package (admin,
reporting, …) may use it. CSRF is not here: the ``WebUser`` dependency (``app.accounts``) checks
the token of every unsafe page request before the handler runs.

Numbers are read by ``app.formatting`` whatever the path: a reading's or a task's numbers go to
the schema as typed (``number_text``), which reads them exactly as it reads a CSV cell or a JSON
string, so the messages match. Forms whose schemas take plain floats use ``parse_number_vi``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from app import formatting
from app.errors import AppError, Forbidden, translate_validation_errors
from app.periods import format_date_vi
from app.templating import is_partial_request, render

T = TypeVar("T")

_VI_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_MESSAGE = "Ngày không hợp lệ; hãy ghi theo dạng dd/mm/yyyy (ví dụ 31/12/2025)."


# --- reading what was typed ----------------------------------------------------------------------


async def read_form(
    request: Request, names: tuple[str, ...], lists: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The named fields as strings (checkbox lists as lists), absent ones as empty."""
    form = await request.form()
    out: dict[str, Any] = {n: str(form.get(n, "")) for n in names}
    for name in lists:
        out[name] = [str(v) for v in form.getlist(name)]
    return out


async def posted_in_thread(
    request: Request,
    names: tuple[str, ...],
    work: Callable[[dict[str, str]], Response],
    *,
    strip: bool = False,
) -> Response:
    """Read the named fields, then do the page's database work on a worker thread: a slow save
    must not stall every other request of this worker (the form itself is read on the loop)."""
    form = await request.form()
    typed = {n: str(form.get(n, "")) for n in names}
    if strip:
        typed = {n: v.strip() for n, v in typed.items()}
    return await run_in_threadpool(work, typed)


def number_text(text: str) -> str | None:
    """A number field as typed, for a schema whose number types read text; blank → ``None``."""
    value = text.strip()
    return value or None


def parse_number_vi(text: str) -> float | str | None:
    """``"98,5"`` → 98.5 and ``"1.234.567"`` → 1234567 for schemas that take plain floats;
    blank → ``None``. Text the parser refuses is passed on so the schema refuses it too."""
    value = text.strip()
    if not value:
        return None
    try:
        return formatting.parse_number(value)
    except formatting.NumberError:
        return value


#: What an input shows for a stored number: ``98,5``, ``1250``, ``97,78`` (no thousands dots).
format_number_input = formatting.format_input


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
    return "" if value is None else format_date_vi(value)


def blank_none(text: str) -> str | None:
    return text.strip() or None


# --- errors as messages per field ----------------------------------------------------------------


def validate(
    model: type[BaseModel], data: dict[str, Any]
) -> tuple[BaseModel | None, dict[str, str]]:
    """The parsed input, or the Vietnamese message for each field that failed."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_messages(translate_validation_errors(list(exc.errors())))


def field_messages(errors: list[Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.field.split(".")[0], error.message)
    return found


def app_error_messages(exc: AppError) -> tuple[dict[str, str], str]:
    """Field messages where the error names fields, else one message for the whole form."""
    fields = field_messages(exc.errors)
    if exc.status_code == 422 and fields:
        return fields, ""
    return {}, exc.message


def form_errors(exc: AppError) -> dict[str, str]:
    """A refusal as one errors mapping: per field, or the whole form's message under ``form``."""
    fields, message = app_error_messages(exc)
    return fields or {"form": message}


def try_write(db_session: Session, write: Callable[[], T]) -> T | AppError:
    """Run one write through its service: its result, or the refusal (the session rolled back),
    which the page draws next to the fields instead of an error page."""
    try:
        return write()
    except AppError as exc:
        db_session.rollback()
        return exc


# --- answering the browser -----------------------------------------------------------------------


def redirect_after(request: Request, target: str) -> Response:
    """After a success: htmx follows ``HX-Redirect`` (a whole new page), a plain post gets 303."""
    if is_partial_request(request):
        response = Response(status_code=200)
        response.headers["HX-Redirect"] = target
        return response
    return RedirectResponse(target, status_code=303)


def swap_or_page(
    request: Request,
    *,
    template: str,
    block: str,
    context: dict[str, Any],
    status_code: int,
    redirect: str,
    page: str,
) -> Response:
    """One form's answer: htmx swaps its ``block`` (saved, or refused with the input kept); a
    plain post is redirected back on success and draws the whole ``page`` with the error."""
    if is_partial_request(request):
        return render(request, template, context, block=block, status_code=status_code)
    if status_code < 400:
        return RedirectResponse(redirect, status_code=303)
    return render(request, page, context, status_code=status_code)


# --- the admin pages' form state -----------------------------------------------------------------


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
    together with the schema's, so the officer sees every mistake at once. A refusal of the
    person (``Forbidden``) stays an error page: an admin form never hides it in a message.
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
    oob: bool = False,
) -> Response:
    """Post/redirect/get on success (htmx gets the saved block, or a redirect for a new page);
    on failure the form's block again with status 422/409 and everything typed kept.

    ``oob``: the block also swaps the page's other parts out of band (an edit page's history),
    which only a fragment answer may do; the template reads that from ``oob``.
    """
    partial = is_partial_request(request)
    if outcome.ok and (not partial or hx_redirect):
        return redirect_after(request, redirect)
    drawn = context()
    if oob:
        drawn["oob"] = partial
    return render(request, template, drawn, block=block, status_code=outcome.status_code)
