"""The names pages show in place of codes: one query per table whatever the number of rows."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from app.names import SYSTEM_NAME, Names, names_for, reading_key_name
from tests.conftest import make_user, statements


def test_each_table_is_read_once_and_only_when_used(
    seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="bc.vp", role="reporter", unit="vp")
    names = names_for(seeded)
    assert names_for(seeded) is names  # one per session, so one per request
    with statements(clean_db) as seen:
        for _ in range(50):
            assert names.unit("vp") == "VP HĐND-UBND"
            assert names.unit_name("vp") == "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân phường"
            assert names.person("bc.vp") == "Người dùng bc.vp"
            assert names.domain("ho-tich") == "Hộ tịch"
    assert len(seen) == 3  # units, people, domains; never the tables not asked for
    with statements(clean_db) as seen:
        assert names.indicator("tthc_ontime", "kh-84-2025") == (
            "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn"
        )
        assert names.indicator("tthc_ontime") == "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn"
        assert names.task("II.1.1.1", "kh-84-2025").startswith("Tiếp tục triển khai")
        assert names.area("par1") != "par1"
    assert len(seen) == 3


def test_what_is_unknown_stands_as_its_code(seeded: Session) -> None:
    names = Names(seeded)
    assert names.unit("da-giai-the") == "da-giai-the"
    assert names.person("nguoi.da.xoa") == "nguoi.da.xoa"  # the account is gone
    assert names.person("system") == SYSTEM_NAME
    assert names.unit(None) == "" and names.person("") == ""
    assert names.task("IX.9", "kh-84-2025") == ""
    key = "tthc_ontime/ttpvhcc/2025-10/-"
    assert reading_key_name(names, key) == (
        "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn · TTPVHCC · Tháng 10/2025"
    )


def test_detached_names_answer_from_what_they_read(seeded: Session, clean_db: Engine) -> None:
    names = Names(seeded)
    assert names.unit("vp") == "VP HĐND-UBND"
    names.detach()
    with statements(clean_db) as seen:
        assert names.unit("vp") == "VP HĐND-UBND"
        assert names.domain("ho-tich") == "ho-tich"
    assert seen == []
