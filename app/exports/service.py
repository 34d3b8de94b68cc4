"""Exports: the lists as CSV or Excel, with Vietnamese headers and values that stay values.

Every dataset is a list of columns (header, how to get the value, its kind) over the rows a list
service returns, so an export always matches the list it comes from, filters included. Text that
begins with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is prefixed with ``'``: a
spreadsheet then shows it as text and never runs it as a formula.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import IO

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.exports.datasets import DATASETS, Dataset, dataset_rows
from app.exports.writers import ExportFormat, csv_chunks, xlsx_file


def export_file(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    dataset: Dataset,
    fmt: ExportFormat,
    filters: Mapping[str, str | None],
) -> IO[bytes]:
    """The whole export written to a spooled file before anything is sent, so a refusal is a
    clean 4xx and the database session is done before the download starts."""
    columns, rows = dataset_rows(
        db_session=db_session, actor=actor, clock=clock, dataset=dataset, filters=filters
    )
    if fmt == ExportFormat.XLSX:
        return xlsx_file(columns, rows, title=DATASETS[dataset].title)
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    for chunk in csv_chunks(columns, rows):
        out.write(chunk)
    out.seek(0)
    return out
