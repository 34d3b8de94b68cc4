"""The plans service called directly: code arithmetic as pure functions, who a task applies to,
and the rules create/update/delete enforce."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlmodel import Session, select

from app import versioning
from app.actors import SYSTEM
from app.clock import FixedClock
from app.errors import Conflict, Invalid, NotFound
from app.plans import codes as plan_codes
from app.plans import service as plan_service
from app.plans import task_edits
from app.plans.models import (
    ASSIGNMENT_CODE_PATTERN,
    Assignment,
    AssignmentCreate,
    AssignmentUpdate,
)
from app.seed.service import load_data
from app.units import service as unit_service

SEED = load_data()
ROMANS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XIV", "XIX", "XX"]


# --- pure functions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("II.1.1.1", "002.001.001.001"),
        ("II.1.3.2", "002.001.003.002"),
        ("II.2.1.11", "002.002.001.011"),
        ("II.3.1", "002.003.001"),
        ("III.2.1", "003.002.001"),
        ("IV.1", "004.001"),
        ("IX.12", "009.012"),
        ("X.1", "010.001"),
        ("XIV.3.999", "014.003.999"),
    ],
)
def test_sort_key_for(code: str, key: str) -> None:
    assert plan_codes.sort_key_for(code) == key


def test_sort_keys_follow_the_plan_order() -> None:
    seeded = [a["code"] for a in SEED["assignments"]]
    assert sorted(seeded, key=plan_codes.sort_key_for) == seeded
    tricky = ["II.1.10", "II.1.9", "II.1.1.10", "II.1.2", "II.10.1", "III.1", "IX.1", "X.1", "IV.1"]
    assert sorted(tricky, key=plan_codes.sort_key_for) == [
        "II.1.1.10",
        "II.1.2",
        "II.1.9",
        "II.1.10",
        "II.10.1",
        "III.1",
        "IV.1",
        "IX.1",
        "X.1",
    ]


@pytest.mark.parametrize(("numeral", "value"), [(r, i) for i, r in enumerate(ROMANS[:11], 1)])
def test_roman_value(numeral: str, value: int) -> None:
    assert plan_codes.roman_value(numeral) == value


@pytest.mark.parametrize(("numeral", "value"), [("XIV", 14), ("XIX", 19), ("XXXIX", 39)])
def test_roman_value_of_larger_numerals(numeral: str, value: int) -> None:
    assert plan_codes.roman_value(numeral) == value


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("II.2.3.7", ("II.2.3", 7)),
        ("II.1.1.10", ("II.1.1", 10)),
        ("II.3.1", ("II.3", 1)),
        ("III.1", ("III", 1)),
    ],
)
def test_split_code(code: str, expected: tuple[str, int]) -> None:
    assert plan_codes.split_code(code) == expected


def test_split_code_agrees_with_the_seed() -> None:
    for item in SEED["assignments"]:
        assert plan_codes.split_code(item["code"]) == (item["section"], item["position"])


@given(
    st.lists(
        st.tuples(
            st.sampled_from(ROMANS),
            st.lists(st.integers(min_value=1, max_value=999), min_size=1, max_size=4),
        ),
        min_size=2,
        max_size=20,
    )
)
def test_sort_key_order_is_numeric_order(parts: list[tuple[str, list[int]]]) -> None:
    codes = [".".join([r, *map(str, nums)]) for r, nums in parts]
    for code in codes:
        assert re.match(ASSIGNMENT_CODE_PATTERN, code), code
    by_key = sorted(codes, key=plan_codes.sort_key_for)
    by_numbers = sorted(
        codes,
        key=lambda c: [plan_codes.roman_value(c.split(".")[0]), *map(int, c.split(".")[1:])],
    )
    assert by_key == by_numbers


@pytest.mark.parametrize("code", [a["code"] for a in SEED["assignments"]])
def test_every_seeded_code_is_accepted(code: str) -> None:
    assert re.match(ASSIGNMENT_CODE_PATTERN, code)


@pytest.mark.parametrize(
    "code", ["2.1", "II", "II.0", "II.01", "IIII.1", "IIV.1", "VX.1", "XL.1", "II.1000", "ii.1"]
)
def test_malformed_codes_are_refused_by_the_schema(code: str) -> None:
    with pytest.raises(ValidationError):
        AssignmentCreate(code=code, text="x", area="par1", lead_unit="vp")


# --- applies_to ----------------------------------------------------------------------------------


def _task(session: Session, code: str) -> Assignment:
    return session.exec(select(Assignment).where(Assignment.code == code)).one()


@pytest.mark.parametrize(
    ("code", "unit", "expected"),
    [
        ("II.1.1.1", "vhxh", True),  # all units
        ("II.1.1.1", "mttq", True),
        ("II.2.2.1", "vp", True),  # lead
        ("II.2.2.1", "vhxh", False),
        ("II.2.3.4", "vhxh", True),  # coordinator
        ("II.2.3.4", "ttpvhcc", True),
        ("II.2.3.4", "vp", False),
        ("II.3.1", "mttq", True),
        ("II.3.1", "phu-dinh", False),
    ],
)
def test_applies_to(seeded: Session, code: str, unit: str, expected: bool) -> None:
    task = _task(seeded, code)
    who = unit_service.get_by_code(db_session=seeded, code=unit)
    assert plan_service.applies_to(db_session=seeded, assignment=task, unit=who) is expected


def test_applies_to_agrees_with_the_unit_filter(seeded: Session) -> None:
    for unit_code in ("vhxh", "kthtdt"):
        unit = unit_service.get_by_code(db_session=seeded, code=unit_code)
        listed, total = plan_service.list_assignments(
            db_session=seeded,
            filters=plan_service.AssignmentFilters(unit=unit_code),
            limit=1000,
            offset=0,
        )
        applying = [
            a.code
            for a in seeded.exec(select(Assignment).order_by(Assignment.sort_key)).all()
            if plan_service.applies_to(db_session=seeded, assignment=a, unit=unit)
        ]
        assert [a.code for a in listed] == applying
        assert total == len(applying)


# --- plans ---------------------------------------------------------------------------------------


def test_get_plan_by_code_and_by_default(seeded: Session) -> None:
    assert plan_service.get_plan(db_session=seeded, code=None).code == "kh-84-2025"
    assert plan_service.get_plan(db_session=seeded, code="kh-84-2025").number == "84/KH-UBND"
    with pytest.raises(NotFound):
        plan_service.get_plan(db_session=seeded, code="khac")


def test_get_plan_with_no_plan_loaded(db_session: Session) -> None:
    with pytest.raises(NotFound) as info:
        plan_service.get_plan(db_session=db_session, code=None)
    assert info.value.code == "plan_not_found"


def test_validate_period_follows_the_plan_calendar(seeded: Session, clock: FixedClock) -> None:
    plan = plan_service.get_plan(db_session=seeded, code=None)
    today = clock.today()
    assert plan_service.validate_period(plan=plan, period="2025-10", today=today) == "2025-10"
    with pytest.raises(Invalid) as info:
        plan_service.validate_period(plan=plan, period="2025-12", today=today)
    assert info.value.errors[0].field == "period"
    with pytest.raises(Invalid):
        plan_service.validate_period(plan=plan, period="2025-Q4", today=today, field_name="p")


# --- create / update / delete --------------------------------------------------------------------


def test_create_derives_section_position_and_sort_key(seeded: Session, clock: FixedClock) -> None:
    read = task_edits.create_assignment(
        db_session=seeded,
        actor=SYSTEM,
        clock=clock,
        data=AssignmentCreate(
            code="II.2.1.12", text="Nhiệm vụ mới.", area="par1", lead_unit="vhxh"
        ),
    )
    assert (read.section, read.position) == ("II.2.1", 12)
    row = _task(seeded, "II.2.1.12")
    assert row.sort_key == "002.002.001.012"
    assert row.version == 1


def test_update_checks_the_version(seeded: Session, clock: FixedClock) -> None:
    with pytest.raises(Conflict) as info:
        task_edits.update_assignment(
            db_session=seeded,
            actor=SYSTEM,
            clock=clock,
            plan_code=None,
            code="II.2.2.1",
            data=AssignmentUpdate(text="Sửa.", version=7),
        )
    assert info.value.code == "stale_version"
    assert "phiên bản hiện tại 1" in info.value.message


def test_check_version_accepts_the_current_or_no_version() -> None:
    versioning.check_version(current=3, expected=3, what="X")
    versioning.check_version(current=3, expected=None, what="X")
    with pytest.raises(Conflict):
        versioning.check_version(current=3, expected=2, what="X")


def test_delete_removes_the_coordinator_links(seeded: Session, clock: FixedClock) -> None:
    task_edits.create_assignment(
        db_session=seeded,
        actor=SYSTEM,
        clock=clock,
        data=AssignmentCreate(
            code="II.2.4.5",
            text="Nhiệm vụ mới.",
            area="par6",
            lead_unit="kthtdt",
            coordinating_units=["vp"],
        ),
    )
    vp = unit_service.get_by_code(db_session=seeded, code="vp")
    before = unit_service.references(db_session=seeded, unit=vp)["nhiệm vụ phối hợp"]
    task_edits.delete_assignment(db_session=seeded, actor=SYSTEM, plan_code=None, code="II.2.4.5")
    after = unit_service.references(db_session=seeded, unit=vp).get("nhiệm vụ phối hợp", 0)
    assert after == before - 1


def test_list_areas_in_position_order(seeded: Session) -> None:
    assert [a.code for a in plan_service.list_areas(db_session=seeded)] == [
        a["code"] for a in SEED["areas"]
    ]


def test_a_concurrent_update_is_refused_not_overwritten(seeded: Session, clock: FixedClock) -> None:
    """Two editors read version 1; the second to save gets a 409, even though its check of the
    version it read passed before the first one committed."""
    stale = _task(seeded, "II.2.2.1")  # this session read version 1 and keeps it in memory
    assert stale.version == 1
    with Session(seeded.get_bind(), expire_on_commit=False) as other:
        first = task_edits.update_assignment(
            db_session=other,
            actor=SYSTEM,
            clock=clock,
            plan_code=None,
            code="II.2.2.1",
            data=AssignmentUpdate(text="Người thứ nhất sửa.", version=1),
        )
    assert first.version == 2
    with pytest.raises(Conflict) as info:
        task_edits.update_assignment(
            db_session=seeded,
            actor=SYSTEM,
            clock=clock,
            plan_code=None,
            code="II.2.2.1",
            data=AssignmentUpdate(text="Người thứ hai sửa.", version=1),
        )
    assert info.value.code == "stale_version"
    seeded.expire_all()
    row = _task(seeded, "II.2.2.1")
    assert (row.text, row.version) == ("Người thứ nhất sửa.", 2)


def test_every_table_pointing_at_a_task_blocks_its_delete_under_a_vietnamese_name() -> None:
    """The delete check follows the foreign keys (``app.references``): a table added later that
    refers to a task (evidence, coordination replies …) blocks the delete by itself, and must be
    named in the refusal. The task's own coordinating units go with it."""
    from sqlmodel import SQLModel

    import app.models  # noqa: F401  (the registry of every table)
    from app.plans import task_edits

    pointing = {
        table.name
        for table in SQLModel.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "assignment"
    }
    assert {"progress_update", "indicator", "evidence_item"} <= pointing
    assert pointing - {"assignment_coordinator"} == set(task_edits._IN_USE_LABELS)
