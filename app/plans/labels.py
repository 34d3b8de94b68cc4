"""How the plan's words are shown to people: shared by the plan overview and the admin editor,
so two pages never import each other for a label."""

from __future__ import annotations

CADENCE_LABELS = {
    "once": "Một lần",
    "monthly": "Hằng tháng",
    "quarterly": "Hằng quý",
    "continuous": "Thường xuyên",
    "plan": "Theo kỳ báo cáo",
}
