"""The units service called directly: the tree, the references that block a delete, search."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.errors import Conflict, Invalid, NotFound
from app.seed.service import load_data
from app.units import service as unit_service
from app.units.models import Unit, UnitCreate, UnitKind, UnitUpdate

SEED = load_data()


def make(session: Session, clock: FixedClock, code: str, parent: str | None = None) -> Unit:
    unit_service.create_unit(
        db_session=session,
        actor=SYSTEM,
        clock=clock,
        data=UnitCreate(code=code, name=f"Đơn vị {code}", short_name=code, parent=parent),
    )
    return unit_service.get_by_code(db_session=session, code=code)


def test_references_of_a_new_unit_are_empty(seeded: Session, clock: FixedClock) -> None:
    unit = make(seeded, clock, "to-moi", parent="phu-dinh")
    assert unit_service.references(db_session=seeded, unit=unit) == {}


def test_references_count_what_points_at_a_seeded_unit(seeded: Session) -> None:
    vhxh = unit_service.get_by_code(db_session=seeded, code="vhxh")
    refs = unit_service.references(db_session=seeded, unit=vhxh)
    assert refs["nhiệm vụ chủ trì"] == sum(
        1 for a in SEED["assignments"] if a["lead_unit"] == "vhxh"
    )
    assert refs["nhiệm vụ phối hợp"] == sum(
        1 for a in SEED["assignments"] if "vhxh" in a["coordinating_units"]
    )
    assert refs["kế hoạch"] == 1  # vhxh coordinates the plan
    n_ind = sum(1 for i in SEED["indicators"] if i["responsible_unit"] == "vhxh")
    assert refs.get("chỉ tiêu phụ trách", 0) == n_ind
    assert "đơn vị cấp dưới" not in refs


def test_references_of_the_root_count_its_children(seeded: Session) -> None:
    root = unit_service.get_by_code(db_session=seeded, code="phu-dinh")
    refs = unit_service.references(db_session=seeded, unit=root)
    assert refs["đơn vị cấp dưới"] == 5
    assert refs["kế hoạch"] == 1  # the committee issued the plan


def test_delete_refuses_a_referenced_unit_and_keeps_it(seeded: Session) -> None:
    with pytest.raises(Conflict) as info:
        unit_service.delete_unit(db_session=seeded, actor=SYSTEM, code="mttq")
    assert info.value.code == "unit_in_use"
    assert "nhiệm vụ chủ trì" in info.value.message
    assert unit_service.get_by_code(db_session=seeded, code="mttq").active


def test_delete_removes_an_unreferenced_unit(db_session: Session, clock: FixedClock) -> None:
    make(db_session, clock, "to-moi")
    unit_service.delete_unit(db_session=db_session, actor=SYSTEM, code="to-moi")
    with pytest.raises(NotFound):
        unit_service.get_by_code(db_session=db_session, code="to-moi")


def test_get_many_keeps_the_order_given_and_names_the_field(seeded: Session) -> None:
    got = unit_service.get_many(db_session=seeded, codes=["vp", "vhxh"], field_name="x")
    assert [u.code for u in got] == ["vp", "vhxh"]
    assert unit_service.get_many(db_session=seeded, codes=[], field_name="x") == []
    with pytest.raises(NotFound) as info:
        unit_service.get_many(db_session=seeded, codes=["vp", "nope"], field_name="coord")
    assert "nope" in info.value.message and "coord" in info.value.message


def test_codes_by_id_ignores_none(seeded: Session) -> None:
    vp = unit_service.get_by_code(db_session=seeded, code="vp")
    assert unit_service.codes_by_id(db_session=seeded, ids=[vp.id, None]) == {vp.id: "vp"}
    assert unit_service.codes_by_id(db_session=seeded, ids=[None]) == {}


def test_update_refuses_a_cycle_through_several_levels(
    db_session: Session, clock: FixedClock
) -> None:
    make(db_session, clock, "a")
    make(db_session, clock, "b", parent="a")
    make(db_session, clock, "c", parent="b")
    with pytest.raises(Invalid) as info:
        unit_service.update_unit(
            db_session=db_session, actor=SYSTEM, clock=clock, code="a", data=UnitUpdate(parent="c")
        )
    assert [(e.field, e.code) for e in info.value.errors] == [("parent", "parent_cycle")]
    db_session.rollback()
    a = unit_service.get_by_code(db_session=db_session, code="a")
    assert a.parent_id is None


def test_update_moves_a_subtree(db_session: Session, clock: FixedClock) -> None:
    make(db_session, clock, "a")
    make(db_session, clock, "b", parent="a")
    make(db_session, clock, "z")
    read = unit_service.update_unit(
        db_session=db_session, actor=SYSTEM, clock=clock, code="b", data=UnitUpdate(parent="z")
    )
    assert read.parent == "z"
    read = unit_service.update_unit(
        db_session=db_session,
        actor=SYSTEM,
        clock=clock,
        code="b",
        data=UnitUpdate(kind=UnitKind.CENTRE),
    )
    assert (read.parent, read.kind) == ("z", "centre")


def test_list_units_search_is_case_insensitive_in_vietnamese(seeded: Session) -> None:
    items, total = unit_service.list_units(
        db_session=seeded, active=None, parent=None, q="ĐÔ THỊ", limit=10, offset=0
    )
    assert [u.code for u in items] == ["kthtdt"] and total == 1


def test_list_units_search_pages_after_filtering(seeded: Session) -> None:
    items, total = unit_service.list_units(
        db_session=seeded, active=True, parent="phu-dinh", q="phòng", limit=2, offset=1
    )
    assert total == 3
    assert [u.code for u in items] == ["vhxh", "vp"]


def test_delete_refuses_a_unit_only_an_account_points_at(
    seeded: Session, clock: FixedClock
) -> None:
    """Every table with a foreign key to a unit blocks the delete, not only the plan's tables:
    before the check followed the foreign keys, a unit whose only link was a user account (or a
    report, a coordination reply …) reached the database's constraint and answered 500."""
    from app.accounts import service as account_service
    from app.accounts.models import UserCreate
    from app.permissions import Role

    make(seeded, clock, "to-tk", parent="phu-dinh")
    account_service.create_user(
        db_session=seeded,
        actor=SYSTEM,
        clock=clock,
        data=UserCreate(
            username="canbo-totk",
            full_name="Cán bộ Tổ TK",
            role=Role.REPORTER,
            unit="to-tk",
            password="Mat-khau-tam-2025",
        ),
    )
    with pytest.raises(Conflict) as info:
        unit_service.delete_unit(db_session=seeded, actor=SYSTEM, code="to-tk")
    assert info.value.code == "unit_in_use"
    assert "1 tài khoản người dùng" in info.value.message
    assert unit_service.get_by_code(db_session=seeded, code="to-tk") is not None


def test_every_table_pointing_at_a_unit_has_a_vietnamese_label() -> None:
    """A new table with a unit column must be named in the refusal, not by its table name."""
    from sqlmodel import SQLModel

    import app.models  # noqa: F401  (the registry of every table)

    pointing = {
        table.name
        for table in SQLModel.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "unit"
    }
    assert pointing - set(unit_service._REFERENCE_LABELS) == set()


def test_a_unit_is_asked_once_per_session_and_again_once_it_left(
    seeded: Session, clock: FixedClock
) -> None:
    """A row save asks for its unit five times (issue #17); the session answers from what it
    found, but never with a unit rolled back or deleted."""
    from tests.conftest import statements

    with statements(seeded.get_bind()) as seen:  # type: ignore[arg-type]
        first = unit_service.get_by_code(db_session=seeded, code="vhxh")
        again = unit_service.get_by_code(db_session=seeded, code="vhxh")
    assert again is first and len(seen) == 1
    ward = unit_service.get_by_code(db_session=seeded, code="vhxh").ward_id
    now = clock.now()
    seeded.add(
        Unit(
            code="to-tam",
            name="Tổ tạm",
            short_name="Tạm",
            kind=UnitKind.OFFICE,
            ward_id=ward,
            created_at=now,
            updated_at=now,
        )
    )
    seeded.flush()
    assert unit_service.get_by_code(db_session=seeded, code="to-tam").code == "to-tam"
    seeded.rollback()  # the unit never was
    with pytest.raises(NotFound):
        unit_service.get_by_code(db_session=seeded, code="to-tam")
    make(seeded, clock, "to-xoa")
    seeded.commit()
    unit_service.delete_unit(db_session=seeded, actor=SYSTEM, clock=clock, code="to-xoa")
    seeded.flush()
    with pytest.raises(NotFound):
        unit_service.get_by_code(db_session=seeded, code="to-xoa")
