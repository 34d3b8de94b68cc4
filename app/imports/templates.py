"""CSV templates: the header each bulk endpoint expects, with one example row to copy."""

from __future__ import annotations

from enum import StrEnum

from app.dossiers.rows import DOSSIER_COLUMNS, FEEDBACK_COLUMNS
from app.imports.readings import PROGRESS_COLUMNS, READING_COLUMNS


class ImportKind(StrEnum):
    READINGS = "readings"
    PROGRESS = "progress"
    DOSSIERS = "dossiers"
    FEEDBACK = "feedback"


LABELS = {
    ImportKind.READINGS: "Số liệu chỉ tiêu",
    ImportKind.PROGRESS: "Tiến độ nhiệm vụ",
    ImportKind.DOSSIERS: "Hồ sơ TTHC",
    ImportKind.FEEDBACK: "Phản ánh, kiến nghị",
}

_EXAMPLES: dict[ImportKind, list[dict[str, str]]] = {
    ImportKind.READINGS: [
        {
            "indicator": "tthc_ontime",
            "unit": "ttpvhcc",
            "period": "2025-10",
            "domain": "ho-tich",
            "value": "98.5",
            "note": "Số liệu từ Hệ thống thông tin giải quyết TTHC",
        },
        {
            "indicator": "disbursement",
            "unit": "kthtdt",
            "period": "2025-10",
            "numerator": "412",
            "denominator": "500",
        },
    ],
    ImportKind.PROGRESS: [
        {
            "assignment": "II.2.1.9",
            "unit": "vhxh",
            "period": "2025-10",
            "status": "in_progress",
            "percent_complete": "60",
            "result": "Đã tổng hợp 45 phản ánh qua Tổng đài 1022.",
        },
    ],
    ImportKind.DOSSIERS: [
        {
            "code": "000.00.12.H29-251003-0001",
            "unit": "ttpvhcc",
            "procedure_code": "1.001193",
            "procedure_name": "Đăng ký khai sinh",
            "domain": "ho-tich",
            "channel": "online",
            "received_at": "03/10/2025 08:30",
            "due_at": "06/10/2025 17:00",
            "completed_at": "04/10/2025 10:15",
            "returned_at": "04/10/2025 14:00",
            "rescheduled": "false",
            "fully_online": "true",
            "digitized": "true",
            "e_result": "true",
            "reused_data": "false",
            "paid_online": "true",
        },
    ],
    ImportKind.FEEDBACK: [
        {
            "code": "1022-2025-000123",
            "unit": "vp",
            "channel": "1022",
            "kind": "petition",
            "received_at": "2025-10-02T09:00",
            "due_at": "2025-10-12",
            "resolved_at": "2025-10-08",
            "satisfied": "true",
        },
    ],
}

COLUMNS = {
    ImportKind.READINGS: READING_COLUMNS,
    ImportKind.PROGRESS: PROGRESS_COLUMNS,
    ImportKind.DOSSIERS: DOSSIER_COLUMNS,
    ImportKind.FEEDBACK: FEEDBACK_COLUMNS,
}


def template_csv(kind: ImportKind) -> str:
    """The header row and example rows, as a file a spreadsheet opens with its diacritics."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = COLUMNS[kind]
    writer.writerow(columns)
    for example in _EXAMPLES[kind]:
        writer.writerow([example.get(c, "") for c in columns])
    return "\ufeff" + out.getvalue()
