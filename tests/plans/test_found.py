"""The request's plan and units are found once per session (issue #17: a row save asked for its
plan four times and its unit five), and found again as soon as what was found may be stale."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session, select

from app import tenancy
from app.plans import service as plan_service
from app.plans.models import Plan
from tests.conftest import statements


def _plan_queries(seen: list[str]) -> list[str]:
    return [q for q in seen if re.search(r"\bFROM \"?plan\"?(\s|$)", q)]


def test_the_current_plan_is_asked_once_until_a_plan_is_written(seeded: Session) -> None:
    plan = seeded.exec(select(Plan)).one()
    seeded.commit()
    tenancy.enter(seeded, tenancy.Scope(ward_id=plan.ward_id, today=date(2025, 11, 20)))
    with statements(seeded.get_bind()) as every:  # type: ignore[arg-type]
        first = plan_service.get_plan(db_session=seeded, code=None)
        assert plan_service.get_plan(db_session=seeded, code=None) is first
        assert plan_service.get_plan(db_session=seeded, code=first.code) is first
        assert (
            len(_plan_queries(every)) == 2
        )  # one for the current plan, one for the plan by its code
        # A new plan for 2026 issued later becomes the current one of a day in 2026 only; a
        # plan written in the session forgets what was found, so the next ask sees it.
        seeded.add(
            Plan.model_validate(
                {
                    **first.model_dump(exclude={"id"}),
                    "code": "kh-2025-bis",
                    "issued_date": date(2025, 11, 1),
                }
            )
        )
        seeded.flush()
        assert plan_service.get_plan(db_session=seeded, code=None).code == "kh-2025-bis"
        asked = len(_plan_queries(every))
        seeded.rollback()  # the new plan never was
        assert plan_service.get_plan(db_session=seeded, code=None).code == first.code
        assert len(_plan_queries(every)) == asked + 1
    tenancy.leave(seeded)
