"""Which column of a file is which field: by the field's name or its Vietnamese label.

A header typed in Excel comes in any case, with or without diacritics (``Mã chỉ tiêu``,
``MA CHI TIEU``, ``ma_chi_tieu``), and partrack's own exports name columns in Vietnamese; all of
them must land on the same field. This is the one place that decides it. A mapping profile (a
ward's other system with its own column names) replaces the decision through ``RowProfile``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

#: Vietnamese labels of every import field (the exports' headers come first: they must re-import).
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "indicator": ("Mã chỉ tiêu", "Chỉ tiêu"),
    "unit": ("Đơn vị", "Mã đơn vị"),
    "period": ("Kỳ báo cáo", "Kỳ"),
    "domain": ("Lĩnh vực", "Mã lĩnh vực"),
    "value": ("Giá trị (%)", "Giá trị", "Tỷ lệ (%)"),
    "numerator": ("Tử số",),
    "denominator": ("Mẫu số",),
    "note": ("Ghi chú",),
    "evidence_url": ("Minh chứng", "Đường dẫn minh chứng"),
    "evidence": ("Minh chứng",),
    "version": ("Phiên bản",),
    "plan": ("Kế hoạch", "Mã kế hoạch"),
    "assignment": ("Mã nhiệm vụ", "Nhiệm vụ"),
    "status": ("Trạng thái",),
    "percent_complete": ("Tỷ lệ hoàn thành (%)", "Tỷ lệ hoàn thành", "Tiến độ (%)"),
    "result": ("Kết quả",),
    "difficulties": ("Khó khăn, vướng mắc", "Khó khăn"),
    "proposals": ("Đề xuất, kiến nghị", "Đề xuất"),
    "code": ("Mã hồ sơ", "Mã"),
    "procedure_code": ("Mã thủ tục",),
    "procedure_name": ("Tên thủ tục",),
    "channel": ("Kênh nộp", "Kênh"),
    "kind": ("Loại",),
    "received_at": ("Ngày tiếp nhận",),
    "due_at": ("Ngày hẹn trả", "Hạn giải quyết"),
    "completed_at": ("Ngày giải quyết xong", "Ngày hoàn thành"),
    "returned_at": ("Ngày trả kết quả",),
    "resolved_at": ("Ngày giải quyết", "Ngày xử lý xong"),
    "rescheduled": ("Hẹn lại",),
    "fully_online": ("Toàn trình",),
    "digitized": ("Số hóa",),
    "e_result": ("Kết quả điện tử",),
    "reused_data": ("Dùng lại dữ liệu số",),
    "paid_online": ("Thanh toán trực tuyến",),
    "satisfied": ("Hài lòng",),
    # the city's PAR Index table and its appraisal (app.par)
    "criterion": ("Mã tiêu chí", "Tiêu chí"),
    "par_area": ("Lĩnh vực CCHC", "Mã lĩnh vực CCHC"),
    "title": ("Nội dung tiêu chí", "Nội dung", "Tên tiêu chí"),
    "max_points": ("Điểm tối đa",),
    "scored_by": ("Hình thức đánh giá", "Hình thức"),
    "method": ("Phương pháp chấm điểm", "Cách chấm"),
    "evidence_required": ("Tài liệu kiểm chứng",),
    "rule": ("Quy tắc đề xuất điểm",),
    "official": ("Chính thức",),
    "points": ("Điểm thẩm định", "Điểm"),
    "comment": ("Ý kiến thẩm định", "Nhận xét"),
}

#: Columns a file may carry for people, that imports ignore: the rejected-rows download's error
#: column, and the columns partrack's exports add that are not input (so an export re-imports).
IGNORED_HEADERS = frozenset(
    {"errors", "loi", "nguon", "cap nhat luc", "tinh trang", "dong", "stt", "so thu tu"}
)

_SEPARATORS = re.compile(r"[\s_]+")


def normalise(text: str) -> str:
    """``  Mã_Chỉ  TIÊU `` → ``ma chi tieu``: lower case, no diacritics (đ → d), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.strip().casefold().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", bare).strip()


def field_label(field: str) -> str:
    """The Vietnamese label of a field (its name when it has none), for messages and templates."""
    labels = FIELD_LABELS.get(field)
    return labels[0] if labels else field


def match_headers(headers: Sequence[str], fields: Iterable[str]) -> dict[str, str]:
    """File header → our field, for the headers that name one of ``fields``.

    A header matches a field by the field's name or any of its labels, ignoring case,
    diacritics, underscores and repeated spaces. Headers that match nothing are left out (the
    runner reports them); two headers naming the same field both map to it (the runner refuses).
    """
    known: dict[str, str] = {}
    for name in fields:
        known.setdefault(normalise(name), name)
    for name in fields:
        for label in FIELD_LABELS.get(name, ()):
            known.setdefault(normalise(label), name)
    out: dict[str, str] = {}
    for header in headers:
        field = known.get(normalise(header))
        if field is not None:
            out[header] = field
    return out


def is_ignored(header: str) -> bool:
    return normalise(header) in IGNORED_HEADERS


class RowProfile(Protocol):
    """A mapping profile: how a ward's other system names its columns and spells its values.

    ``header_map`` answers file header → our field, and the headers it deliberately ignores;
    ``transform`` turns one row's mapped values into ours (raising ``AppError`` for a value it
    cannot map, which is reported like any other row error).
    """

    def header_map(self, headers: Sequence[str]) -> tuple[dict[str, str], list[str]]: ...

    def transform(self, values: dict[str, Any]) -> dict[str, Any]: ...

    def filled_fields(self) -> set[str]:
        """Fields the profile fills by default, so a file needs no column for them."""
        ...
