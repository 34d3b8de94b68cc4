"""The city ranking as the CSV and Excel files the Department takes to its meetings."""

from __future__ import annotations

from fastapi.responses import Response, StreamingResponse

from app.city.service import CityRanking, WardStanding
from app.exports.writers import Column, ExportFormat, Kind, csv_chunks, xlsx_file

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _columns(result: CityRanking) -> list[Column]:
    columns = [
        Column("Hạng", lambda r: r.rank, Kind.COUNT),
        Column("Mã phường, xã", lambda r: r.code),
        Column("Phường, xã", lambda r: r.name),
        Column("Kế hoạch", lambda r: r.plan_number),
        Column("Kỳ", lambda r: r.period_label),
        Column("Điểm thực hiện kế hoạch", lambda r: r.score, Kind.NUMBER),
        Column("Chỉ tiêu đạt", lambda r: r.targets_met, Kind.COUNT),
        Column("Chỉ tiêu có số liệu", lambda r: r.targets_with_data, Kind.COUNT),
        Column("Đơn vị báo cáo đúng hạn", lambda r: r.units_on_time, Kind.COUNT),
        Column("Đơn vị phải báo cáo", lambda r: r.units_expected, Kind.COUNT),
        Column("Chỉ số SIPAS (%)", lambda r: r.sipas, Kind.PERCENT),
        Column("Số phiếu SIPAS", lambda r: r.sipas_responses, Kind.COUNT),
    ]
    for target in result.targets:

        def value(row: WardStanding, code: str = target.code) -> float | None:
            return row.values.get(code)

        columns.append(Column(target.name, value, Kind.NUMBER))
    columns.append(Column("Ghi chú", lambda r: r.problem))
    return columns


def ranking_file(result: CityRanking, fmt: ExportFormat) -> Response:
    name = f"xep-hang-phuong-xa-{result.period or 'ky-gan-nhat'}-{result.sort}"
    columns = _columns(result)
    if fmt == ExportFormat.CSV:
        return StreamingResponse(
            csv_chunks(columns, result.wards),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    file = xlsx_file(columns, result.wards, title="Xếp hạng phường, xã")
    return StreamingResponse(
        file,
        media_type=_XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )
