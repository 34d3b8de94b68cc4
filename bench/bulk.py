"""Bulk import speed: the HTTP endpoints against a raw SQLAlchemy Core insert, in one run.

For each database (SQLite, and PostgreSQL when reachable) this builds two fresh databases with
the same schema and Plan 84 seed: one receives the rows through a running ``partrack serve`` as a
CSV upload, the other through a plain ``executemany`` of the same rows. It prints rows/s of both
and their ratio (goals: readings ≥ 0.5, dossiers with KPI recomputation ≥ 0.3), and the server's
peak memory (VmHWM) during the dossier import (goal < 300 MB). Both sides warm up first (a
dry run of the file's first 1,000 rows; the first raw batch inserted and rolled back) and both
processes collect garbage with the server's thresholds (``app.runtime``). Nothing here is a
test: the numbers are for people and for the README.

    .venv/bin/python bench/bulk.py                      # 100,000 readings, 1,000,000 dossiers
    .venv/bin/python bench/bulk.py --readings 20000 --dossiers 100000 --backends sqlite
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulk_setup import (  # noqa: E402
    BATCH,
    DOSSIER_HEADER,
    PG_SERVER,
    READING_HEADER,
    UNITS,
    XLSX,
    Databases,
    Server,
    admin_token,
    dossier_rows,
    periods,
    pg_reachable,
    prepare,
    reading_rows,
    upload,
    warm_up,
    warm_up_raw,
)

from app.clock import VIETNAM_TZ  # noqa: E402
from app.dossiers.models import Dossier  # noqa: E402
from app.kpis.models import Domain, Indicator, Reading  # noqa: E402
from app.periods import Period  # noqa: E402
from app.runtime import tune_gc  # noqa: E402
from app.units.models import Unit  # noqa: E402

# --- the two ways in ---------------------------------------------------------------------------


def raw_readings(engine: Engine, rows: list[dict[str, object]]) -> float:
    """Seconds for a plain executemany of the same readings (ids resolved beforehand)."""
    with Session(engine) as session:
        units = dict(session.execute(select(Unit.code, Unit.id)).all())
        domains = dict(session.execute(select(Domain.code, Domain.id)).all())
        indicator = session.execute(
            select(Indicator.id).where(Indicator.code == "tthc_ontime")
        ).scalar_one()
    now = datetime.now(UTC)
    values = []
    for r in rows:
        p = Period.parse(str(r["period"]))
        values.append(
            {
                "indicator_id": indicator,
                "unit_id": units[r["unit"]],
                "period": str(p),
                "period_start": p.start_date,
                "period_end": p.end_date,
                "domain_id": domains[r["domain"]],
                "value": r["value"],
                "numerator": None,
                "denominator": None,
                "note": "",
                "evidence_url": "",
                "source": "import",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    warm_up_raw(engine, Reading.__table__, values)
    started = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(values), BATCH):
            conn.execute(insert(Reading.__table__), values[i : i + BATCH])  # type: ignore[arg-type]
    return time.perf_counter() - started


def raw_dossiers(engine: Engine, rows: list[list[str]]) -> float:
    with Session(engine) as session:
        units = dict(session.execute(select(Unit.code, Unit.id)).all())
        wards = dict(session.execute(select(Unit.id, Unit.ward_id)).all())
        domains = dict(session.execute(select(Domain.code, Domain.id)).all())
    now = datetime.now(UTC)

    def moment(text_value: str) -> datetime | None:
        return datetime.fromisoformat(text_value).replace(tzinfo=VIETNAM_TZ) if text_value else None

    values = []
    for r in rows:
        received, due, completed = moment(r[6]), moment(r[7]), moment(r[8])
        assert received is not None
        values.append(
            {
                "ward_id": wards[units[r[1]]],
                "code": r[0],
                "unit_id": units[r[1]],
                "procedure_code": r[2],
                "procedure_name": r[3],
                "domain_id": domains[r[4]],
                "channel": r[5],
                "received_at": received,
                "due_at": due,
                "completed_at": completed,
                "returned_at": None,
                "rescheduled": r[10] == "true",
                "fully_online": r[11] == "true",
                "digitized": r[12] == "true",
                "e_result": r[13] == "true",
                "reused_data": r[14] == "true",
                "paid_online": r[15] == "true",
                "received_on": received.date(),
                "completed_on": completed.date() if completed else None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    warm_up_raw(engine, Dossier.__table__, values)
    started = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(values), BATCH):
            conn.execute(insert(Dossier.__table__), values[i : i + BATCH])  # type: ignore[arg-type]
    return time.perf_counter() - started


# --- the run -------------------------------------------------------------------------------------


def bench_backend(backend: str, n_readings: int, n_dossiers: int) -> list[str]:
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="partrack-bench-") as tmp:
        workdir = Path(tmp)
        dbs = Databases(backend, workdir)
        try:
            if n_readings:
                domain_count = n_readings // (len(UNITS) * 7) + 2
                api_url, raw_url = dbs.new("readings_api"), dbs.new("readings_raw")
                api_engine = prepare(api_url, domains=domain_count)
                raw_engine = prepare(raw_url, domains=domain_count)
                period_list = periods(api_engine)
                rows = reading_rows(n_readings, domain_count, period_list)
                file = workdir / "readings.csv"
                with file.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.DictWriter(
                        handle, ["indicator", "unit", "period", "domain", "value"]
                    )
                    writer.writeheader()
                    writer.writerows(rows)
                token = admin_token(api_engine)
                raw_seconds = raw_readings(raw_engine, rows)
                server = Server(api_url)
                try:
                    warm_up(server, token, "/api/v1/readings/bulk", file)
                    api_seconds, body = upload(server, token, "/api/v1/readings/bulk", file)
                finally:
                    server.stop()
                assert body["created"] == n_readings, body
                lines.append(
                    f"{backend:10s} readings  {n_readings:>9,d} rows  "
                    f"API {n_readings / api_seconds:>9,.0f} rows/s  "
                    f"raw {n_readings / raw_seconds:>9,.0f} rows/s  "
                    f"ratio {raw_seconds / api_seconds:.2f}  (goal ≥ 0.5)"
                )
                print(lines[-1], flush=True)
                if backend == "postgresql":
                    lines.append(copy_leg(workdir, dbs, rows, domain_count, api_seconds))
                    print(lines[-1], flush=True)
                lines += extra_reading_legs(workdir, dbs, rows, domain_count, backend)
                api_engine.dispose()
                raw_engine.dispose()
            if n_dossiers:
                lines.append(dossiers_leg(workdir, dbs, backend, n_dossiers))
        finally:
            dbs.drop_all()
    return lines


def dossiers_leg(workdir: Path, dbs: Databases, backend: str, n_dossiers: int) -> str:
    """The dossier file through the API against a raw insert of the same rows (with KPI
    recomputation on the API side), and the server's peak memory during it."""
    api_url, raw_url = dbs.new("dossiers_api"), dbs.new("dossiers_raw")
    api_engine = prepare(api_url, domains=0)
    raw_engine = prepare(raw_url, domains=0)
    rows_d = dossier_rows(n_dossiers)
    file = workdir / "dossiers.csv"
    with file.open("w", newline="", encoding="utf-8") as handle:
        writer2 = csv.writer(handle)
        writer2.writerow(DOSSIER_HEADER)
        writer2.writerows(rows_d)
    token = admin_token(api_engine)
    raw_seconds = raw_dossiers(raw_engine, rows_d)
    del rows_d
    server = Server(api_url)
    try:
        warm_up(server, token, "/api/v1/dossiers/bulk", file)
        api_seconds, body = upload(server, token, "/api/v1/dossiers/bulk", file)
        peak = server.peak_rss_mb()
    finally:
        server.stop()
    assert body["created"] == n_dossiers, body
    with Session(api_engine) as session:
        computed = session.execute(
            text("SELECT count(*) FROM kpi_reading WHERE source = 'computed'")
        ).scalar_one()
    line = (
        f"{backend:10s} dossiers  {n_dossiers:>9,d} rows  "
        f"API {n_dossiers / api_seconds:>9,.0f} rows/s  "
        f"raw {n_dossiers / raw_seconds:>9,.0f} rows/s  "
        f"ratio {raw_seconds / api_seconds:.2f}  (goal ≥ 0.3; {computed} computed "
        f"readings)  server peak {peak:,.0f} MB (goal < 300)  "
        f"file {file.stat().st_size / 1024**2:,.0f} MB"
    )
    print(line, flush=True)
    api_engine.dispose()
    raw_engine.dispose()
    return line


def copy_leg(
    workdir: Path, dbs: Databases, rows: list[dict[str, object]], domains: int, api_seconds: float
) -> str:
    """PostgreSQL's own ``COPY … FROM STDIN`` of the same readings (ids resolved beforehand,
    as the raw executemany does): the fastest way rows get in, against the API's import."""
    url = dbs.new("readings_copy")
    engine = prepare(url, domains=domains)
    with Session(engine) as session:
        ids = _reading_ids(session)
    now = datetime.now(UTC).isoformat()
    buffer = io.StringIO()
    for r in rows:
        p = Period.parse(str(r["period"]))
        buffer.write(
            f"{ids['indicator']},{ids[str(r['unit'])]},{p},{p.start_date},{p.end_date},"
            f'{ids[str(r["domain"])]},{r["value"]},"","",import,1,{now},{now}\n'
        )
    data = buffer.getvalue()
    columns = (
        "indicator_id, unit_id, period, period_start, period_end, domain_id, value, note, "
        "evidence_url, source, version, created_at, updated_at"
    )
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        cursor = raw.cursor()
        with cursor.copy(f"COPY kpi_reading ({columns}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(data)
        raw.commit()
        copy_seconds = time.perf_counter() - started
    finally:
        raw.close()
        engine.dispose()
    n = len(rows)
    return (
        f"postgresql readings  {n:>9,d} rows  API {n / api_seconds:>9,.0f} rows/s  "
        f"COPY {n / copy_seconds:>9,.0f} rows/s  ratio {copy_seconds / api_seconds:.2f}  "
        "(goal ≥ 0.3)"
    )


def _reading_ids(session: Session) -> dict[str, int]:
    out: dict[str, int] = {}
    indicator = session.execute(
        select(Indicator.id).where(Indicator.code == "tthc_ontime")
    ).scalar_one()
    out["indicator"] = indicator
    for code, unit_id in session.execute(select(Unit.code, Unit.id)):
        out[code] = unit_id
    for code, domain_id in session.execute(select(Domain.code, Domain.id)):
        out[code] = domain_id
    return out


def extra_reading_legs(
    workdir: Path, dbs: Databases, rows: list[dict[str, object]], domains: int, backend: str
) -> list[str]:
    """The same readings as an .xlsx (against openpyxl reading it alone), and a file where every
    row names one of 7 unknown units (answer size and server memory)."""
    from openpyxl import Workbook, load_workbook

    lines: list[str] = []
    n = len(rows)

    def workbook(path: Path, some: list[dict[str, object]]) -> Path:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Số liệu")
        sheet.append(READING_HEADER)
        for r in some:
            sheet.append([r[c] for c in READING_HEADER])
        book.save(path)
        return path

    def openpyxl_alone(path: Path) -> float:
        started = time.perf_counter()
        loaded = load_workbook(path, read_only=True, data_only=True)
        for _ in loaded.worksheets[0].iter_rows(values_only=True):
            pass
        loaded.close()
        return time.perf_counter() - started

    xlsx = workbook(workdir / "readings.xlsx", rows)
    head = workbook(workdir / "readings-head.xlsx", rows[:1000])
    # Both sides warm up on the first 1,000 rows, as the CSV leg does.
    openpyxl_alone(head)
    openpyxl_seconds = openpyxl_alone(xlsx)
    url = dbs.new("readings_xlsx")
    engine = prepare(url, domains=domains)
    token = admin_token(engine)
    server = Server(url)
    try:
        upload(server, token, "/api/v1/readings/bulk?dry_run=true", head, content_type=XLSX)
        api_seconds, body = upload(server, token, "/api/v1/readings/bulk", xlsx, content_type=XLSX)
        peak = server.peak_rss_mb()
    finally:
        server.stop()
    assert body["created"] == n, body
    lines.append(
        f"{backend:10s} readings  {n:>9,d} rows  .xlsx API {n / api_seconds:>9,.0f} rows/s  "
        f"openpyxl alone {n / openpyxl_seconds:>9,.0f} rows/s  "
        f"ratio {openpyxl_seconds / api_seconds:.2f}  (goal ≥ 0.5)  server peak {peak:,.0f} MB"
    )
    print(lines[-1], flush=True)
    bad = workdir / "readings-bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, READING_HEADER)
        writer.writeheader()
        writer.writerows({**r, "unit": f"khong-co-{i % 7}"} for i, r in enumerate(rows))
    server = Server(url)
    try:
        seconds, body = upload(server, token, "/api/v1/readings/bulk", bad, expect=422)
        peak = server.peak_rss_mb()
    finally:
        server.stop()
        engine.dispose()
    lines.append(
        f"{backend:10s} all-bad   {n:>9,d} rows  7 unknown units  {seconds:.1f} s  "
        f"answer {int(body['_bytes']) / 1024:,.0f} KB  {body['error_groups_total']} groups  "
        f"server peak {peak:,.0f} MB (goal < 300)  file {bad.stat().st_size / 1024**2:,.1f} MB"
    )
    print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    # The server tunes its garbage collector (app.runtime); the raw baseline gets the same, so
    # the ratio compares the work done, not the two processes' collectors.
    tune_gc()
    results: list[str] = []
    for backend in args.backends.split(","):
        if backend == "postgresql" and not pg_reachable():
            print(f"postgresql: not reachable at {PG_SERVER}; skipped", flush=True)
            continue
        results += bench_backend(backend, args.readings, args.dossiers)
    print("\nsummary (ratio = API rows/s ÷ raw executemany rows/s, same run, same database kind)")
    for line in results:
        print(line)


if __name__ == "__main__":
    main()
