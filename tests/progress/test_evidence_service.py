"""Evidence service: limits, kinds, names, authorisation, the report's lock, audit, the done rule.

Plan 84 as seeded, on 2025-11-20; ``ttpvhcc`` attaches to its October update.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.actors import SYSTEM, Actor
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.progress import service as progress_service
from app.progress.evidence import service
from app.progress.evidence.models import EvidenceItem, EvidenceLinkCreate
from app.progress.evidence.store import DiskStore
from app.progress.models import ProgressWrite
from app.reporting import transitions
from tests.progress.evidence_helpers import PDF, PLAIN_TASK, PRODUCT, TASK, office

REPORTER = Actor(username="bc.ttpv", role="reporter", unit_code="ttpvhcc")
OTHER = Actor(username="bc.vp", role="reporter", unit_code="vp")
VIEWER = Actor(username="lanh.dao", role="viewer")
LIMITS = service.EvidenceLimits(
    max_bytes=64 * 1024, allowed_kinds=("pdf", "docx", "xlsx", "png", "jpg"), max_per_task=3
)


@pytest.fixture
def store(tmp_path: Path) -> DiskStore:
    return DiskStore(tmp_path / "evidence")


def stored_files(store: DiskStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []


def attach(
    db: Session,
    clock: FixedClock,
    store: DiskStore,
    data: bytes = PDF,
    name: str = "Kế hoạch giải ngân.pdf",
    actor: Actor = REPORTER,
    task: str = TASK,
    limits: service.EvidenceLimits = LIMITS,
):
    return service.attach_file(
        db_session=db,
        actor=actor,
        clock=clock,
        store=store,
        limits=limits,
        unit="ttpvhcc",
        period="2025-10",
        task=task,
        stream=io.BytesIO(data),
        filename=name,
        note="Kế hoạch số 45/KH-TTPVHCC",
    )


def rows(db: Session) -> list[EvidenceItem]:
    return list(db.exec(select(EvidenceItem)).all())


def test_a_pdf_is_stored_under_a_random_name_with_its_checks(
    seeded: Session, clock: FixedClock, store: DiskStore
) -> None:
    item = attach(seeded, clock, store, name="C:\\Tài liệu\\Kế hoạch giải ngân.pdf")
    assert item.filename == "Kế hoạch giải ngân.pdf"
    assert item.content_type == "application/pdf" and item.size == len(PDF)
    assert len(item.sha256) == 64 and item.download_url == f"/api/v1/evidence/{item.key}"
    [path] = stored_files(store)
    assert path.read_bytes() == PDF and "giải" not in str(path) and item.key not in str(path)
    [event] = seeded.exec(select(AuditEvent).where(AuditEvent.entity == "evidence")).all()
    assert event.action == "create" and event.after and event.after["filename"] == item.filename
    listed = service.list_for_task(
        db_session=seeded, actor=VIEWER, unit="ttpvhcc", period="2025-10", task=TASK
    )
    assert [i.key for i in listed] == [item.key]


def test_an_upload_over_the_limit_leaves_no_file_and_no_row(
    seeded: Session, clock: FixedClock, store: DiskStore
) -> None:
    big = PDF + b"0" * LIMITS.max_bytes
    with pytest.raises(service.EvidenceTooLarge) as refused:
        attach(seeded, clock, store, data=big)
    assert refused.value.status_code == 413 and "64 KB" in refused.value.message
    assert stored_files(store) == [] and rows(seeded) == []


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (PDF, "bao-cao.exe", "file_type_not_allowed"),
        (b"MZ\x90\x00 a program", "bao-cao.pdf", "file_content_not_allowed"),
        (office("docx"), "bang-tinh.xlsx", "file_extension_mismatch"),
        (PDF, "anh.png", "file_extension_mismatch"),
        (PDF, "van-ban.odt", "file_type_not_allowed"),  # a kind the settings leave out
        (b"", "rong.pdf", "file_empty"),
    ],
)
def test_a_file_whose_bytes_and_name_disagree_is_refused(
    seeded: Session, clock: FixedClock, store: DiskStore, data: bytes, name: str, code: str
) -> None:
    with pytest.raises(Invalid) as refused:
        attach(seeded, clock, store, data=data, name=name)
    assert refused.value.errors[0].field == "file" and refused.value.errors[0].code == code
    if code.endswith("_not_allowed"):
        assert "PDF (.pdf)" in refused.value.message  # says what may be attached
    if code == "file_extension_mismatch":
        assert "hãy đặt lại tên tệp với đuôi" in refused.value.message
    assert stored_files(store) == [] and rows(seeded) == []


def test_a_name_of_nul_and_path_tricks_is_cleaned(
    seeded: Session, clock: FixedClock, store: DiskStore
) -> None:
    item = attach(seeded, clock, store, name="../../\x00..\x07Báo cáo.pdf")
    assert item.filename == "Báo cáo.pdf"


def test_another_units_reporter_can_neither_attach_nor_see(
    seeded: Session, clock: FixedClock, store: DiskStore
) -> None:
    with pytest.raises(Forbidden):
        attach(seeded, clock, store, actor=OTHER)
    item = attach(seeded, clock, store)
    with pytest.raises(Forbidden):
        service.list_for_task(
            db_session=seeded, actor=OTHER, unit="ttpvhcc", period="2025-10", task=TASK
        )
    with pytest.raises(NotFound):
        service.open_download(db_session=seeded, actor=OTHER, store=store, key=item.key)
    with pytest.raises(NotFound):
        service.remove(db_session=seeded, actor=OTHER, clock=clock, store=store, key=item.key)
    download = service.open_download(db_session=seeded, actor=VIEWER, store=store, key=item.key)
    with download.stream as stream:
        assert stream.read() == PDF
    assert download.inline


def test_a_sent_report_refuses_attaching_and_removing(
    seeded: Session, clock: FixedClock, store: DiskStore
) -> None:
    item = attach(seeded, clock, store)
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    with pytest.raises(Conflict):
        attach(seeded, clock, store)
    with pytest.raises(Conflict):
        service.remove(db_session=seeded, actor=REPORTER, clock=clock, store=store, key=item.key)
    assert len(stored_files(store)) == 1 and len(rows(seeded)) == 1


def test_links_are_http_only_and_capped_per_task(
    seeded: Session, clock: FixedClock, store: DiskStore
) -> None:
    def link(url: str):
        return service.attach_link(
            db_session=seeded,
            actor=REPORTER,
            clock=clock,
            limits=LIMITS,
            unit="ttpvhcc",
            period="2025-10",
            task=TASK,
            data=EvidenceLinkCreate(url=url, note="Quyết định số 12/QĐ-UBND"),  # type: ignore[arg-type]
        )

    first = link("https://phudinh.hochiminhcity.gov.vn/van-ban/12")
    assert first.kind == "link" and first.download_url == ""
    with pytest.raises(ValueError):
        EvidenceLinkCreate(url="javascript:alert(1)")  # type: ignore[arg-type]
    link("https://phudinh.hochiminhcity.gov.vn/van-ban/13")
    attach(seeded, clock, store)
    with pytest.raises(Invalid) as refused:
        link("https://phudinh.hochiminhcity.gov.vn/van-ban/14")
    assert refused.value.errors[0].code == "too_many_files"


def done(**overrides: str) -> ProgressWrite:
    data = {
        "assignment": TASK,
        "unit": "ttpvhcc",
        "period": "2025-10",
        "status": "done",
        "result": "Đã ban hành kế hoạch giải ngân năm 2025.",
        "evidence": "",
    } | overrides
    return ProgressWrite.model_validate(data)


def test_done_needs_a_result_and_evidence_when_the_plan_names_a_product(
    seeded: Session, clock: FixedClock, store: DiskStore
) -> None:
    with pytest.raises(Invalid) as refused:
        progress_service.upsert_progress(
            db_session=seeded, actor=REPORTER, clock=clock, data=done(result="")
        )
    assert {e.field for e in refused.value.errors} == {"result", "evidence"}
    assert refused.value.message == (
        f"Kế hoạch yêu cầu sản phẩm: “{PRODUCT}”. Hãy ghi kết quả và đính kèm minh chứng trước "
        "khi đánh dấu hoàn thành."
    )
    with pytest.raises(Invalid) as refused:
        progress_service.upsert_progress(
            db_session=seeded, actor=REPORTER, clock=clock, data=done()
        )
    assert [e.field for e in refused.value.errors] == ["evidence"]
    # the document named in the evidence field is enough …
    named = progress_service.upsert_progress(
        db_session=seeded,
        actor=REPORTER,
        clock=clock,
        data=done(evidence="Kế hoạch số 45/KH-TTPVHCC ngày 20/10/2025"),
    )
    assert named.progress.status == "done"
    # … and so is an attached file, with the field emptied
    attach(seeded, clock, store)
    saved = progress_service.upsert_progress(
        db_session=seeded,
        actor=REPORTER,
        clock=clock,
        data=done(evidence="", version=str(named.progress.version)),  # type: ignore[arg-type]
    )
    assert saved.progress.evidence == ""
    # a task without a product is done as before
    plain = progress_service.upsert_progress(
        db_session=seeded, actor=REPORTER, clock=clock, data=done(assignment=PLAIN_TASK, result="")
    )
    assert plain.progress.status == "done"


def test_the_last_evidence_of_a_done_task_cannot_be_removed(
    seeded: Session, clock: FixedClock, store: DiskStore
) -> None:
    first = attach(seeded, clock, store)
    second = attach(seeded, clock, store, data=office("docx"), name="Kế hoạch.docx")
    progress_service.upsert_progress(db_session=seeded, actor=REPORTER, clock=clock, data=done())
    service.remove(db_session=seeded, actor=REPORTER, clock=clock, store=store, key=first.key)
    assert len(stored_files(store)) == 1
    with pytest.raises(Conflict) as refused:
        service.remove(db_session=seeded, actor=REPORTER, clock=clock, store=store, key=second.key)
    assert refused.value.code == "last_evidence" and PRODUCT in refused.value.message
    assert len(stored_files(store)) == 1 and len(rows(seeded)) == 1
    actions = seeded.exec(select(AuditEvent.action).where(AuditEvent.entity == "evidence")).all()
    assert sorted(actions) == ["create", "create", "delete"]
