"""POST /progress/bulk: the progress rules of PUT /progress, for a whole file."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.uploads.models import ImportBatch
from tests.uploads.conftest import counts, send_csv

URL = "/api/v1/progress/bulk"
HEADER = "assignment,unit,period,status,percent_complete,result\n"
GOOD = (
    HEADER
    + "II.1.1.1,vhxh,2025-10,in_progress,40,Đã ban hành kế hoạch\n"
    + "II.1.1.1,ttpvhcc,2025-10,done,,Hoàn thành\n"
)


def test_a_progress_file_is_written_once_and_then_unchanged(
    api: TestClient, clean_db: Engine
) -> None:
    first = send_csv(api, URL, GOOD).json()
    assert (first["status"], first["created"]) == ("ok", 2)
    before = counts(clean_db)
    again = send_csv(api, URL, GOOD).json()
    assert again["unchanged"] == 2 and counts(clean_db) == before
    with Session(clean_db) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.entity == "progress")).all()
    assert len(events) == 2 and {e.via for e in events} == {"import"}
    with Session(clean_db) as session:
        batch = session.exec(select(ImportBatch)).one()  # the second file changed nothing
    assert (batch.kind, batch.created, batch.unchanged) == ("progress", 2, 0)
    listed = api.get("/api/v1/progress", params={"unit": "ttpvhcc"}).json()["items"]
    assert listed[0]["percent_complete"] == 100


def test_progress_rows_get_the_single_endpoints_messages(api: TestClient, clean_db: Engine) -> None:
    lines = [
        "II.1.1.1,vhxh,2025-10,done,50,",  # inconsistent percent
        "II.9.9.9,vhxh,2025-10,in_progress,10,",  # unknown task
        "II.1.1.1,ttpvhcc,2025-10,dang_lam,10,",  # bad status (pydantic)
        "II.1.1.1,vhxh,2025-11,in_progress,140,",  # out of range (pydantic)
    ]
    resp = send_csv(api, URL, HEADER + "\n".join(lines) + "\n")
    assert resp.status_code == 422
    errors = {e["row"]: e for e in resp.json()["errors"]}
    single = api.put(
        "/api/v1/progress",
        json={
            "assignment": "II.1.1.1",
            "unit": "vhxh",
            "period": "2025-10",
            "status": "done",
            "percent_complete": 50,
        },
    ).json()["detail"]
    assert errors[2]["message"] == single["message"]  # spreadsheet rows: the header is row 1
    assert (errors[3]["field"], errors[3]["code"]) == ("assignment", "assignment_not_found")
    assert (errors[4]["field"], errors[4]["code"]) == ("status", "enum")
    assert (errors[5]["field"], errors[5]["code"]) == ("percent_complete", "less_than_equal")
    assert counts(clean_db)["ProgressUpdate"] == 0
