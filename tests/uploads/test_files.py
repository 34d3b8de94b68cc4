"""Reading files row by row (pure: no database) and the dossier rules that need no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.dossiers.metrics import dossier_status, rate
from app.dossiers.models import DossierStatus
from app.dossiers.records import parse_moment
from app.dossiers.rows import parse_dossier
from app.errors import Invalid
from app.uploads import files, jsonfile
from app.uploads.duplicates import find_duplicates
from app.uploads.files import FileProblem, upload_from_bytes
from app.uploads.jsonfile import json_rows

NOW = datetime(2025, 11, 20, 2, tzinfo=UTC)


def rows(data: bytes, kind: str = "csv") -> list[tuple[int, dict, object]]:
    upload = upload_from_bytes(data, kind)
    table = files.open_table(upload, fields=["a", "b", "c"])
    rename = files.resolve_columns(table.headers or [], allowed=["a", "b", "c"], required=["a"])
    return [(r.number, r.values, r.problem) for r in table.rows(rename)]


def test_csv_rows_are_numbered_as_the_spreadsheet_and_blanks_are_absent() -> None:
    data = '\ufeffa,b,c\n1,,x\n\n2,"hai, ba",\n'.encode()
    assert rows(data) == [(2, {"a": "1", "c": "x"}, None), (4, {"a": "2", "b": "hai, ba"}, None)]


def test_a_row_with_too_many_cells_is_a_row_problem() -> None:
    [(number, _, problem)] = rows(b"a,b\n1,2,3\n")
    assert number == 2 and problem.code == "extra_cells"


def test_bad_bytes_after_the_sample_name_the_spreadsheet_row() -> None:
    body = b"a,b\n" + b"1,2\n" * 30_000 + "3,é\n".encode("latin-1")
    with pytest.raises(FileProblem) as caught:
        rows(body)
    assert caught.value.errors[0][0] == 30_002 and caught.value.errors[0][1].code == "not_utf8"


def test_a_legacy_encoding_is_named_with_the_steps_in_excel() -> None:
    with pytest.raises(FileProblem) as caught:
        rows("a,b\n1,2\n3,Đi chú\n".encode("cp1258"))
    [(row, error)] = caught.value.errors
    assert (row, error.code) == (1, "legacy_encoding")
    assert "Windows-1258" in error.message and "CSV UTF-8" in error.message


def test_header_problems_are_all_listed() -> None:
    with pytest.raises(FileProblem) as caught:
        rows(b"b,zz,B\n1,2,3\n")
    codes = sorted(e.code for _, e in caught.value.errors)
    assert codes == ["duplicate_column", "missing_column", "unknown_column"]


def test_json_is_read_one_object_at_a_time_across_chunk_boundaries(monkeypatch) -> None:
    monkeypatch.setattr(jsonfile, "_CHUNK", 7)
    data = [{"a": i, "b": "chữ có dấu " * 3, "c": [1.5, True, None]} for i in range(20)]
    parsed = list(json_rows(upload_from_bytes(json.dumps(data).encode(), "json").file))
    assert [p.values for p in parsed] == data
    assert [p.number for p in parsed] == list(range(1, 21))


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "empty_file"),
        (b"{}", "not_a_list"),
        (b"[]", "no_rows"),
        (b"[{}, 3", "json_invalid"),
        (b"[{}] x", "json_invalid"),
    ],
)
def test_json_file_problems(body: bytes, code: str) -> None:
    with pytest.raises(FileProblem) as caught:
        list(json_rows(upload_from_bytes(body, "json").file))
    assert caught.value.errors[0][1].code == code


def test_a_json_row_that_is_not_an_object_is_a_row_problem() -> None:
    parsed = list(json_rows(upload_from_bytes(b'[{"a": 1}, 2]', "json").file))
    assert parsed[1].problem is not None and parsed[1].problem.code == "not_an_object"


def test_find_duplicates_shares_one_count_per_key() -> None:
    keys = [(1, "a"), (2, "b"), (3, "a"), (4, None), (5, "a")]
    found = find_duplicates(iter(keys), iter(keys))
    assert sorted(found) == [1, 3, 5]
    assert found[1] is found[5] and (found[1].count, found[1].rows) == (3, [1, 3, 5])
    assert find_duplicates(iter([(1, "a"), (2, "b")]), iter([])) == {}


def test_a_key_on_many_rows_names_five_of_them() -> None:
    keys = [(n, "same") for n in range(2, 100_002)]
    found = find_duplicates(iter(keys), iter(keys))
    assert len(found) == 100_000
    assert (found[2].count, found[2].rows) == (100_000, [2, 3, 4, 5, 6])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-03", datetime(2025, 10, 2, 17, tzinfo=UTC)),
        ("03/10/2025 08:30", datetime(2025, 10, 3, 1, 30, tzinfo=UTC)),
        ("2025-10-03T08:30:00+00:00", datetime(2025, 10, 3, 8, 30, tzinfo=UTC)),
        ("2025-10-03 08:30", datetime(2025, 10, 3, 1, 30, tzinfo=UTC)),
    ],
)
def test_dates_in_iso_or_vietnamese_form(text: str, expected: datetime) -> None:
    assert parse_moment(text).at == expected


def test_a_due_date_alone_lasts_until_the_end_of_that_day() -> None:
    assert parse_moment("03/10/2025", end_of_day=True).at == datetime(
        2025, 10, 3, 16, 59, 59, tzinfo=UTC
    )


def test_every_problem_of_a_dossier_row_is_listed_at_once() -> None:
    with pytest.raises(Invalid) as caught:
        parse_dossier(
            {
                "code": "có dấu cách",
                "unit": "ttpvhcc",
                "domain": "ho-tich",
                "channel": "direct",
                "received_at": "2025-10-05",
                "due_at": "2025-10-01",
                "fully_online": "true",
                "extra": "1",
            },
            now=NOW,
        )
    fields = sorted(e.field for e in caught.value.errors)
    assert fields == ["code", "due_at", "extra", "fully_online"]


def test_rates_and_statuses() -> None:
    assert rate(0, 0) is None and rate(1, 4) == 25
    due = datetime(2025, 10, 5, tzinfo=UTC)
    assert dossier_status(due_at=due, completed_at=due, now=NOW) == DossierStatus.ON_TIME
    assert dossier_status(due_at=due, completed_at=None, now=NOW) == DossierStatus.OVERDUE
    assert dossier_status(due_at=NOW, completed_at=None, now=due) == DossierStatus.PROCESSING
