"""Reading an Excel workbook as a table: streamed, header row found, totals row left out.

openpyxl's read-only mode parses the sheet's XML as it goes, so memory stays flat however long
the sheet is. Parsing is the slow part, and an import reads its file two or three times (keys
first, then rows), so the first pass keeps the rows it read in a temporary file of pickled
blocks and later passes read that instead of the XML again.

Officers' workbooks have a title above the header (often merged across the columns), headers
split over two rows by merged cells, and a "Tổng cộng" row at the bottom; real Excel dates and
numbers arrive typed, text that looks like a number stays text for the Vietnamese number reader.
"""

from __future__ import annotations

import pickle
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, time
from functools import lru_cache
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.integration.files import FileProblem, ParsedRow
from app.integration.headers import match_headers, normalise

#: Rows looked at to find the header (titles, blank rows and notes above it).
HEADER_SEARCH_ROWS = 30
_BLOCK = 2000
_TOTALS = re.compile(r"^(tong cong|tong so|tong|cong|total|sum)( .*)?$")
_MIDNIGHT = time(0, 0)


def _cell(value: Any) -> Any:
    """A cell as the row parsers take it: text stripped, midnight datetimes as dates (what an
    Excel date cell holds), numbers and booleans as they are; empty as ``None``."""
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, datetime):
        return value.date() if value.time() == _MIDNIGHT else value
    return value


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _is_totals(cells: Sequence[Any]) -> bool:
    """A summary row ("Tổng cộng", "Cộng", "Total" in its first filled cell) is no data."""
    first = next((c for c in cells if c is not None), None)
    return isinstance(first, str) and _totals_text(first)


@lru_cache(maxsize=4096)
def _totals_text(text: str) -> bool:
    """Remembered: a sheet repeats the same few first cells (codes) on every row."""
    return bool(_TOTALS.match(normalise(text)))


class XlsxTable:
    """The first sheet (or ``sheet``) of a workbook, its header row found among the first rows:
    the row naming most of ``fields`` (the first non-blank row when none does)."""

    def __init__(
        self, file: IO[bytes], *, fields: Sequence[str] = (), sheet: str | None = None
    ) -> None:
        self.file = file
        self.sheet = sheet
        self._cache: IO[bytes] | None = None
        self._cached = False
        # The workbook stays open from the header search into the first pass: opening it again
        # re-reads the whole sheet when it has no <dimension> (openpyxl's own writer leaves it
        # out), which cost a tenth of a 100,000-row import.
        self._open: _SheetRows | None = self._rows()
        self._pending: Iterator[tuple[Any, ...]] | None = self._open.__enter__()
        head: list[list[Any]] = []
        try:
            for _, cells in zip(range(HEADER_SEARCH_ROWS), self._pending, strict=False):
                head.append(list(cells))
            self.header_row, self.headers = _find_header(head, fields)
        except BaseException:
            self._release()
            raise
        self._head = head

    # reading the XML ------------------------------------------------------------------------------

    def _rows(self) -> _SheetRows:
        return _SheetRows(self.file, self.sheet)

    def rows(self, rename: Mapping[str, str] | None = None) -> Iterator[ParsedRow]:
        """Data rows below the header, numbered as Excel numbers them; blank and totals rows
        are skipped (keeping the numbers of the rows after them)."""
        columns: list[str | None] = (
            [rename.get(h) for h in self.headers] if rename is not None else list(self.headers)
        )
        keep = [(i, name) for i, name in enumerate(columns) if name]
        if self._cached and self._cache is not None:
            source: Iterator[tuple[int, list[Any]]] = self._replay()
        else:
            source = self._parse()
        data = 0
        for number, cells in source:
            size = len(cells)
            values = {name: cells[i] for i, name in keep if i < size and cells[i] is not None}
            if not values:
                continue
            data += 1
            yield ParsedRow(number, values)
        if data == 0:
            raise FileProblem.one(
                0, "file", "no_rows", "Trang tính chỉ có dòng tiêu đề, không có dữ liệu."
            )

    def _release(self) -> None:
        if self._open is not None:
            self._open.__exit__(None, None, None)
        self._open, self._pending = None, None

    def _sheet_rows(self) -> Iterator[Sequence[Any]]:
        """The sheet's rows from its first: the open workbook's, after the rows the header
        search already read; a fresh opening if that one is spent."""
        if self._pending is not None:
            pending, head = self._pending, self._head
            self._pending = None
            try:
                yield from head
                yield from pending
            finally:
                self._release()
            return
        with self._rows() as rows:
            yield from rows

    def _parse(self) -> Iterator[tuple[int, list[Any]]]:
        """Rows from the XML, kept in blocks on disk as they go by for the next passes."""
        cache: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        block: list[tuple[int, list[Any]]] = []
        complete = False
        try:
            rows = self._sheet_rows()
            for index, raw in enumerate(rows, start=1):
                if index <= self.header_row:
                    continue
                cells = [_cell(v) for v in raw]
                if not any(c is not None for c in cells) or _is_totals(cells):
                    continue
                block.append((index, cells))
                if len(block) >= _BLOCK:
                    pickle.dump(block, cache, protocol=pickle.HIGHEST_PROTOCOL)
                    yield from block
                    block = []
            if block:
                pickle.dump(block, cache, protocol=pickle.HIGHEST_PROTOCOL)
                yield from block
            complete = True
        finally:
            if complete and not self._cached:
                self._cache, self._cached = cache, True
            else:
                cache.close()

    def _replay(self) -> Iterator[tuple[int, list[Any]]]:
        assert self._cache is not None
        self._cache.seek(0)
        while True:
            try:
                block = pickle.load(self._cache)  # our own file, written above
            except EOFError:
                return
            yield from block

    def close(self) -> None:
        self._release()
        if self._cache is not None:
            self._cache.close()
            self._cache = None


class _SheetRows:
    """A read-only workbook opened on the upload, closed when the pass is over."""

    def __init__(self, file: IO[bytes], sheet: str | None) -> None:
        self.file = file
        self.sheet = sheet
        self.workbook: Any = None

    def __enter__(self) -> Iterator[tuple[Any, ...]]:
        self.file.seek(0)
        try:
            self.workbook = load_workbook(self.file, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
            raise FileProblem.one(
                0,
                "file",
                "xlsx_invalid",
                f"Không mở được tệp Excel ({exc.__class__.__name__}): hãy mở tệp trong Excel, "
                "lưu lại dạng “Sổ làm việc Excel (*.xlsx)” rồi gửi lại.",
            ) from None
        names = self.workbook.sheetnames
        if self.sheet:
            wanted = normalise(self.sheet)
            found = next((n for n in names if normalise(n) == wanted), None)
            if found is None:
                self.workbook.close()
                raise FileProblem.one(
                    0,
                    "sheet",
                    "sheet_not_found",
                    f"Tệp không có trang tính “{self.sheet}”; các trang: {', '.join(names)}.",
                )
            worksheet = self.workbook[found]
        else:
            worksheet = self.workbook[names[0]]
        return worksheet.iter_rows(values_only=True)

    def __exit__(self, *exc: object) -> None:
        if self.workbook is not None:
            self.workbook.close()


def _find_header(head: list[list[Any]], fields: Sequence[str]) -> tuple[int, list[str]]:
    """The header's row number and its texts: the row that, with the row above it, names most
    fields. A header cell left empty under a merged cell takes the text above it, so a header
    split over two rows (``Mã chỉ tiêu`` merged down, ``Số liệu`` over ``Tử số``/``Mẫu số``)
    is read as one."""
    rows = [[_header_text(c) for c in cells] for cells in head]
    best, best_score, best_texts = -1, 0, []
    for index, texts in enumerate(rows):
        if fields:
            combined = _with_above(texts, rows[index - 1] if index else [], fields)
            score = len(match_headers(combined, fields))
            if score > best_score:
                best, best_score, best_texts = index, score, combined
    if best < 0:
        best = next((i for i, texts in enumerate(rows) if any(texts)), -1)
        if best < 0:
            raise FileProblem.one(
                0,
                "file",
                "empty_file",
                "Trang tính rỗng: cần một dòng tiêu đề và các dòng dữ liệu.",
            )
        best_texts = rows[best]
    while best_texts and not best_texts[-1]:
        best_texts.pop()
    return best + 1, best_texts


def _with_above(texts: list[str], above: list[str], fields: Sequence[str]) -> list[str]:
    out = list(texts)
    for i, text in enumerate(out):
        if not text and i < len(above) and above[i] and match_headers([above[i]], fields):
            out[i] = above[i]
    return out
