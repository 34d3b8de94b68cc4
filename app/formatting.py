"""Numbers as Vietnamese officers write them: read and written in one place.

An officer types ``1.250`` for one thousand two hundred and fifty and ``98,5`` for ninety-eight and
a half; systems send ``1250`` and ``98.5``. Python's ``float`` reads ``1.250`` as 1,25, which once
turned a failing indicator green. Every web form, CSV or JSON cell and API string goes through
``parse_number`` so the same text means the same number (or the same refusal) everywhere:

- spaces (also U+00A0, U+202F) and a trailing ``%`` are ignored, a leading ``-``/``+`` is kept;
- ``,`` is the decimal mark: ``98,5`` → 98.5;
- ``.`` followed by groups of exactly three digits separates thousands: ``1.250`` → 1250,
  ``1.234.567``, ``1.250,5`` → 1250.5; a leading group ``0`` is never a thousands group;
- any other ``.`` is a machine's decimal point: ``98.5``, ``0.125``, ``1.2345``.

Text two rules would read differently is refused with both readings, never guessed: ``12.345``
in a decimal field (unless the field's range rules one reading out), ``1,250`` or ``1.25`` where
a whole number is expected. Babel's CLDR parser knows one locale's symbols, not this two-rule
ambiguity, so the rules are written here with the standard library.

Formatting is the mirror: ``format_number`` for displays (``1.250``, ``98,5``, ``97,78``),
``format_input`` for what an ``<input>`` shows (no thousands dots, at most two decimals), and
``format_machine`` for CSV cells. Each reads back through ``parse_number`` to the shown value.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

#: Characters people put between digit groups, and tabs around a pasted cell: all ignored.
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009\t")
_SIGNS = {"-": -1, "+": 1, "\u2212": -1}
#: Longest text read as a number: longer ones are pasted rows, not numbers.
_MAX_LENGTH = 40
#: Decimals shown when a caller does not fix them ("as needed"): ratios read 97,78, not 97,7778.
SHOWN_DECIMALS = 2

_LEAD_GROUP = re.compile(r"[1-9][0-9]{0,2}")
_DOT_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+")
_VI_DECIMAL = re.compile(r"([1-9][0-9]{0,2}(?:\.[0-9]{3})+|[0-9]+),([0-9]+)")
_ENGLISH = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_POINT = re.compile(r"([0-9]+)([.,])([0-9]+)")

EMPTY = "empty"
NOT_A_NUMBER = "not_a_number"
AMBIGUOUS = "ambiguous_number"
NOT_WHOLE = "not_whole"
OUT_OF_RANGE = "out_of_range"


class NumberError(ValueError):
    """Text that is not one number: a stable ``code`` for machines, a Vietnamese ``message``.

    ``readings`` holds the values the text could mean, when it could mean any (an out-of-range
    value keeps its reading so a caller may refuse it with its own wording instead).
    """

    def __init__(self, code: str, message: str, readings: tuple[float, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.readings = readings


# --- reading -------------------------------------------------------------------------------------


@lru_cache(maxsize=16_384)
def parse_number(
    text: str,
    *,
    whole: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    """The one number ``text`` means in a field of this kind, or a ``NumberError`` saying why not.

    ``whole`` fields (counts) read ``1.250`` as 1250 without doubt; decimal fields use
    ``minimum``/``maximum`` to rule a reading out (``12.345`` in a 0–100 field is 12,345).
    Answers are remembered (refusals are not): an import repeats the same few texts on many
    rows, and a file of 100,000 readings spent a fifth of its time here before.
    """
    shown = text.strip()
    body = shown.translate(_SPACES)
    if body.endswith("%"):
        body = body[:-1]
    if not body:
        raise NumberError(EMPTY, "Chưa nhập số.")
    sign = _SIGNS.get(body[0])
    if sign is not None:
        body = body[1:]
    else:
        sign = 1
    if body.isascii() and body.isdigit():  # the common case, in C
        return check_number(
            sign * float(body), whole=whole, minimum=minimum, maximum=maximum, shown=shown
        )
    if len(body) > _MAX_LENGTH or not body.isascii():
        raise _not_a_number(shown, whole=whole)
    readings = _readings(body, shown, whole=whole)
    values = tuple(sign * r for r in readings)
    if len(values) > 1:
        inside = tuple(v for v in values if _in_range(v, minimum, maximum))
        if len(inside) == 1:
            values = inside
        elif not inside:
            raise _out_of_range(shown, minimum, maximum, values)
        else:
            raise _ambiguous(shown, body, sign)
    return check_number(values[0], whole=whole, minimum=minimum, maximum=maximum, shown=shown)


def parse_optional(
    text: str | None,
    *,
    whole: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float | None:
    """Like ``parse_number``, but a blank field means "not given" (``None``)."""
    if text is None or not text.strip():
        return None
    return parse_number(text, whole=whole, minimum=minimum, maximum=maximum)


def check_number(
    value: float,
    *,
    whole: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    shown: str | None = None,
) -> float:
    """A number already given as one (JSON ``1.5``) meets the same rules as typed text."""
    if not math.isfinite(value):
        raise NumberError(NOT_A_NUMBER, "Không chấp nhận NaN hoặc vô cực.")
    if whole and not float(value).is_integer():
        label = shown if shown is not None else format_number(value)
        raise NumberError(NOT_WHOLE, f"Phải là số nguyên (nhận được “{label}”).", (value,))
    if (minimum is not None or maximum is not None) and not _in_range(value, minimum, maximum):
        label = shown if shown is not None else format_number(value)
        raise _out_of_range(label, minimum, maximum, (value,))
    return float(value)


def _readings(body: str, shown: str, *, whole: bool) -> tuple[float, ...]:
    """Every value ``body`` (unsigned, no spaces) could mean under the rules; two when they
    disagree. Shapes no rule reads raise ``not_a_number`` with the nearest correct writing."""
    if "," in body and "." in body:
        found = _VI_DECIMAL.fullmatch(body)
        if found is not None and "." in found.group(1):
            return (float(found.group(1).replace(".", "") + "." + found.group(2)),)
        raise _not_a_number(shown, _english_hint(body), whole=whole)
    if body.count(",") > 1:
        raise _not_a_number(shown, _english_hint(body), whole=whole)
    if body.count(".") > 1:
        if _DOT_GROUPED.fullmatch(body):
            return (float(body.replace(".", "")),)
        raise _not_a_number(shown, whole=whole)
    found = _POINT.fullmatch(body)
    if found is None:
        if body[:1] in {",", "."} and body[1:].isdigit():
            raise _not_a_number(
                shown, f"Thiếu chữ số trước dấu thập phân: hãy viết 0,{body[1:]}.", whole=whole
            )
        raise _not_a_number(shown, whole=whole)
    head, mark, tail = found.groups()
    decimal = float(f"{head}.{tail}")
    grouped = len(tail) == 3 and _LEAD_GROUP.fullmatch(head) is not None
    if mark == ",":
        if whole and grouped:  # 1,250: 1,25 by our rule, 1250 the English way
            return (decimal, float(head + tail))
        return (decimal,)
    if grouped:
        # 1.250: thousands by our rule; in a decimal field also a machine's 1.25
        return (float(head + tail),) if whole else (float(head + tail), decimal)
    if whole and not decimal.is_integer() and len(tail) < 3 and _LEAD_GROUP.fullmatch(head):
        return (decimal, float(head + tail.ljust(3, "0")))  # 1.25: or 1.25_ missing a digit
    return (decimal,)


def _ambiguous(shown: str, body: str, sign: int) -> NumberError:
    """Both readings, in words an officer can act on, and the two unambiguous ways to write."""
    minus = "-" if sign < 0 else ""
    found = _POINT.fullmatch(body)
    assert found is not None
    head, mark, tail = found.groups()
    as_decimal = f"{minus}{_decimal_text(head, tail)}"
    if mark == ",":
        thousands = f"{minus}{head}{tail}"
        message = (
            f"“{shown}” có hai cách hiểu: {as_decimal} (dấu phẩy là dấu thập phân) hoặc "
            f"{thousands} (dấu phẩy phân cách hàng nghìn, kiểu viết tiếng Anh). Ô này chỉ nhận "
            f"số nguyên: bạn muốn nhập số nào? Nếu là {thousands}, hãy viết {thousands} "
            f"hoặc {minus}{head}.{tail}."
        )
        readings = (sign * float(f"{head}.{tail}"), sign * float(head + tail))
    elif len(tail) == 3:
        thousands = f"{minus}{head}{tail}"
        message = (
            f"“{shown}” có hai cách hiểu: {thousands} (dấu chấm phân cách hàng nghìn) hoặc "
            f"{as_decimal} (dấu chấm là dấu thập phân). Bạn muốn nhập số nào? Hãy viết "
            f"{thousands} hoặc {as_decimal}."
        )
        readings = (sign * float(head + tail), sign * float(f"{head}.{tail}"))
    else:
        padded = f"{minus}{head}.{tail.ljust(3, '0')}"
        message = (
            f"“{shown}” có hai cách hiểu: {as_decimal} (dấu chấm là dấu thập phân, nhưng ô này "
            f"chỉ nhận số nguyên) hoặc một số hàng nghìn thiếu chữ số như {padded} (sau dấu chấm "
            f"phân cách hàng nghìn phải có đủ 3 chữ số). Bạn muốn nhập số nào? Hãy viết lại "
            f"số nguyên, ví dụ {padded}."
        )
        readings = (sign * float(f"{head}.{tail}"), sign * float(head + tail.ljust(3, "0")))
    return NumberError(AMBIGUOUS, message, readings)


def _decimal_text(head: str, tail: str) -> str:
    """``1`` and ``250`` read with a decimal mark: ``1,25`` (the value, without padding zeros)."""
    tail = tail.rstrip("0")
    return f"{head},{tail}" if tail else head


def _english_hint(body: str) -> str:
    if _ENGLISH.fullmatch(body):
        swapped = body.translate(str.maketrans(",.", ".,"))
        return (
            "Số này viết theo kiểu tiếng Anh; ở đây dấu chấm phân cách hàng nghìn, dấu phẩy là "
            f"dấu thập phân: hãy viết {swapped}."
        )
    return ""


def _not_a_number(shown: str, hint: str = "", *, whole: bool = False) -> NumberError:
    if whole:
        return NumberError(
            NOT_A_NUMBER,
            f"“{shown}” không phải là một số nguyên. " + (hint or "Hãy viết như 1250 hoặc 1.250."),
        )
    return NumberError(
        NOT_A_NUMBER,
        f"“{shown}” không phải là một số. "
        + (
            hint
            or "Hãy viết như 1.250 (dấu chấm phân cách hàng nghìn) hoặc 98,5 (dấu phẩy thập phân)."
        ),
    )


def _in_range(value: float, minimum: float | None, maximum: float | None) -> bool:
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


def _out_of_range(
    shown: str, minimum: float | None, maximum: float | None, readings: tuple[float, ...]
) -> NumberError:
    if minimum is not None and maximum is not None:
        limits = f"phải từ {format_number(minimum)} đến {format_number(maximum)}"
    elif minimum is not None:
        limits = f"phải từ {format_number(minimum)} trở lên"
    else:
        limits = f"không được lớn hơn {format_number(maximum)}"
    return NumberError(OUT_OF_RANGE, f"“{shown}” nằm ngoài khoảng cho phép: {limits}.", readings)


# --- writing -------------------------------------------------------------------------------------


def format_number(value: float | None, digits: int | None = None, *, empty: str = "—") -> str:
    """``1250`` → ``1.250``, ``98.5`` → ``98,5``, ``97.7778`` → ``97,78``.

    ``digits`` fixes the decimals (``format_number(98, 2)`` → ``98,00``); without it as many as
    needed, at most ``SHOWN_DECIMALS``.
    """
    if value is None:
        return empty
    text = f"{value:,.{SHOWN_DECIMALS if digits is None else digits}f}"
    if digits is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # -0,00 is 0,00
    return text.translate(_TO_VIETNAMESE)


_TO_VIETNAMESE = str.maketrans(",.", ".,")


def format_percent(value: float | None, digits: int | None = None, *, empty: str = "—") -> str:
    """``98.5`` → ``98,5%`` (the value is already 0–100)."""
    return empty if value is None else f"{format_number(value, digits)}%"


def format_input(value: float | None) -> str:
    """What an ``<input>`` shows for a stored number: ``1250``, ``98,5``, ``97,78``.

    No thousands dots, so the text reads back alike in whole and decimal fields; a stored
    ratio of 97,777… shows rounded (the stored value is unchanged until the officer saves).
    """
    if value is None:
        return ""
    text = f"{value:.{SHOWN_DECIMALS}f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", ",")


def format_machine(value: float | None) -> str:
    """A number for a CSV cell a program reads: ``1250``, ``97.7777777778``.

    Never a dot before exactly three digits (``12.345`` would be ambiguous when read back):
    such a value gets a trailing zero, ``12.3450``.
    """
    if value is None:
        return ""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    text = f"{value:.10g}"
    if "e" in text:
        text = f"{value:.10f}".rstrip("0").rstrip(".")
    point = text.find(".")
    if point >= 0 and len(text) - point - 1 == 3:
        text += "0"
    return text
