"""The dossier and feedback importers: each feed's columns and fields, and the import's entry
point the importer registry (``app/imports/registry.py``) calls."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.db import table_of
from app.dossiers.metrics import (
    Feed,
)
from app.dossiers.models import (
    Dossier,
    Feedback,
)
from app.dossiers.recompute import recompute
from app.dossiers.rows import (
    DOSSIER_COLUMNS,
    DOSSIER_REQUIRED,
    FEEDBACK_COLUMNS,
    FEEDBACK_REQUIRED,
    FLAG_FIELDS,
    DossierRow,
    FeedbackRow,
    parse_dossier,
    parse_feedback,
)
from app.dossiers.upsert import RecordImporter, iso_value
from app.plans import service as plan_service
from app.units.models import Unit
from app.uploads.files import Upload


class DossierImporter(RecordImporter):
    kind = "dossiers"
    table = table_of(Dossier)
    entity = "dossier"
    columns = DOSSIER_COLUMNS
    required = DOSSIER_REQUIRED
    defaults = dict.fromkeys(FLAG_FIELDS)

    def parse(self, values: dict[str, Any]) -> DossierRow:
        return parse_dossier(values, now=self.now, carried=self.carried)

    def fields_of(self, row: DossierRow, unit: Unit) -> dict[str, Any]:
        domain_id = self._domain_ids.get(row.domain)
        if domain_id is None:
            domain = self.lookups.domain(row.domain)
            assert domain.id is not None
            domain_id = self._domain_ids[row.domain] = domain.id
            self._domains[domain.id] = domain.code
        return {
            "code": row.code,
            "unit_id": unit.id,
            "procedure_code": row.procedure_code,
            "procedure_name": row.procedure_name,
            "domain_id": domain_id,
            "channel": row.channel,
            "received_at": row.received.at,
            "due_at": row.due.at,
            "completed_at": row.completed.at if row.completed else None,
            "returned_at": row.returned.at if row.returned else None,
            **row.flags,
            "received_on": row.received.local_day,
            "completed_on": row.completed.local_day if row.completed else None,
        }

    def days_of(self, fields: RowMapping | dict[str, Any]) -> Iterable[date | None]:
        return (fields["received_on"], fields["completed_on"])

    def snapshot(self, fields: RowMapping | dict[str, Any]) -> dict[str, Any]:
        out = {k: iso_value(fields[k]) for k in DOSSIER_COLUMNS if k not in {"unit", "domain"}}
        out["unit"] = self.unit_by_id(fields["unit_id"]).code
        out["domain"] = self.domain_code(fields["domain_id"])
        return out

    def finish(self) -> None:
        self.conflict_keys = recompute(
            db_session=self.db_session,
            actor=self.actor,
            lookups=self.lookups,
            plan=self.plan,
            feed=Feed.DOSSIER,
            pairs=self.touched,
        )


class FeedbackImporter(RecordImporter):
    kind = "feedback"
    table = table_of(Feedback)
    entity = "feedback"
    columns = FEEDBACK_COLUMNS
    required = FEEDBACK_REQUIRED

    def parse(self, values: dict[str, Any]) -> FeedbackRow:
        return parse_feedback(values, now=self.now)

    def fields_of(self, row: FeedbackRow, unit: Unit) -> dict[str, Any]:
        return {
            "code": row.code,
            "unit_id": unit.id,
            "channel": row.channel,
            "kind": row.kind,
            "received_at": row.received.at,
            "due_at": row.due.at,
            "resolved_at": row.resolved.at if row.resolved else None,
            "satisfied": row.satisfied,
            "received_on": row.received.local_day,
            "resolved_on": row.resolved.local_day if row.resolved else None,
        }

    def days_of(self, fields: RowMapping | dict[str, Any]) -> Iterable[date | None]:
        return (fields["resolved_on"],)

    def snapshot(self, fields: RowMapping | dict[str, Any]) -> dict[str, Any]:
        out = {k: iso_value(fields[k]) for k in FEEDBACK_COLUMNS if k != "unit"}
        out["unit"] = self.unit_by_id(fields["unit_id"]).code
        return out

    def finish(self) -> None:
        self.conflict_keys = recompute(
            db_session=self.db_session,
            actor=self.actor,
            lookups=self.lookups,
            plan=self.plan,
            feed=Feed.FEEDBACK,
            pairs=self.touched,
        )


def csv_columns(upload: Upload) -> frozenset[str] | None:
    """The columns a CSV file's header names (None for JSON, whose rows say it key by key):
    an empty cell means "no", a column the file lacks means "not known"."""
    if upload.kind != "csv":
        return None
    upload.file.seek(0)
    text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
    try:
        for cells in csv.reader(text):
            if any(cell.strip() for cell in cells):
                return frozenset(cell.strip().lower() for cell in cells)
    except (UnicodeDecodeError, csv.Error):
        pass  # the import itself says what is wrong with the file
    finally:
        text.detach()
        upload.file.seek(0)
    return frozenset()


def make_dossier_importer(
    *, db_session: Session, actor: Actor, clock: Clock, upload: Upload, plan_code: str | None
) -> DossierImporter:
    """``POST /dossiers/bulk``: upsert dossiers by code and recompute the periods they touch."""
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    return DossierImporter(
        db_session=db_session, actor=actor, clock=clock, plan=plan, carried=csv_columns(upload)
    )


def make_feedback_importer(
    *, db_session: Session, actor: Actor, clock: Clock, upload: Upload, plan_code: str | None
) -> FeedbackImporter:
    """``POST /feedback/bulk``: upsert feedback by code and recompute the periods it touches."""
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    return FeedbackImporter(
        db_session=db_session, actor=actor, clock=clock, plan=plan, carried=csv_columns(upload)
    )
