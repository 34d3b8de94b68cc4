"""Mapping profiles: a one-stop-shop export with Vietnamese headers and ``dd/mm/yyyy HH:MM`` dates
read through the shipped profile, its errors, and the profile service (audit, roles, versions)."""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from app.actors import Actor
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.dossiers.models import Dossier
from app.dossiers.rows import DOSSIER_COLUMNS
from app.errors import Conflict, Forbidden, Invalid
from app.imports.profiles import mapping, service
from app.imports.profiles.models import ProfileCreate, ProfileRead, ProfileSpec, ProfileUpdate
from app.imports.profiles.previews import preview
from app.imports.profiles.recognition import resolve
from app.imports.registry import import_file
from app.imports.templates import ImportKind
from app.permissions import Role
from app.uploads.bulk import ImportOptions, ImportStatus, ImportSummary
from app.uploads.files import Upload

ADMIN = Actor(username="qt.admin", role=Role.ADMIN, unit_code=None, via="test")
REPORTER = Actor(username="cb.ttpvhcc", role=Role.REPORTER, unit_code="ttpvhcc", via="test")

#: As the one-stop-shop system exports it: a row number, personal data, names instead of codes.
HEADERS = [
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục",
    "Lĩnh vực",
    "Người nộp",
    "Số điện thoại",
    "Ngày tiếp nhận",
    "Ngày hẹn trả",
    "Ngày có kết quả",
    "Hình thức nộp",
    "Trạng thái",
]
ROWS = [
    [
        "1",
        "000.00.12.H29-251003-0001",
        "Đăng ký khai sinh",
        "Hộ tịch",
        "Nguyễn Văn An",
        "0903123456",
        "03/10/2025 08:30",
        "06/10/2025 17:00",
        "06/10/2025 10:15",
        "Trực tuyến",
        "Đã trả kết quả",
    ],
    [
        "2",
        "000.00.12.H29-251006-0002",
        "Chứng thực bản sao từ bản chính",
        "CHUNG THUC",
        "Trần Thị Bình",
        "0912000111",
        "06/10/2025 14:05",
        "06/10/2025",
        "",
        "Trực tiếp",
        "Đang xử lý",
    ],
]


def _read_all(read: ProfileRead, session: Session) -> mapping.Profile:
    return mapping.Profile(read, mapping.known_names(session))


def _rows(profile: mapping.Profile, headers: list[str], rows: list[list[str]]):
    mapped, ignored = profile.header_map(headers)
    return (
        mapped,
        ignored,
        [
            profile.transform(
                {mapped[h]: v for h, v in zip(headers, row, strict=True) if h in mapped}
            )
            for row in rows
        ],
    )


def _as_json_upload(rows: list[dict[str, object]]) -> Upload:
    """The transformed rows as a JSON body: a stand-in for the runner's ``profile=`` until the
    new import runner lands (the runner calls the same two methods)."""

    def plain(value: object) -> object:
        return value.isoformat() if isinstance(value, datetime | date) else value

    body = json.dumps([{k: plain(v) for k, v in r.items()} for r in rows]).encode()
    return Upload(file=io.BytesIO(body), kind="json", filename="mot-cua.json", size=len(body))


def test_the_shipped_profile_is_recognised_from_the_header_row(seeded: Session) -> None:
    found = resolve(seeded, None, HEADERS)
    assert found is not None and found.code == "mot-cua-hcm"
    assert resolve(seeded, None, list(DOSSIER_COLUMNS)) is None  # our own file
    assert resolve(seeded, None, ["Họ tên", "Ngày sinh"]) is None
    assert resolve(seeded, "mot-cua-hcm", ["x"]).code == "mot-cua-hcm"


def test_a_one_stop_shop_export_with_vietnamese_headers_and_dates(
    seeded: Session, clock: FixedClock
) -> None:
    profile = service.load(db_session=seeded, code="mot-cua-hcm")
    mapped, ignored, rows = _rows(profile, HEADERS, ROWS)
    assert ignored == ["STT", "Người nộp", "Số điện thoại"]
    assert "Người nộp" not in mapped and "Số điện thoại" not in mapped
    first, second = rows
    assert first == {
        "code": "000.00.12.H29-251003-0001",
        "procedure_name": "Đăng ký khai sinh",
        "domain": "ho-tich",
        "received_at": datetime(2025, 10, 3, 8, 30),
        "due_at": datetime(2025, 10, 6, 17, 0),
        "completed_at": datetime(2025, 10, 6, 10, 15),
        "channel": "online",
        "unit": "ttpvhcc",  # the column is absent: the profile's default
    }
    assert second["domain"] == "chung-thuc" and second["channel"] == "direct"
    assert second["due_at"] == date(2025, 10, 6)  # a date alone stays a date (end of that day)
    assert second["completed_at"] is None and "status" not in second

    result = import_file(
        ImportKind.DOSSIERS,
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        upload=_as_json_upload(rows),
        options=ImportOptions(),
    )
    assert result.summary.status == ImportStatus.OK, result.summary.errors
    assert result.summary.created == 2
    stored = seeded.exec(select(Dossier).order_by(Dossier.code)).all()
    assert [d.channel for d in stored] == ["online", "direct"]
    assert stored[0].received_at.astimezone(UTC) == datetime(2025, 10, 3, 1, 30, tzinfo=UTC)
    assert stored[1].due_at.astimezone(UTC) == datetime(2025, 10, 6, 16, 59, 59, tzinfo=UTC)
    # the export says nothing about digitisation: unknown, never "no"
    assert stored[0].digitized is None and stored[0].e_result is None
    dumped = json.dumps([d.model_dump(mode="json") for d in stored], ensure_ascii=False)
    assert "Nguyễn Văn An" not in dumped and "0903123456" not in dumped


def test_values_that_do_not_map_name_the_nearest_or_the_choices(seeded: Session) -> None:
    profile = service.load(db_session=seeded, code="mot-cua-hcm")
    with pytest.raises(Invalid) as caught:
        profile.transform(
            {
                "code": "HS-1",
                "domain": "Hộ tich x",
                "channel": "Qua mạng",
                "received_at": "32/10/2025 08:30",
                "due_at": "06/10/2025",
                "status": "Đang xử lý",
                "completed_at": "05/10/2025 16:00",
            }
        )
    messages = {e.field: e.message for e in caught.value.errors}
    assert messages["domain"].endswith("Ý bạn là “Hộ tịch” (ho-tich)?")
    assert (
        "“Trực tuyến” (online), “Trực tiếp” (direct), “Bưu chính” (postal)" in (messages["channel"])
    )
    assert "“32/10/2025 08:30”" in messages["received_at"]
    assert "dd/mm/yyyy HH:MM" in messages["received_at"]
    assert "có ngày có kết quả" in messages["status"]
    assert {e.code for e in caught.value.errors} >= {"unmapped_value", "bad_date"}


def test_a_preview_groups_one_message_per_distinct_value(
    seeded: Session, clock: FixedClock
) -> None:
    lines = [",".join(HEADERS)]
    for n in range(1, 5):
        lines.append(
            f"{n},HS-{n},Thủ tục,{'Ho tịch' if n < 4 else 'Đât dai'},Người {n},090000000{n},"
            f"0{n}/10/2025 08:00,0{n + 3}/10/2025 17:00,,Bưu chính,Đang xử lý"
        )
    lines.append(
        "5,HS-5,Thủ tục,Hô tich,Người 5,0900,05/10/2025 08:00,04/10/2025,,Trực tuyến,Đang xử lý"
    )
    lines.append(
        "6,HS-6,Thủ tục,Hộ tịc,Người 6,0900,05/10/2025 08:00,09/10/2025,,Trực tuyến,Đang xử lý"
    )
    lines.append(
        "7,HS-7,Thủ tục,Hộ tịc,Người 7,0900,05/10/2025 08:00,09/10/2025,,Trực tuyến,Đang xử lý"
    )
    data = "\n".join(lines).encode("utf-8")
    seen = preview(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        code="mot-cua-hcm",
        data=data,
        filename="ds.csv",
    )
    assert [c.status for c in seen.columns].count("ignored") == 3
    assert seen.missing == []
    assert seen.rows[0].row == 2 and seen.rows[0].values["domain"] == "ho-tich"
    assert seen.rows[0].values["received_at"] == "01/10/2025 08:00"
    assert seen.rows[0].values["channel"] == "postal"
    typo = [g for g in seen.problems if "“Hộ tịc”" in g.message]
    assert len(typo) == 1 and typo[0].count == 2 and typo[0].rows == [7, 8]
    assert "Ý bạn là “Hộ tịch” (ho-tich)?" in typo[0].message
    assert any(g.code == "due_before_received" and g.rows == [6] for g in seen.problems)
    assert seen.rows[3].values["domain"] == "dat-dai"  # "Đât dai": wrong marks, same letters
    assert not seen.rows[3].problems


def test_a_semicolon_utf16_sample_and_a_workbook_preview(
    seeded: Session, clock: FixedClock
) -> None:
    from openpyxl import Workbook

    text = ";".join(HEADERS) + "\r\n" + ";".join(ROWS[0]) + "\r\n"
    seen = preview(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        code="mot-cua-hcm",
        data=text.encode("utf-16"),
        filename="ds.csv",
    )
    assert seen.rows[0].values["code"] == "000.00.12.H29-251003-0001" and not seen.problems

    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH HỒ SƠ TIẾP NHẬN THÁNG 10/2025"])
    sheet.append(HEADERS)
    sheet.append(
        [
            1,
            "HS-X",
            "Thủ tục",
            "Hộ tịch",
            "A",
            "09",
            datetime(2025, 10, 3, 8, 30),
            datetime(2025, 10, 6, 17),
            None,
            "Trực tiếp",
            "Đang xử lý",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    seen = preview(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        code="mot-cua-hcm",
        data=buffer.getvalue(),
        filename="ds.xlsx",
    )
    assert seen.rows[0].row == 3 and seen.rows[0].values["received_at"] == "03/10/2025 08:30"
    assert not seen.problems


def _spec(**changes: object) -> ProfileSpec:
    base = {
        "columns": {
            "code": ["Số HS"],
            "received_at": ["Nhận"],
            "due_at": ["Hẹn"],
            "domain": ["LV"],
            "channel": ["Kênh"],
        },
        "defaults": {"unit": "ttpvhcc"},
        "ignore": ["Họ tên"],
    }
    return ProfileSpec.model_validate({**base, **changes})


def test_a_spec_refuses_what_would_store_false_for_unknown() -> None:
    with pytest.raises(ValueError, match="chưa rõ"):
        _spec(defaults={"digitized": "false"})
    with pytest.raises(ValueError, match="vừa được dùng"):
        _spec(ignore=["số hs"])
    with pytest.raises(ValueError, match="online"):
        _spec(values={"channel": {"Mạng": "internet"}})
    with pytest.raises(ValueError, match="dd/mm/yyyy HH:MM"):
        _spec(date_formats=["yyyy"])


def test_profiles_are_created_edited_and_deleted_with_audit(
    seeded: Session, clock: FixedClock
) -> None:
    created = service.create_profile(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        data=ProfileCreate(code="quan-7", name="Một cửa quận 7", spec=_spec()),
    )
    assert created.version == 1 and created.edited and not created.shipped
    with pytest.raises(Conflict):
        service.create_profile(
            db_session=seeded,
            actor=ADMIN,
            clock=clock,
            data=ProfileCreate(code="mot-cua-hcm", name="Trùng", spec=_spec()),
        )
    with pytest.raises(Forbidden):
        service.update_profile(
            db_session=seeded,
            actor=REPORTER,
            clock=clock,
            code="quan-7",
            data=ProfileUpdate(name="X"),
        )
    updated = service.update_profile(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        code="quan-7",
        data=ProfileUpdate(name="Một cửa quận 7 (2025)", version=1),
    )
    assert updated.version == 2
    with pytest.raises(Conflict) as stale:
        service.update_profile(
            db_session=seeded,
            actor=ADMIN,
            clock=clock,
            code="quan-7",
            data=ProfileUpdate(name="Cũ", version=1),
        )
    assert stale.value.code == "stale_version"
    service.delete_profile(db_session=seeded, actor=ADMIN, clock=clock, code="quan-7")
    events = seeded.exec(
        select(AuditEvent).where(AuditEvent.entity == "import_profile").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert events[1].before["name"] == "Một cửa quận 7" and events[1].after["version"] == 2


def test_editing_the_shipped_profile_keeps_a_copy_that_can_be_dropped(
    seeded: Session, clock: FixedClock
) -> None:
    shipped = service.get_profile(db_session=seeded, code="mot-cua-hcm")
    spec = shipped.spec.model_copy(
        update={"values": {**shipped.spec.values, "channel": {"Nộp qua mạng": "online"}}}
    )
    saved = service.update_profile(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        code="mot-cua-hcm",
        data=ProfileUpdate(spec=spec, version=0),
    )
    assert saved.shipped and saved.edited and saved.version == 1
    profile = service.load(db_session=seeded, code="mot-cua-hcm")
    assert profile.transform({"channel": "nop qua mang"})["channel"] == "online"
    service.delete_profile(db_session=seeded, actor=ADMIN, clock=clock, code="mot-cua-hcm")
    back = service.get_profile(db_session=seeded, code="mot-cua-hcm")
    assert back.version == 0 and not back.edited
    with pytest.raises(Conflict):
        service.delete_profile(db_session=seeded, actor=ADMIN, clock=clock, code="mot-cua-hcm")


def test_two_headers_for_one_field_are_both_mapped_for_the_runner_to_refuse(
    seeded: Session, clock: FixedClock
) -> None:
    profile = service.load(db_session=seeded, code="mot-cua-hcm")
    headers = [*HEADERS, "Ngày nhận hồ sơ"]
    mapped, _ = profile.header_map(headers)
    assert mapped["Ngày tiếp nhận"] == mapped["Ngày nhận hồ sơ"] == "received_at"
    assert resolve(seeded, None, headers) is None  # never guessed
    data = (",".join(headers) + "\n" + ",".join([*ROWS[0], "04/10/2025 08:00"])).encode()
    seen = preview(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        code="mot-cua-hcm",
        data=data,
        filename="ds.csv",
    )
    assert any(
        g.code == "duplicate_column" and "“Ngày tiếp nhận” và “Ngày nhận hồ sơ”" in g.message
        for g in seen.problems
    )


def _import_of(
    seeded: Session, clock: FixedClock, data: bytes, filename: str, kind: str
) -> ImportSummary:
    from app.uploads.files import upload_from_bytes

    upload = upload_from_bytes(data, kind, filename)
    try:
        return import_file(
            ImportKind.DOSSIERS,
            db_session=seeded,
            actor=ADMIN,
            clock=clock,
            upload=upload,
            options=ImportOptions(dry_run=True),
            profile_code="mot-cua-hcm",
        ).summary
    finally:
        upload.close()


#: The five tone marks, which code page 1258 keeps as combining characters after the letter.
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _windows_1258(text: str) -> bytes:
    """As Excel on Vietnamese Windows writes "CSV (Comma delimited)": letters with a tone mark
    become the base letter and a combining mark, the only way code page 1258 holds them."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tone = next(c for c in parts if c in _TONES)
            out += unicodedata.normalize("NFC", parts.replace(tone, "")).encode("cp1258")
            out += tone.encode("cp1258")
    return bytes(out)


def test_the_preview_reads_a_sample_as_the_import_does(seeded: Session, clock: FixedClock) -> None:
    """A sample is read by the import's own readers: a Windows-1258 file is refused by both
    with the same steps to save it again, a ``;`` UTF-8 file with a BOM is read by both, and a
    workbook with a title, a blank row and a totals row shows the rows the import reads, with
    Excel's row numbers."""
    from openpyxl import Workbook

    text = ";".join(HEADERS) + "\r\n" + "".join(";".join(r) + "\r\n" for r in ROWS)
    legacy = _windows_1258(text)
    with pytest.raises(Invalid) as caught:
        preview(
            db_session=seeded,
            actor=ADMIN,
            clock=clock,
            code="mot-cua-hcm",
            data=legacy,
            filename="ds.csv",
        )
    refused = _import_of(seeded, clock, legacy, "ds.csv", "csv")
    assert [e.code for e in refused.errors] == ["legacy_encoding"]
    assert caught.value.errors[0].code == "legacy_encoding"
    assert caught.value.message == refused.errors[0].message
    assert "Windows-1258" in caught.value.message

    excel_utf8 = b"\xef\xbb\xbf" + text.encode("utf-8")
    seen = preview(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        code="mot-cua-hcm",
        data=excel_utf8,
        filename="ds.csv",
    )
    imported = _import_of(seeded, clock, excel_utf8, "ds.csv", "csv")
    assert imported.status == ImportStatus.OK, imported.errors
    assert [r.row for r in seen.rows] == [2, 3] and not seen.problems
    assert seen.rows[1].values["domain"] == "chung-thuc"

    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH HỒ SƠ THÁNG 10/2025"])
    sheet.append([])
    sheet.append(HEADERS)
    sheet.append(ROWS[0])
    sheet.append([])
    sheet.append(ROWS[1])
    sheet.append(["Tổng cộng", None, None, None, None, None, None, None, None, None, "2 hồ sơ"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    seen = preview(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        code="mot-cua-hcm",
        data=data,
        filename="ds.xlsx",
    )
    imported = _import_of(seeded, clock, data, "ds.xlsx", "xlsx")
    assert imported.status == ImportStatus.OK, imported.errors
    assert [r.row for r in seen.rows] == [4, 6]  # Excel's row numbers; no totals row
    assert not seen.problems


def test_a_preview_of_an_old_xls_says_how_to_save_it(seeded: Session, clock: FixedClock) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    with pytest.raises(Invalid) as caught:
        preview(
            db_session=seeded,
            actor=ADMIN,
            clock=clock,
            code="mot-cua-hcm",
            data=ole,
            filename="ds.xls",
        )
    assert caught.value.errors[0].code == "xls_not_supported"
    assert ".xlsx" in caught.value.message
