"""The audit trail in the browser (coordinators and admins): who changed what, when, and how."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.dependencies import WebUser
from app.admin import history
from app.audit import service as audit_service
from app.clock import VIETNAM_TZ
from app.db import SessionDep
from app.forms import parse_date_vi
from app.names import names_for
from app.permissions import Permission, authorize
from app.routes import Routes
from app.templating import render

router = Routes(include_in_schema=False)

PAGE_SIZE = 50
ENTITY_LABELS = {
    "assignment": "Nhiệm vụ",
    "indicator": "Chỉ tiêu",
    "domain": "Lĩnh vực TTHC",
    "unit": "Đơn vị",
    "user": "Tài khoản",
    "user_password": "Mật khẩu",
    "token": "Mã truy cập",
    "plan": "Kế hoạch (cài đặt hạn báo cáo)",
    "scoring_config": "Cấu hình chấm điểm",
    "reading": "Số liệu chỉ tiêu",
    "progress": "Báo cáo tiến độ",
    "submission": "Gửi, duyệt báo cáo",
    "session": "Phiên đăng nhập",
    "import_batch": "Nhập dữ liệu hàng loạt",
    "dossier": "Hồ sơ TTHC",
    "feedback": "Phản ánh, kiến nghị",
}


def _moment(text: str, *, end: bool) -> tuple[datetime | None, str | None]:
    """A day typed dd/mm/yyyy as a Vietnam-time bound; "đến" includes the whole day."""
    day, error = parse_date_vi(text)
    if day is None:
        return None, error
    start = datetime.combine(datetime.fromisoformat(day).date(), time(0), tzinfo=VIETNAM_TZ)
    return (start + timedelta(days=1) if end else start), None


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    doi_tuong: str = "",
    khoa: str = "",
    nguoi: str = "",
    thao_tac: str = "",
    tu: str = "",
    den: str = "",
    trang: int = 1,
) -> Response:
    authorize(identity.actor, Permission.AUDIT_READ)
    since, since_error = _moment(tu, end=False)
    until, until_error = _moment(den, end=True)
    page = max(1, trang)
    events, total = audit_service.list_events(
        db_session=db_session,
        entity=doi_tuong or None,
        key=khoa.strip() or None,
        user=nguoi.strip().lower() or None,
        action=thao_tac or None,
        since=since,
        until=until,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    filters = {
        "doi_tuong": doi_tuong,
        "khoa": khoa,
        "nguoi": nguoi,
        "thao_tac": thao_tac,
        "tu": tu,
        "den": den,
    }
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "admin/audit.html",
        {
            "title": "Nhật ký thay đổi",
            "events": history.entries(list(events), names_for(db_session)),
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "query": query,
            "filters": filters,
            "errors": {"tu": since_error, "den": until_error},
            "entity_labels": ENTITY_LABELS,
            "action_labels": history.ACTION_LABELS,
        },
        block="results",
    )
