"""A criterion's rule: the points an indicator's value proposes, written as the city writes it.

``>=98: 1; >=95: 0,5`` reads "full points at 98% or more, half at 95% or more, none below": bands
are tried from the first, and the first whose threshold the value reaches gives its share of the
criterion's maximum. Numbers are read as officers type them (``0,5``, ``98,5``). The proposal is
only a proposal: the unit accepts it or writes other points with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app import formatting
from app.formatting import format_number

_BAND = re.compile(r"^\s*(?:>=|≥|=>)?\s*([0-9.,]+)\s*%?\s*:\s*([0-9.,]+)\s*$")


class RuleError(ValueError):
    """A rule that cannot be read, with the Vietnamese reason."""


@dataclass(frozen=True)
class Proposal:
    points: float | None
    explanation: str


def parse_rule(text: str) -> list[dict[str, float]]:
    """``">=98: 1; >=95: 0,5"`` → ``[{"min": 98, "share": 1}, {"min": 95, "share": 0.5}]``."""
    bands: list[dict[str, float]] = []
    for part in (p for p in re.split(r"[;\n]", text) if p.strip()):
        found = _BAND.match(part)
        if found is None:
            raise RuleError(
                f"Không đọc được “{part.strip()}”: mỗi mức ghi dạng “>=98: 1” (từ 98 trở lên được "
                "toàn bộ điểm), các mức cách nhau bằng dấu chấm phẩy."
            )
        try:
            low = formatting.parse_number(found.group(1))
            share = formatting.parse_number(found.group(2))
        except formatting.NumberError as exc:
            raise RuleError(f"Không đọc được số trong “{part.strip()}”: {exc}") from exc
        if not 0 <= share <= 1:
            raise RuleError(
                f"Tỷ lệ điểm trong “{part.strip()}” phải từ 0 đến 1 (1 là toàn bộ điểm)."
            )
        if bands and low > bands[-1]["min"]:
            raise RuleError("Các mức phải ghi từ cao xuống thấp (ví dụ “>=98: 1; >=95: 0,5”).")
        bands.append({"min": low, "share": share})
    return bands


def rule_text(bands: Sequence[dict[str, Any]]) -> str:
    """The rule as it is typed back into the form."""
    return "; ".join(f">={format_number(b['min'])}: {format_number(b['share'])}" for b in bands)


def propose(
    *, bands: Sequence[dict[str, Any]], value: float | None, max_points: float, indicator: str
) -> Proposal:
    """The points the rule gives for the indicator's value, and the sentence that says why."""
    if not bands or not indicator:
        return Proposal(None, "")
    if value is None:
        return Proposal(None, f"Chỉ tiêu “{indicator}” chưa có số liệu trong năm: chưa đề xuất.")
    for band in bands:
        if value >= band["min"] - 1e-9:
            points = round(max_points * band["share"], 4)
            return Proposal(
                points,
                f"{indicator} = {format_number(value)} ≥ {format_number(band['min'])} → "
                f"{format_number(band['share'])} × {format_number(max_points)} = "
                f"{format_number(points)} điểm",
            )
    lowest = bands[-1]["min"]
    return Proposal(
        0.0,
        f"{indicator} = {format_number(value)} < {format_number(lowest)} → 0 điểm",
    )
