"""Turning what an officer typed into API input, and errors back into messages per field.

Officers type ``98,5`` and ``1.234.567``; the API takes ``98.5`` and ``1234567``. Whatever cannot
be read is passed through unchanged so the schema refuses it with its usual message.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from app.errors import AppError, translate_validation_errors

_VI_DECIMAL = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*(,\d+)?$|^[+-]?\d+(,\d+)?$")
_DOTTED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3}){2,}$")


def parse_number_vi(text: str) -> str | None:
    """``"98,5"`` → ``"98.5"``; ``"1.234.567"`` → ``"1234567"``; blank → ``None``."""
    value = text.strip().replace(" ", "").replace("%", "")
    if not value:
        return None
    if "," in value and _VI_DECIMAL.match(value):
        return value.replace(".", "").replace(",", ".")
    if _DOTTED_THOUSANDS.match(value):
        return value.replace(".", "")
    return value


def format_number_input(value: float | int | None) -> str:
    """What an input shows for a stored number: ``98,5``, ``200`` (no thousands dots: editable)."""
    if value is None:
        return ""
    text = f"{value:.6f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return text.replace(".", ",")


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
