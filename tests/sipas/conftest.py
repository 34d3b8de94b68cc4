"""SIPAS test helpers: answers written straight into the tables, an app with a small sample."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.kpis.models import Domain
from app.periods import Period
from app.sipas.models import Rating, RatingKind, Response
from app.sipas.questionnaire import ensure_questionnaire
from app.units.models import Unit
from tests.conftest import make_token


def add_answer(
    session: Session,
    clock: FixedClock,
    *,
    ratings: dict[str, int],
    expectations: dict[str, int] | None = None,
    unit: str = "ttpvhcc",
    month: str = "2025-11",
    domain: str | None = None,
    channel: str | None = None,
    comment: str = "",
    source: str = "open",
) -> str:
    """One stored answer, as the survey would store it (test set-up, not the code under test)."""
    questionnaire = ensure_questionnaire(db_session=session, clock=clock)
    unit_id = session.exec(select(Unit.id).where(Unit.code == unit)).one()
    domain_id = (
        session.exec(select(Domain.id).where(Domain.code == domain)).one() if domain else None
    )
    row = Response(
        id=uuid.uuid4().hex,
        questionnaire_id=questionnaire.id,
        month=month,
        period_start=Period.parse(month).start_date,
        unit_id=unit_id,
        domain_id=domain_id,
        channel=channel,
        source=source,
        comment=comment,
    )
    session.add(row)
    session.flush()
    for item, value in ratings.items():
        session.add(Rating(response_id=row.id, item=item, kind=RatingKind.CRITERION, value=value))
    for item, value in (expectations or {}).items():
        session.add(Rating(response_id=row.id, item=item, kind=RatingKind.EXPECTATION, value=value))
    session.commit()
    return row.id


#: The hand-computed fixture of docs/sipas.md: 3 answers, index 54,17%, mean score 3,29.
HAND_FIXTURE = [
    {"tc1": 5, "tc2": 4, "tt1": 3, "cc1": 5},
    {"tc1": 2, "tc2": 4, "tt1": 4, "cc1": 5, "kq1": 1},
    {"tc1": 4, "tt1": 5, "cc1": 3},
]


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in page"
    return found.group(1)


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


@pytest.fixture
def tune(application: FastAPI) -> Iterator[Callable[..., FastAPI]]:
    """The shared app with some settings changed for one test (cheaper than building an app)."""
    before = application.state.settings

    def apply(**overrides: object) -> FastAPI:
        application.state.settings = before.model_copy(update=overrides)
        return application

    yield apply
    application.state.settings = before


@pytest.fixture
def small_app(tune: Callable[..., FastAPI], seeded: Session) -> FastAPI:
    """An app whose minimum sample is 3, so the hand fixture is enough for an index."""
    return tune(sipas_min_sample=3)


def bearer(app: FastAPI, engine: Engine, clock: FixedClock, **user: str) -> TestClient:
    token = make_token(engine, clock, **user)  # type: ignore[arg-type]
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def admin_api(small_app: FastAPI, clean_db: Engine, clock: FixedClock) -> Iterator[TestClient]:
    with bearer(small_app, clean_db, clock, username="admin", role="admin") as client:
        yield client


@pytest.fixture
def public(small_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(small_app) as client:
        yield client
