"""Reading uploaded files row by row: CSV of any Excel dialect, Excel workbooks or JSON,
streamed from a spooled copy of the body.

Nothing here knows about readings or dossiers: a file becomes a header and numbered rows of
values, and a file that cannot be read at all (empty, legacy encoding, .xls, broken JSON, bad
header) becomes a ``FileProblem`` naming what to fix. Large bodies go to a temporary file on
disk, never into memory whole, and every pass over the rows reads that file again from the start.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from fastapi import Request

from app.errors import AppError, FieldError
from app.formatting import format_number
from app.uploads.dialects import SAVE_AS_UTF8, LegacyEncoding, sniff
from app.uploads.headers import RowProfile, field_label, is_ignored, match_headers
from app.uploads.limits import guarded_body

#: Bodies up to this size stay in memory; larger ones spill to a temporary file.
SPOOL_IN_MEMORY = 1024 * 1024
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _size_vi(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{format_number(n / (1024 * 1024), 0)} MB"
    return f"{format_number(n / 1024, 0)} KB"


class PayloadTooLarge(AppError):
    """413 that states the limit, so an integrator knows how to split the file."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            message=f"Tệp gửi lên quá lớn: tối đa {_size_vi(limit)} ({format_number(limit)} byte). "
            "Hãy chia thành nhiều tệp nhỏ hơn.",
            code="payload_too_large",
            status_code=413,
        )
        self.limit = limit

    def to_detail(self) -> dict[str, Any]:
        return {**super().to_detail(), "limit_bytes": self.limit}


class UnsupportedMediaType(AppError):
    def __init__(self, content_type: str) -> None:
        super().__init__(
            message=f"Không đọc được dữ liệu kiểu “{content_type or 'không rõ'}”: gửi JSON "
            "(application/json), CSV (text/csv), Excel .xlsx hoặc một tệp (multipart/form-data, "
            "trường file).",
            code="unsupported_media_type",
            status_code=415,
        )


@dataclass
class FileProblem(Exception):
    """The file as a whole cannot be imported; ``row`` 0 means the header or the whole file."""

    errors: list[tuple[int, FieldError]]

    @classmethod
    def one(cls, row: int, field_name: str, code: str, message: str) -> FileProblem:
        return cls([(row, FieldError(field_name, code, message))])


@dataclass(slots=True)
class ParsedRow:
    """One data row: its 1-based number, its non-empty values, or why it could not be read."""

    number: int
    values: dict[str, Any]
    problem: FieldError | None = None


@dataclass
class Upload:
    """A received file, kept on disk (or in memory when small) so it can be read several times."""

    file: IO[bytes]
    kind: str  # "csv", "json" or "xlsx"
    filename: str = ""
    size: int = 0
    sheet: str | None = None  # a workbook's sheet to read (default: the first)
    _closed: bool = field(default=False, repr=False)

    def sha256(self) -> str:
        """The body's fingerprint, for the import's audit record (read again from the start)."""
        digest = hashlib.sha256()
        self.file.seek(0)
        while block := self.file.read(1024 * 1024):
            digest.update(block)
        self.file.seek(0)
        return digest.hexdigest()

    def close(self) -> None:
        if not self._closed:
            self.file.close()
            self._closed = True


def kind_of(content_type: str, filename: str = "") -> str | None:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == XLSX_TYPE or filename.lower().endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if ctype in {"application/json", "text/json"} or filename.lower().endswith(".json"):
        return "json"
    if ctype in {"text/csv", "application/csv", "text/plain"} or filename.lower().endswith(".csv"):
        return "csv"
    if ctype == "application/vnd.ms-excel":  # what Windows says about a .csv file (and .xls)
        return "csv"
    return None


def _refined(upload: Upload) -> Upload:
    """The kind the bytes say, whatever the label: Excel names a .csv ``vnd.ms-excel``, and a
    workbook posted as ``text/csv`` is still a workbook. An old .xls is refused with the fix."""
    upload.file.seek(0)
    magic = upload.file.read(8)
    upload.file.seek(0)
    if magic.startswith(_OLE) or (
        upload.filename.lower().endswith(".xls") and not magic.startswith(_ZIP)
    ):
        upload.close()
        raise FileProblem.one(
            0,
            "file",
            "xls_not_supported",
            "Tệp Excel 97-2003 (.xls) không được hỗ trợ. Trong Excel: Tệp (File) → Lưu thành "
            "(Save As) → chọn “Sổ làm việc Excel (*.xlsx)” → Lưu, rồi gửi tệp .xlsx.",
        )
    if magic.startswith(_ZIP):
        upload.kind = "xlsx"
    elif upload.kind == "xlsx":
        upload.kind = "csv"  # a text file named .xlsx: read it for what it is
    return upload


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


async def receive_upload(request: Request, *, limit: int) -> Upload:
    """The request's file, whatever way it came: a JSON or CSV body, or a multipart ``file``.

    A declared length over the limit is refused before reading; an undeclared one is counted
    while it streams and refused the moment it passes the limit. A body that stalls longer than
    ``upload_idle_timeout_seconds`` or is not complete within ``upload_deadline_seconds`` is
    refused with 408 and what was spooled of it removed, so a slow sender cannot keep a spool
    and a task for as long as it likes.
    """
    declared = _declared_length(request)
    if declared is not None and declared > limit + (64 * 1024 if _is_multipart(request) else 0):
        raise PayloadTooLarge(limit)
    async with guarded_body(request):
        return await _received(request, limit=limit)


async def _received(request: Request, *, limit: int) -> Upload:
    content_type = request.headers.get("content-type", "")
    if _is_multipart(request):
        form = await request.form(max_files=1, max_fields=50)
        part = form.get("file")
        if part is None or isinstance(part, str):
            raise FileProblem.one(0, "file", "file_missing", "Hãy chọn tệp cần nhập (trường file).")
        kind = kind_of(part.content_type or "", part.filename or "") or "csv"
        part.file.seek(0, 2)
        size = part.file.tell()
        part.file.seek(0)
        if size > limit:
            raise PayloadTooLarge(limit)
        return _refined(Upload(file=part.file, kind=kind, filename=part.filename or "", size=size))
    stated = kind_of(content_type)
    if stated is None:
        raise UnsupportedMediaType(content_type)
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(limit)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return _refined(Upload(file=spool, kind=stated, size=size))


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


def upload_from_bytes(data: bytes, kind: str, filename: str = "") -> Upload:
    """An upload from bytes already in hand (tests, the CLI)."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    spool.write(data)
    spool.seek(0)
    return _refined(Upload(file=spool, kind=kind, filename=filename, size=len(data)))


def upload_from_file(file: IO[bytes], filename: str = "") -> Upload:
    """A file the framework already received (a form's file field), read where it lies; its
    kind comes from its name and its bytes."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    return _refined(
        Upload(file=file, kind=kind_of("", filename) or "csv", filename=filename, size=size)
    )


# --- CSV ---------------------------------------------------------------------------------------


def not_utf8(row: int) -> FileProblem:
    return FileProblem.one(
        row,
        "file",
        "not_utf8",
        f"Tệp không ở bảng mã UTF-8 (lỗi ở dòng {row} của tệp). {SAVE_AS_UTF8}",
    )


class CsvTable:
    """A CSV file of any dialect Excel writes: its header line, then its rows, read again from
    the start on every pass. Rows are numbered as a spreadsheet shows them (the header is row 1
    when nothing is above it), blank lines included, so an error names the row the officer sees."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        try:
            self.dialect = sniff(file)
        except LegacyEncoding as legacy:
            raise FileProblem([(1, legacy.field_error())]) from None
        self.header_row = 0
        self.headers: list[str] = []
        with self._reader() as reader:
            try:
                for cells in reader:
                    self.header_row += 1
                    if any(cell.strip() for cell in cells):
                        self.headers = [cell.strip() for cell in cells]
                        break
            except UnicodeDecodeError:
                raise not_utf8(self.header_row + 1) from None
            except csv.Error as exc:
                raise FileProblem.one(
                    1, "file", "csv_invalid", f"Dòng tiêu đề không đọc được ({exc})."
                ) from None
        if not self.headers:
            raise FileProblem.one(
                0, "file", "empty_file", "Tệp rỗng: cần một dòng tiêu đề và các dòng dữ liệu."
            )
        if len(self.headers) == 1 and "|" in self.headers[0]:
            raise FileProblem.one(
                1,
                "file",
                "wrong_delimiter",
                "Các cột phải được phân tách bằng dấu phẩy (,), dấu chấm phẩy (;) hoặc dấu tab; "
                "dòng tiêu đề đang dùng dấu gạch đứng (|).",
            )

    @contextmanager
    def _reader(self) -> Iterator[Iterator[list[str]]]:
        self.file.seek(0)
        text = io.TextIOWrapper(self.file, encoding=self.dialect.encoding, newline="")
        try:
            yield csv.reader(text, delimiter=self.dialect.delimiter)
        finally:
            text.detach()  # the upload stays open for the next pass

    def rows(self, rename: Mapping[str, str] | None = None) -> Iterator[ParsedRow]:
        """The data rows; with ``rename`` keyed by our field names (other columns dropped),
        without it by the file's header text. Empty cells are left out, so a blank column means
        "not given" exactly as a missing JSON key."""
        columns: list[str | None] = (
            [rename.get(h) for h in self.headers] if rename is not None else list(self.headers)
        )
        keep = [(i, name) for i, name in enumerate(columns) if name]
        width = len(self.headers)
        number = self.header_row
        data = 0
        with self._reader() as reader:
            try:
                for _ in range(self.header_row):
                    next(reader)
                for cells in reader:
                    number += 1
                    size = len(cells)
                    values = {name: cells[i] for i, name in keep if i < size and cells[i].strip()}
                    if not values and not any(cell.strip() for cell in cells):
                        continue  # a blank line keeps its number, so later rows match
                    data += 1
                    problem = None
                    if size > width and any(cell.strip() for cell in cells[width:]):
                        problem = FieldError(
                            "file",
                            "extra_cells",
                            f"Dòng có {size} ô, nhiều hơn {width} cột của dòng tiêu đề (thừa "
                            "dấu phân cách, hoặc ô chứa dấu phân cách mà không đặt trong ngoặc "
                            "kép).",
                        )
                    yield ParsedRow(number, values, problem)
            except UnicodeDecodeError:
                raise not_utf8(self._row_of_bad_bytes()) from None
            except csv.Error as exc:
                raise FileProblem.one(
                    number + 1, "file", "csv_invalid", f"Dòng {number + 1} không đọc được ({exc})."
                ) from None
        if data == 0:
            raise FileProblem.one(
                0, "file", "no_rows", "Tệp chỉ có dòng tiêu đề, không có dữ liệu."
            )

    def _row_of_bad_bytes(self) -> int:
        """The spreadsheet row holding the first byte that does not decode: the fast reader
        decodes blocks ahead of the rows it hands out, so the file is read again line by line."""
        self.file.seek(0)
        decoder = codecs.getincrementaldecoder(self.dialect.encoding)()
        number = 0
        for raw in self.file:
            try:
                decoder.decode(raw)
            except UnicodeDecodeError:
                return number + 1
            number += 1
        return max(number, 1)


class Table(Protocol):
    """Rows of a file, read again from the start on each call of ``rows``."""

    @property
    def headers(self) -> list[str] | None:
        """The header row's names; None where each row names its own fields (JSON)."""

    def rows(self, rename: Mapping[str, str] | None = None) -> Iterator[ParsedRow]: ...


def open_table(upload: Upload, *, fields: Sequence[str] = ()) -> Table:
    """The upload as a table; ``fields`` help a workbook find its header row."""
    if upload.kind == "json":
        from app.uploads.jsonfile import JsonTable  # it builds on this module's rows

        return JsonTable(upload.file)
    if upload.kind == "xlsx":
        from app.uploads.xlsx import XlsxTable  # it builds on this module's rows

        return XlsxTable(upload.file, fields=fields, sheet=upload.sheet)
    return CsvTable(upload.file)


def resolve_columns(
    headers: Sequence[str],
    *,
    allowed: Sequence[str],
    required: Sequence[str],
    profile: RowProfile | None = None,
) -> dict[str, str]:
    """File header → our field, or a ``FileProblem`` listing every header mistake at once."""
    if profile is not None:
        mapping, ignored = profile.header_map(headers)
        skipped = set(ignored)
        filled = profile.filled_fields()
        required = [name for name in required if name not in filled]
    else:
        mapping, skipped = match_headers(headers, allowed), set()
    problems: list[tuple[int, FieldError]] = []
    taken: dict[str, str] = {}
    accepted = ", ".join(allowed)
    for header in headers:
        if not header:
            continue  # a column without a name carries nothing (Excel's trailing columns)
        field_name = mapping.get(header)
        if field_name is None:
            if header in skipped or is_ignored(header):
                continue
            problems.append(
                (
                    1,
                    FieldError(
                        header,
                        "unknown_column",
                        f"Cột “{header}” không có trong mẫu; các cột được nhận (tên hoặc tên "
                        f"tiếng Việt): {accepted}.",
                    ),
                )
            )
        elif field_name in taken:
            problems.append(
                (
                    1,
                    FieldError(
                        header,
                        "duplicate_column",
                        f"Cột “{header}” và cột “{taken[field_name]}” cùng là trường "
                        f"“{field_name}”: hãy giữ lại một cột.",
                    ),
                )
            )
        else:
            taken[field_name] = header
    for name in required:
        if name not in taken:
            problems.append(
                (
                    1,
                    FieldError(
                        name,
                        "missing_column",
                        f"Thiếu cột bắt buộc “{name}” ({field_label(name)}).",
                    ),
                )
            )
    if problems:
        raise FileProblem(problems)
    return {header: field_name for field_name, header in taken.items()}
