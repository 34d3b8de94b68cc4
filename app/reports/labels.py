"""The words and number shapes every rendering of the consolidated report shares.

The docx, the xlsx, the HTML preview and the PDF print the same labels from here, so a wording fix
("Chưa gửi (quá hạn)") or the two-decimal rule cannot reach one document and miss another.
"""

from __future__ import annotations

import re
from typing import TypeVar

from pydantic import BaseModel

from app.formatting import format_number
from app.reports.monthly import QUARTER_STATES
from app.scores.charts import LIGHTS
from app.scores.schemas import DATA_STATE_LABELS, Coverage
from app.scoring.rules import COMPARATOR_SYMBOLS
from app.templating import format_number_vi

T = TypeVar("T")

#: The dashboard's own words for a traffic light, so the report says what the screen says.
LIGHT_LABELS = {light: label for light, (_, label) in LIGHTS.items()}

#: How a unit stands with its report, as the coordinating office writes it (section II).
STATE_LABELS = {
    "on_time": "Gửi đúng hạn",
    "late": "Gửi trễ hạn",
    "missing": "Chưa gửi (quá hạn)",
    "not_due": "Chưa đến hạn gửi",
}
STATE_ORDER = ("on_time", "late", "missing", "not_due")

COMPARATOR_SIGNS = COMPARATOR_SYMBOLS

DASH = "—"


def coverage_vi(coverage: Coverage) -> str:
    """``45/47 nhiệm vụ``: beside a score, how many of the tasks it is taken over were reported."""
    if not coverage.expected:
        return DASH
    return f"{coverage.reported}/{coverage.expected} nhiệm vụ"


def data_state_vi(state: str) -> str:
    """``Đã duyệt``, ``Chờ duyệt``, ``Chưa gửi``, ``Chưa có số liệu``: the dashboard's words."""
    return DATA_STATE_LABELS.get(state, state)


def fixed_vi(value: float | None, digits: int = 2) -> str:
    """Always ``digits`` decimals with a Vietnamese comma (``87,00``, ``97,50``), so that the
    columns of a signed document line up and a reader never wonders whether a figure was cut."""
    if value is None:
        return DASH
    return format_number(value, digits)


def measure_vi(value: float | None, measure: str) -> str:
    """A KPI value in the document: ``83,25%`` for a percentage, ``12,00`` otherwise."""
    if value is None:
        return DASH
    return f"{fixed_vi(value)}%" if measure == "percent" else fixed_vi(value)


def target_vi(comparator: str, target: float, measure: str) -> str:
    """``≥ 98%``: the target as the plan writes it (no decimals the plan did not give)."""
    number = format_number_vi(target, 2)
    return f"{COMPARATOR_SIGNS.get(comparator, comparator)} {number}" + (
        "%" if measure == "percent" else ""
    )


def change_vi(change: float | None) -> str:
    """Change from the previous period in points, signed: ``+1,25``, ``-0,50``, ``0,00``."""
    if change is None:
        return DASH
    return ("+" if round(change, 2) > 0 else "") + fixed_vi(change)


def in_sentence(label: str) -> str:
    """A period label inside a sentence: ``Quý III/2026`` → ``quý III/2026`` (only the first
    letter is lowered; ``str.lower`` would turn the Roman numeral into ``iii``)."""
    return label[:1].lower() + label[1:]


def template_helpers() -> dict[str, object]:
    """What ``templates/reports/_report.html`` needs besides the data, for the preview page and
    the PDF alike."""
    return {
        "lights": LIGHTS,
        "state_labels": STATE_LABELS,
        "state_order": STATE_ORDER,
        "measure_vi": measure_vi,
        "target_vi": target_vi,
        "change_vi": change_vi,
        "fixed_vi": fixed_vi,
        "in_sentence": in_sentence,
        "coverage_vi": coverage_vi,
        "data_state_vi": data_state_vi,
        "quarter_states": QUARTER_STATES,
    }


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def printable(data: T) -> T:
    """The data with control characters dropped from every text: Word and Excel files cannot
    hold them, and text stored before partrack refused them must not make a report fail."""
    if isinstance(data, str):
        return _CONTROL.sub("", data)  # type: ignore[return-value]
    if isinstance(data, BaseModel):
        changed = {k: printable(v) for k, v in data.__dict__.items()}
        return data.model_copy(update=changed)
    if isinstance(data, list):
        return [printable(v) for v in data]  # type: ignore[return-value]
    if isinstance(data, tuple):
        return tuple(printable(v) for v in data)  # type: ignore[return-value]
    if isinstance(data, dict):
        return {k: printable(v) for k, v in data.items()}  # type: ignore[return-value]
    return data
