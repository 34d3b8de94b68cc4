"""Helpers for the integration tests: send files, count what the database holds."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.actors import SYSTEM
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.dossiers.models import Dossier, Feedback
from app.kpis.models import Reading
from app.progress.models import ProgressUpdate
from app.reporting import transitions
from app.uploads.models import ImportBatch


def send_csv(client: TestClient, path: str, text: str | bytes, **params: Any):
    body = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(path, content=body, params=params, headers={"Content-Type": "text/csv"})


def counts(engine: Engine) -> dict[str, int]:
    """How many rows each table that an import may write holds."""
    with Session(engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Reading, ProgressUpdate, AuditEvent, Dossier, Feedback, ImportBatch)
        }


def lock_period(engine: Engine, clock: FixedClock, unit: str, period: str) -> None:
    """Submit and approve a unit's report, which locks its data for that period."""
    with Session(engine, expire_on_commit=False) as session:
        transitions.submit(db_session=session, actor=SYSTEM, clock=clock, unit=unit, period=period)
        transitions.approve(db_session=session, actor=SYSTEM, clock=clock, unit=unit, period=period)


@pytest.fixture
def count_rows(clean_db: Engine):
    return lambda: counts(clean_db)
