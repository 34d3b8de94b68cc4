"""Reading uploaded files row by row: CSV or JSON, streamed from a spooled copy of the body.

Nothing here knows about readings or dossiers: a file becomes numbered rows of field values, and a
file that cannot be read at all (empty, wrong delimiter, not UTF-8, broken JSON, bad header)
becomes a ``FileProblem`` naming what to fix. Large bodies go to a temporary file on disk, never
into memory whole, and every pass over the rows reads that file again from the start.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from fastapi import Request

from app.errors import AppError, FieldError
from app.formatting import format_number

#: Bodies up to this size stay in memory; larger ones spill to a temporary file.
SPOOL_IN_MEMORY = 1024 * 1024
#: Columns a file may carry for people and that imports ignore (the rejected-rows download).
IGNORED_COLUMNS = frozenset({"_errors"})
_UTF8_BOM = b"\xef\xbb\xbf"
_DELIMITERS = {";": "dấu chấm phẩy (;)", "\t": "dấu tab", "|": "dấu gạch đứng (|)"}


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
            "(application/json), CSV (text/csv) hoặc một tệp (multipart/form-data, trường file).",
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
    kind: str  # "csv" or "json"
    filename: str = ""
    size: int = 0
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


def _kind_of(content_type: str, filename: str = "") -> str | None:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in {"application/json", "text/json"} or filename.lower().endswith(".json"):
        return "json"
    if ctype in {"text/csv", "application/csv", "text/plain"} or filename.lower().endswith(".csv"):
        return "csv"
    if ctype == "application/vnd.ms-excel":  # what Windows says about a .csv file
        return "csv"
    return None


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


async def receive_upload(request: Request, *, limit: int) -> Upload:
    """The request's file, whatever way it came: a JSON or CSV body, or a multipart ``file``.

    A declared length over the limit is refused before reading; an undeclared one is counted
    while it streams and refused the moment it passes the limit.
    """
    declared = _declared_length(request)
    if declared is not None and declared > limit + (64 * 1024 if _is_multipart(request) else 0):
        raise PayloadTooLarge(limit)
    content_type = request.headers.get("content-type", "")
    if _is_multipart(request):
        form = await request.form(max_files=1, max_fields=50)
        part = form.get("file")
        if part is None or isinstance(part, str):
            raise FileProblem.one(0, "file", "file_missing", "Hãy chọn tệp cần nhập (trường file).")
        kind = _kind_of(part.content_type or "", part.filename or "") or "csv"
        part.file.seek(0, 2)
        size = part.file.tell()
        part.file.seek(0)
        if size > limit:
            raise PayloadTooLarge(limit)
        return Upload(file=part.file, kind=kind, filename=part.filename or "", size=size)
    kind = _kind_of(content_type)
    if kind is None:
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
    return Upload(file=spool, kind=kind, size=size)


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


def upload_from_bytes(data: bytes, kind: str, filename: str = "") -> Upload:
    """An upload from bytes already in hand (tests, the CLI)."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    spool.write(data)
    spool.seek(0)
    return Upload(file=spool, kind=kind, filename=filename, size=len(data))


# --- CSV -----------------------------------------------------------------------------------------


class _NotUtf8(Exception):
    pass


def _decoded_lines(file: IO[bytes]) -> Iterator[str]:
    """Lines decoded one by one, so a bad byte is reported at its row, not somewhere near it."""
    first = True
    for raw in file:
        if first:
            raw = raw.removeprefix(_UTF8_BOM)
            first = False
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _NotUtf8() from exc


def _not_utf8(row: int) -> FileProblem:
    return FileProblem.one(
        row,
        "file",
        "not_utf8",
        "Tệp không ở bảng mã UTF-8 (lỗi ở dòng dữ liệu này): hãy lưu lại tệp dạng “CSV UTF-8” "
        "(Excel: Lưu thành → CSV UTF-8) rồi gửi lại.",
    )


def check_header(
    header: Sequence[str], *, allowed: Sequence[str], required: Sequence[str]
) -> list[str]:
    """The normalised column names, or a ``FileProblem`` listing every header mistake."""
    columns = [h.strip().lower() for h in header]
    problems: list[tuple[int, FieldError]] = []
    if len(columns) == 1:
        for delimiter, name in _DELIMITERS.items():
            if delimiter in columns[0]:
                raise FileProblem.one(
                    0,
                    "file",
                    "wrong_delimiter",
                    f"Tệp CSV phải phân tách các cột bằng dấu phẩy (,); dòng tiêu đề đang dùng "
                    f"{name}. Hãy lưu lại tệp dạng “CSV UTF-8 (phân tách bằng dấu phẩy)”.",
                )
    seen: set[str] = set()
    for name in columns:
        if not name:
            problems.append((0, FieldError("file", "blank_column", "Có cột không có tên.")))
        elif name in seen:
            problems.append((0, FieldError(name, "duplicate_column", f"Cột “{name}” bị lặp.")))
        elif name not in allowed and name not in IGNORED_COLUMNS:
            problems.append(
                (
                    0,
                    FieldError(
                        name,
                        "unknown_column",
                        f"Cột “{name}” không có trong mẫu; các cột được nhận: "
                        + ", ".join(allowed)
                        + ".",
                    ),
                )
            )
        seen.add(name)
    for name in required:
        if name not in seen:
            problems.append(
                (0, FieldError(name, "missing_column", f"Thiếu cột bắt buộc “{name}”."))
            )
    if problems:
        raise FileProblem(problems)
    return columns


def csv_rows(
    file: IO[bytes], *, allowed: Sequence[str], required: Sequence[str]
) -> Iterator[ParsedRow]:
    """Rows of a comma-separated UTF-8 file (with or without BOM) whose first line names fields.

    Empty cells are left out, so a blank column means "not given" exactly as a missing JSON key.
    """
    file.seek(0)
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]
    reader = csv.reader(text)
    number = 0
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise FileProblem.one(
                0, "file", "empty_file", "Tệp rỗng: cần một dòng tiêu đề và các dòng dữ liệu."
            )
        columns = check_header(header, allowed=allowed, required=required)
        ignored = [name for name in columns if name in IGNORED_COLUMNS]
        width = len(columns)
        for cells in reader:
            number += 1
            values = {
                name: cell for name, cell in zip(columns, cells, strict=False) if cell.strip()
            }
            if not values and not any(cell.strip() for cell in cells):
                continue  # a blank line keeps its number, so later rows match the spreadsheet
            for name in ignored:
                values.pop(name, None)
            problem = None
            if len(cells) > width:
                problem = FieldError(
                    "file",
                    "extra_cells",
                    f"Dòng có {len(cells)} ô, nhiều hơn {width} cột của dòng tiêu đề "
                    "(thừa dấu phẩy, hoặc ô có dấu phẩy mà không đặt trong ngoặc kép).",
                )
            yield ParsedRow(number, values, problem)
    except UnicodeDecodeError:
        raise _not_utf8(_row_of_bad_bytes(file)) from None
    except csv.Error as exc:
        raise FileProblem.one(
            number + 1, "file", "csv_invalid", f"Dòng CSV không đọc được ({exc})."
        ) from None
    finally:
        text.detach()  # the upload stays open for the next pass
    if number == 0:
        raise FileProblem.one(0, "file", "no_rows", "Tệp chỉ có dòng tiêu đề, không có dữ liệu.")


def _row_of_bad_bytes(file: IO[bytes]) -> int:
    """The data row holding the first byte that is not UTF-8: the fast reader decodes blocks
    ahead of the rows it hands out, so the file is read again line by line to say where."""
    file.seek(0)
    reader = csv.reader(_decoded_lines(file))
    number = 0
    try:
        next(reader, None)
        for _ in reader:
            number += 1
    except _NotUtf8:
        return number + 1
    except csv.Error:
        pass
    return max(number, 1)


# --- JSON ----------------------------------------------------------------------------------------

_CHUNK = 64 * 1024
_WHITESPACE = " \t\r\n"


class _JsonStream:
    """A text buffer over the file that grows on demand, for decoding one value at a time."""

    def __init__(self, file: IO[bytes], on_bad_bytes: Callable[[], FileProblem]) -> None:
        self.file = file
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._first = True
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._on_bad_bytes = on_bad_bytes

    def more(self) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.eof:
            return False
        raw = self.file.read(_CHUNK)
        if self._first:
            raw = raw.removeprefix(_UTF8_BOM)
            self._first = False
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError:
            raise self._on_bad_bytes() from None
        self.eof = not raw
        self.buf, self.pos = self.buf[self.pos :] + text, 0
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""


def json_rows(file: IO[bytes]) -> Iterator[ParsedRow]:
    """The objects of a JSON list, decoded one at a time from the stream (``[{…}, {…}]``).

    Unknown keys are left for the row's schema to refuse, with the same message as the single
    endpoints give.
    """
    file.seek(0)
    decoder = json.JSONDecoder()
    number = 0
    stream = _JsonStream(file, lambda: _not_utf8(number + 1))
    start = stream.peek()
    if start == "":
        raise FileProblem.one(0, "file", "empty_file", "Tệp rỗng: cần một danh sách JSON [ … ].")
    if start != "[":
        raise FileProblem.one(
            0, "file", "not_a_list", "Dữ liệu JSON phải là một danh sách các dòng: [ {…}, {…} ]."
        )
    stream.pos += 1
    if stream.peek() == "]":
        raise FileProblem.one(0, "file", "no_rows", "Danh sách JSON rỗng: không có dòng nào.")
    while True:
        number += 1
        stream.peek()
        while True:
            try:
                value, end = decoder.raw_decode(stream.buf, stream.pos)
                if end == len(stream.buf) and not stream.eof and isinstance(value, int | float):
                    raise json.JSONDecodeError("number may continue", stream.buf, end)
                break
            except json.JSONDecodeError as exc:
                if stream.more():
                    continue
                raise FileProblem.one(
                    number, "file", "json_invalid", f"JSON không hợp lệ ở dòng {number}: {exc.msg}."
                ) from None
        stream.pos = end
        if isinstance(value, dict):
            yield ParsedRow(number, {str(k): v for k, v in value.items()})
        else:
            yield ParsedRow(
                number,
                {},
                FieldError("file", "not_an_object", "Mỗi dòng phải là một đối tượng JSON {…}."),
            )
        after = stream.peek()
        stream.pos += 1
        if after == "]":
            if stream.peek() != "":
                raise FileProblem.one(
                    number, "file", "json_invalid", "Có dữ liệu thừa sau dấu ] cuối danh sách."
                )
            return
        if after != ",":
            raise FileProblem.one(
                number,
                "file",
                "json_invalid",
                f"JSON không hợp lệ sau dòng {number}: thiếu dấu phẩy hoặc dấu ].",
            )


def rows_of(
    upload: Upload, *, allowed: Sequence[str], required: Sequence[str]
) -> Iterator[ParsedRow]:
    """Rows of an upload, from its start each time it is called."""
    if upload.kind == "json":
        return json_rows(upload.file)
    return csv_rows(upload.file, allowed=allowed, required=required)
