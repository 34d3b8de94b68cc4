"""A row of an import file as a ``ReadingWrite``, without pydantic's work where a hand check is
enough.

``ReadingWrite.model_validate`` cost a third of a 100,000-row import: a wrap validator, a
private attribute, a before-validator per code and the control-character pass, for rows that
are almost always plain (three lower-case codes, a period, a number). ``reading_from_row``
checks such a row by hand and builds the model as ``model_construct`` would; anything it is not
sure of (a missing field, an unknown column, a link, text it would have to judge) goes through
``model_validate`` as before, so every refusal keeps its message. The hand check accepts a row
only when pydantic would, and then gives the same model: ``tests/imports/test_reading_rows.py``
compares the two on generated rows.
"""

from __future__ import annotations

import math
import re
from typing import Any

from app.kpis.models import _READING_NUMBERS, ReadingWrite, _provisional, _whole
from app.schemas import _CONTROL, CODE_PATTERN

_CODE = re.compile(CODE_PATTERN.removeprefix("^").removesuffix("$"))
_FIELDS = frozenset(ReadingWrite.model_fields)
#: Every field's default, in the model's order (the required ones are always given).
_DEFAULTS: dict[str, Any] = {
    name: None if field.is_required() else field.get_default()
    for name, field in ReadingWrite.model_fields.items()
}
_new = object.__new__
_set = object.__setattr__
_REQUIRED = ("indicator", "unit", "period")
_CODES = ("indicator", "unit", "domain", "plan")
#: The ends pydantic's ``str_strip_whitespace`` and Python's ``str.strip`` agree on.
_ASCII_SPACE = " \t\r\n"
#: A code cache stops growing here: a file naming a million distinct codes must not hold them.
MAX_CODES = 4096
#: Beyond this a number is left to pydantic (an int past a double's exact range, long digits).
_EXACT = 2**53


class _Slow(Exception):
    """The row is not plain: ``model_validate`` decides."""


def _text(value: object, limit: int) -> str:
    """Text as ``str_strip_whitespace`` leaves it, or ``_Slow``: control characters (refused,
    with pydantic's message), other whitespace at the ends, or more than ``limit`` characters."""
    if type(value) is not str or _CONTROL.search(value) is not None:
        raise _Slow
    text = value.strip(_ASCII_SPACE)
    if len(text) > limit or text != text.strip():
        raise _Slow
    return text


def _number(name: str, value: Any, texts: dict[str, str]) -> float | None:
    """``ReadingNumber`` (and ``ge=0`` for the parts), or ``_Slow`` where it would refuse."""
    if value is None:
        return None
    kind = type(value)
    if kind is float:
        number = value
    elif kind is int:
        if not -_EXACT <= value <= _EXACT:
            raise _Slow
        number = float(value)
    elif kind is str:
        try:
            read = _provisional(value)
        except Exception:  # pydantic's own message, from model_validate
            raise _Slow from None
        if type(read) is str:  # plain digits, which pydantic reads itself
            if len(read) > 15:
                raise _Slow
            number = float(read)
        elif type(read) is float:
            number = read
        else:
            raise _Slow
        if "." in value or "," in value:
            texts[name] = value
    else:
        raise _Slow
    if not math.isfinite(number) or (name != "value" and number < 0):
        raise _Slow
    return number


def _version(value: Any) -> int | None:
    if value is None:
        return None
    try:
        whole = _whole(value)
    except Exception:
        raise _Slow from None
    if type(whole) is not int or whole < 0:
        raise _Slow
    return whole


def _code(value: object, codes: dict[str, str]) -> str:
    """A code folded as ``app.schemas.Code`` folds it, each distinct text once per import."""
    if type(value) is not str:
        raise _Slow
    found = codes.get(value)
    if found is None:
        found = value.strip().lower()
        if len(found) > 64 or _CODE.fullmatch(found) is None:
            raise _Slow
        if len(codes) < MAX_CODES:
            codes[value] = found
    return found


def _folded(values: dict[str, Any], name: str, codes: dict[str, str]) -> str:
    """The code of ``values[name]``, lowered in ``values`` too (see ``reading_from_row``)."""
    value = values[name]
    code = _code(value, codes)
    if value is not code and not value.islower():
        values[name] = code
    return code


def _plain(values: dict[str, Any], codes: dict[str, str]) -> ReadingWrite:
    if not _FIELDS.issuperset(values):
        raise _Slow
    for name in _REQUIRED:
        if values.get(name) is None:
            raise _Slow
    fields: dict[str, Any] = {
        "indicator": _folded(values, "indicator", codes),
        "unit": _folded(values, "unit", codes),
        "period": _text(values["period"], 16),
    }
    texts: dict[str, str] = {}
    for name, value in values.items():
        if name in fields:
            continue
        if name in _READING_NUMBERS:
            fields[name] = _number(name, value, texts)
        elif name == "domain" or name == "evidence_url":
            if value is not None and (type(value) is not str or value.strip()):
                if name == "evidence_url":
                    raise _Slow
                fields[name] = _folded(values, name, codes)
            else:  # blank means none (``ReadingWrite._empty_is_none``)
                if name == "domain" and value is not None and not value.islower():
                    values[name] = value.strip().lower()
                fields[name] = None
        elif name == "plan":
            fields[name] = None if value is None else _folded(values, name, codes)
        elif name == "note":
            fields[name] = _text(value, 4000)
        else:  # version
            fields[name] = _version(value)
    return _built({**_DEFAULTS, **fields}, set(values), texts or None)


def _built(fields: dict[str, Any], given: set[str], texts: dict[str, str] | None) -> ReadingWrite:
    """What ``model_construct`` makes, without its per-field loop over aliases and defaults
    (two thirds of a row's cost here): the four slots pydantic reads, set directly."""
    model = _new(ReadingWrite)
    _set(model, "__dict__", fields)
    _set(model, "__pydantic_fields_set__", given)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", {"_texts": texts})
    return model


def reading_from_row(values: dict[str, Any], codes: dict[str, str]) -> ReadingWrite:
    """The row as ``ReadingWrite.model_validate`` reads it (which raises its refusals).

    Codes in any case, as the dossier feed takes them: a code that is not lower case is
    lowered in ``values`` too, so a refused row is reported with the code as it was checked.
    ``codes`` remembers each folded code for the import.
    """
    try:
        return _plain(values, codes)
    except _Slow:
        pass
    for name in _CODES:
        value = values.get(name)
        if isinstance(value, str) and not value.islower():
            values[name] = value.strip().lower()
    return ReadingWrite.model_validate(values)
