"""The rules of a reading write, checked without writing: who may write, which codes, which period,
whether the period is open, the value, and what the write does to the stored row.

The single write (``PUT /readings``, the forms) and the bulk import go through the same
``check_reading`` and ``decide_reading``, so a row of a file is refused with exactly the message a
single write would get.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.actors import Actor
from app.errors import Conflict, FieldError, Invalid
from app.formatting import format_number
from app.kpis.lookups import Lookups
from app.kpis.models import (
    Disaggregation,
    Indicator,
    Measure,
    Reading,
    ReadingSource,
    ReadingWrite,
    figures_differ,
    resolve_numbers,
)
from app.versioning import WriteAction, check_version

#: A reading's natural key: indicator id, unit id, period, domain id (None if not disaggregated).
ReadingKey = tuple[int, int, str, int | None]


@dataclass
class CheckedReading:
    """A reading write that passed every rule that does not depend on the stored row."""

    key: ReadingKey
    codes: tuple[str, str, str | None]
    fields: dict[str, object]
    source: str
    version: int | None
    label: str


@dataclass
class PlannedReading:
    """A reading write that passed every rule, with the row it will create or change.

    ``reported``: a unit's figure for a key a feed covers, kept beside the computed value that
    still counts. ``takeover``: a computed value replacing the figure a unit had entered (which
    moves to the ``reported_*`` columns); the feed tells the unit when the two differ.
    """

    action: WriteAction
    key: ReadingKey
    codes: tuple[str, str, str | None]
    fields: dict[str, Any]  # column → value, as the row will hold them
    source: str
    existing: Reading | None
    message_prefix: str
    reported: bool = False
    takeover: bool = False

    @property
    def conflict(self) -> bool:
        """This write leaves both figures differing (one decimal) at a key a feed covers."""
        if self.existing is None or self.action == WriteAction.UNCHANGED:
            return False
        value = self.fields.get("value", self.existing.value)
        reported = self.fields.get("reported_value", self.existing.reported_value)
        return self.source == ReadingSource.COMPUTED and figures_differ(value, reported)


def _resolve_value(*, indicator: Indicator, data: ReadingWrite) -> float:
    """The value to store: given directly, or computed from numerator and denominator."""
    errors: list[FieldError] = []
    has_parts = data.numerator is not None or data.denominator is not None
    if has_parts:
        if data.numerator is None or data.denominator is None:
            missing = "numerator" if data.numerator is None else "denominator"
            raise Invalid.one(missing, "required", "Cần nhập cả tử số và mẫu số.")
        if indicator.measure != Measure.PERCENT:
            raise Invalid.one(
                "numerator", "not_a_rate", "Chỉ nhập tử số/mẫu số cho chỉ tiêu tính theo tỷ lệ %."
            )
        if data.denominator == 0:
            raise Invalid.one("denominator", "zero_denominator", "Mẫu số phải lớn hơn 0.")
        if data.numerator > data.denominator:
            raise Invalid.one(
                "numerator",
                "numerator_above_denominator",
                f"Tử số ({format_number(data.numerator)}) không được lớn hơn mẫu số "
                f"({format_number(data.denominator)}).",
            )
        computed = data.numerator / data.denominator * 100
        if data.value is not None and abs(data.value - computed) > 0.01:
            raise Invalid.one(
                "value",
                "value_mismatch",
                f"Giá trị {format_number(data.value)} không khớp với tử số/mẫu số "
                f"({format_number(computed, 2)}). "
                "Hãy bỏ trống giá trị để hệ thống tự tính.",
            )
        return computed
    if data.value is None:
        errors.append(FieldError("value", "required", "Nhập giá trị, hoặc tử số và mẫu số."))
        raise Invalid(errors, message=errors[0].message)
    if data.value < 0:
        raise Invalid.one("value", "negative", "Giá trị không được âm.")
    if indicator.measure == Measure.PERCENT and data.value > 100:
        raise Invalid.one("value", "out_of_range", "Tỷ lệ phải từ 0 đến 100%.")
    return data.value


def check_reading(
    *,
    lookups: Lookups,
    actor: Actor,
    data: ReadingWrite,
    source: ReadingSource = ReadingSource.API,
) -> CheckedReading:
    """The rules of a reading write that need no stored row: who, which codes, which period,
    whether it is open, and the value. A bulk import checks a chunk first, then fetches the
    stored rows of all the valid keys at once and ``decide_reading`` each."""
    ctx = lookups.reading_context(actor, data.plan, data.indicator, data.unit, data.domain)
    # In a quarterly year a month's figure stands beside the quarter's, each scored on its own:
    # feeds compute both (the committee meets monthly), and indicators of monthly tasks are
    # typed monthly. Other hand entries keep the quarter, so "2026-03" typed for "2026-Q1" is
    # refused with the hint rather than filed where the quarterly report never looks.
    monthly = source == ReadingSource.COMPUTED or ctx.monthly
    period = lookups.period(ctx.plan, data.period, monthly=monthly)
    # A computed figure is the feed's, not the unit's edit: it stops only at approval.
    lookups.ensure_open(ctx.plan, ctx.unit, period, only_final=source == ReadingSource.COMPUTED)
    if ctx.disaggregation == Disaggregation.DOMAIN and ctx.domain_id is None:
        raise Invalid.one(
            "domain",
            "domain_required",
            f"Chỉ tiêu “{ctx.indicator_code}” được theo dõi theo từng lĩnh vực: hãy ghi lĩnh vực.",
        )
    if ctx.disaggregation == Disaggregation.NONE and ctx.domain_id is not None:
        raise Invalid.one(
            "domain",
            "domain_not_allowed",
            f"Chỉ tiêu “{ctx.indicator_code}” không chia theo lĩnh vực: bỏ trống lĩnh vực.",
        )
    data = resolve_numbers(data, indicator=ctx.indicator)
    value = _resolve_value(indicator=ctx.indicator, data=data)
    return CheckedReading(
        key=(ctx.indicator_id, ctx.unit_id, period, ctx.domain_id),
        codes=ctx.codes,
        fields={
            "value": value,
            "numerator": data.numerator,
            "denominator": data.denominator,
            "note": data.note,
            "evidence_url": str(data.evidence_url) if data.evidence_url else "",
        },
        source=str(source),
        version=data.version,
        label=f"{ctx.indicator_code} / {ctx.unit_code} / {period}",
    )


def _as_reported(fields: Mapping[str, object], source: str) -> dict[str, object]:
    """A unit's figure as the ``reported_*`` columns hold it beside a computed value."""
    return {
        "reported_value": fields["value"],
        "reported_numerator": fields["numerator"],
        "reported_denominator": fields["denominator"],
        "reported_note": fields["note"],
        "reported_source": source,
    }


def decide_reading(checked: CheckedReading, existing: Reading | None) -> PlannedReading:
    """What a checked write does to the stored row: create, update, nothing, or 409.

    The rule between a feed and a unit (docs/api.md): once a feed covers a key, the computed
    value counts and stays in ``value``; the unit's figure, typed before or after, is kept in
    the ``reported_*`` columns. Neither write ever erases the other.
    """
    key, codes, fields, source, label = (
        checked.key,
        checked.codes,
        checked.fields,
        checked.source,
        checked.label,
    )
    if existing is None:
        if checked.version not in (None, 0):
            raise Conflict(
                "Số liệu này đã bị xóa hoặc chưa từng có; hãy tải lại trước khi sửa.",
                code="stale_version",
                errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
            )
        return PlannedReading(WriteAction.CREATE, key, codes, fields, source, None, label)
    computed = source == ReadingSource.COMPUTED
    if computed:
        fields = {**fields, "evidence_url": existing.evidence_url}  # the unit's link stays
        if existing.source != ReadingSource.COMPUTED:
            fields.update(_as_reported(_figures_of(existing), existing.source))
            fields["reported_at"] = existing.updated_at
            return PlannedReading(
                WriteAction.UPDATE, key, codes, fields, source, existing, label, takeover=True
            )
    echo = False
    if not computed and existing.source == ReadingSource.COMPUTED:
        # The computed figures sent back as exported (a re-imported export) are no unit figure.
        echo = existing.reported_source is None and _same_figures(fields, existing)
        fields = {**_as_reported(fields, source), "evidence_url": fields["evidence_url"]}
        source = ReadingSource.COMPUTED  # the computed value keeps counting
    if checked.version == 0:
        raise Conflict(
            f"Đã có số liệu cho {label} "
            f"(phiên bản {existing.version}); hãy tải lại để xem trước khi sửa.",
            code="already_exists",
            errors=[FieldError("version", "stale_version", "Số liệu đã có người nhập.")],
        )
    check_version(current=existing.version, expected=checked.version, what="Số liệu")
    reported = not computed and existing.source == ReadingSource.COMPUTED
    action = (
        WriteAction.UNCHANGED
        if echo or all(getattr(existing, k) == v for k, v in fields.items())
        else WriteAction.UPDATE
    )
    return PlannedReading(action, key, codes, fields, source, existing, label, reported=reported)


def _same_figures(fields: Mapping[str, object], row: Reading) -> bool:
    """The same value, numerator and denominator; the value as an export writes it (eight
    decimals) still counts as the same."""
    if fields["numerator"] != row.numerator or fields["denominator"] != row.denominator:
        return False
    given, stored = fields["value"], row.value
    if not isinstance(given, int | float) or stored is None:
        return given is None and stored is None
    return math.isclose(given, stored, rel_tol=1e-9, abs_tol=1e-9)


def _figures_of(row: Reading) -> dict[str, object]:
    return {
        "value": row.value,
        "numerator": row.numerator,
        "denominator": row.denominator,
        "note": row.note,
    }
