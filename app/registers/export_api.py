"""The registers' exports (``/api/v1/{register}.csv`` and ``.xlsx``): every row the filters select,
headed by the Vietnamese labels the import reads back, so an exported file re-imports unchanged.

A web module: the spreadsheet writers belong to the exports package, which the domain layer of
the registers must not import (the workspace, a domain module, shows register rows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import Response, StreamingResponse

from app.exports.writers import Column, Kind, csv_chunks, xlsx_file
from app.registers.fields import FieldKind, FieldSpec
from app.registers.specs import RegisterSpec

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_KINDS = {FieldKind.DATE: Kind.DATE, FieldKind.NUMBER: Kind.NUMBER, FieldKind.YEAR: Kind.NUMBER}
#: Written as the text a form takes: a choice's label, people and monthly figures as typed.
_AS_TEXT = {FieldKind.CHOICE: "shown", FieldKind.PEOPLE: "shown", FieldKind.MONTHLY: "typed"}


def _getter(spec_field: FieldSpec) -> Callable[[Any], Any]:
    how = _AS_TEXT.get(spec_field.kind)
    if how is not None:
        write = getattr(spec_field, how)
        return lambda row: write(getattr(row, spec_field.name)).replace("\n", "; ")
    return lambda row: getattr(row, spec_field.name)


def columns(spec: RegisterSpec) -> list[Column]:
    found = [Column("Mã", lambda r: r.code), Column("Đơn vị", lambda r: r.unit)]
    for f in spec.fields:
        kind = Kind.TEXT if f.kind in _AS_TEXT else _KINDS.get(f.kind, Kind.TEXT)
        found.append(Column(f.label, _getter(f), kind))
    found.append(Column("Nhiệm vụ kế hoạch", lambda r: "; ".join(r.tasks)))
    return found


def file_response(spec: RegisterSpec, rows: list[Any], fmt: str) -> Response:
    name = f"so-{spec.slug}"
    if fmt == "csv":
        return StreamingResponse(
            csv_chunks(columns(spec), rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return StreamingResponse(
        xlsx_file(columns(spec), rows, title=spec.title),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )
