"""Turning what an officer typed into API input, and errors back into messages per field.

Numbers are read by ``app.formatting`` whatever the path: a reading's or a task's numbers go to
the schema as typed (``number_text``), which reads them exactly as it reads a CSV cell or a JSON
string, so the messages match. Forms whose schemas take plain floats use ``parse_number_vi``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from app import formatting
from app.errors import AppError, translate_validation_errors


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
