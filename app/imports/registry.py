"""The importer registry: every kind of file partrack imports, and the one call that imports it.

The API's four bulk routes and the upload page both import through ``import_file``, so a kind is
declared once (here) and a file is authorised once, at this service boundary, whichever door it
came in by. Each kind supplies how to set its importer up and how its natural key reads in an
error message; the runner (``bulk.run_import``) does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.dossiers.importer import make_dossier_importer, make_feedback_importer
from app.imports.profiles.recognition import finder
from app.imports.readings import make_progress_importer, make_reading_importer
from app.imports.templates import ImportKind
from app.permissions import Permission, authorize
from app.uploads.bulk import ImportOptions, ImportResult, run_import
from app.uploads.files import Upload


class MakeImporter(Protocol):
    """Sets a kind's importer up for one file (its plan, the columns a CSV header carries)."""

    def __call__(
        self,
        *,
        db_session: Session,
        actor: Actor,
        clock: Clock,
        upload: Upload,
        plan_code: str | None,
    ) -> Any: ...


@dataclass(frozen=True)
class ImporterEntry:
    make: MakeImporter
    #: The natural key as an error about two rows sharing it names it.
    key_label: str


IMPORTERS: dict[ImportKind, ImporterEntry] = {
    ImportKind.READINGS: ImporterEntry(make_reading_importer, "indicator, unit, period, domain"),
    ImportKind.PROGRESS: ImporterEntry(make_progress_importer, "assignment, unit, period"),
    ImportKind.DOSSIERS: ImporterEntry(make_dossier_importer, "code"),
    ImportKind.FEEDBACK: ImporterEntry(make_feedback_importer, "code"),
}


def import_file(
    kind: ImportKind,
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    upload: Upload,
    options: ImportOptions,
    keep_rejected: bool = False,
    profile_code: str | None = None,
    plan_code: str | None = None,
) -> ImportResult:
    """Import one file of ``kind`` in one transaction (``options``: dry run, partial).

    ``plan_code``: the plan whose calendar the dossier and feedback rates are computed for
    (readings and progress name their plan row by row). ``profile_code``: the mapping profile
    to read another system's export with; without it one is recognised from the header row.
    """
    authorize(actor, Permission.DATA_WRITE)
    entry = IMPORTERS[kind]
    importer = entry.make(
        db_session=db_session, actor=actor, clock=clock, upload=upload, plan_code=plan_code
    )
    return run_import(
        db_session=db_session,
        importer=importer,
        upload=upload,
        options=options,
        key_label=entry.key_label,
        keep_rejected=keep_rejected,
        find_profile=finder(db_session, profile_code, kind.value),
    )
