"""Reading an Excel workbook as a table: streamed, header row found, totals row left out.

The sheet's XML is parsed as it goes (``app.uploads.sheet``), so memory stays flat however
long the sheet is. Parsing is the slow part, and an import reads its file two or three times
(keys first, then rows), so the first pass keeps the rows it read in a temporary file of pickled
blocks and later passes read that instead of the XML again.

Officers' workbooks have a title above the header (often merged across the columns), headers
split over two rows by merged cells, and a "Tổng cộng" row at the bottom; real Excel dates and
numbers arrive typed, text that looks like a number stays text for the Vietnamese number reader.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import IO, Any

from app.uploads.files import FileProblem, ParsedRow
from app.uploads.headers import match_headers, normalise
from app.uploads.sheet import BadWorkbook, Workbook

#: Rows looked at to find the header (titles, blank rows and notes above it).
HEADER_SEARCH_ROWS = 30
_BLOCK = 2000
_TOTALS = re.compile(r"^(tong cong|tong so|tong|cong|total|sum)( .*)?$")


def _invalid(name: str) -> FileProblem:
    return FileProblem.one(
        0,
        "file",
        "xlsx_invalid",
        f"Không mở được tệp Excel ({name}): hãy mở tệp trong Excel, "
        "lưu lại dạng “Sổ làm việc Excel (*.xlsx)” rồi gửi lại.",
    )


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _is_totals(cells: Sequence[Any]) -> bool:
    """A summary row ("Tổng cộng", "Cộng", "Total" in its first filled cell) is no data."""
    first = cells[0] if cells else None
    if first is None:
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
        self._cache: IO[bytes] | None = None
        self._cached = False
        self._pending: Iterator[tuple[int, list[Any]]] | None = None
        file.seek(0)
        try:
            self._book = Workbook(file)
        except BadWorkbook as exc:
            raise _invalid(str(exc)) from None
        try:
            self._name = _sheet_name(self._book, sheet)
            # The sheet stays open from the header search into the first pass: the rows the
            # search read are handed out again, not parsed twice.
            self._pending = self._book.rows(self._name)
            self._head = _read_ahead(self._pending)
            self.header_row, self.headers = _find_header(_by_number(self._head), fields)
        except BadWorkbook as exc:
            self.close()
            raise _invalid(str(exc)) from None
        except BaseException:
            self.close()
            raise

    def rows(self, rename: Mapping[str, str] | None = None) -> Iterator[ParsedRow]:
        """Data rows below the header, numbered as Excel numbers them; blank and totals rows
        are skipped (keeping the numbers of the rows after them)."""
        columns: list[str | None] = (
            [rename.get(h) for h in self.headers] if rename is not None else list(self.headers)
        )
        keep = [(i, name) for i, name in enumerate(columns) if name]
        # A row filling every column, all of them ours (a template's, an export's): zipped whole.
        whole = len(keep) == len(columns)
        names = [name for _, name in keep]
        width = len(names)
        if self._cached and self._cache is not None:
            source: Iterator[tuple[int, list[Any]]] = self._replay()
        else:
            source = self._parse()
        data = 0
        for number, cells in source:
            size = len(cells)
            if whole and size == width and None not in cells:
                values = dict(zip(names, cells, strict=True))
            else:
                values = {name: cells[i] for i, name in keep if i < size and cells[i] is not None}
            if not values:
                continue
            data += 1
            yield ParsedRow(number, values)
        if data == 0:
            raise FileProblem.one(
                0, "file", "no_rows", "Trang tính chỉ có dòng tiêu đề, không có dữ liệu."
            )

    def _sheet_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """The sheet's rows from its first: the open parse's, after the rows the header
        search already read; a fresh parse if that one is spent."""
        pending, self._pending = self._pending, None
        try:
            if pending is not None:
                yield from self._head
                yield from pending
            else:
                yield from self._book.rows(self._name)
        except BadWorkbook as exc:
            raise _invalid(str(exc)) from None

    def _parse(self) -> Iterator[tuple[int, list[Any]]]:
        """Rows from the XML, kept in blocks on disk as they go by for the next passes."""
        cache: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        block: list[tuple[int, list[Any]]] = []
        complete = False
        header_row = self.header_row
        try:
            for number, cells in self._sheet_rows():
                if number <= header_row or _is_totals(cells):
                    continue
                block.append((number, cells))
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
        self._pending = None
        self._book.close()
        if self._cache is not None:
            self._cache.close()
            self._cache = None


def _sheet_name(book: Workbook, sheet: str | None) -> str:
    names = list(book.sheets)
    if not sheet:
        if not names:
            raise BadWorkbook("no sheets")
        return names[0]
    wanted = normalise(sheet)
    found = next((n for n in names if normalise(n) == wanted), None)
    if found is None:
        raise FileProblem.one(
            0,
            "sheet",
            "sheet_not_found",
            f"Tệp không có trang tính “{sheet}”; các trang: {', '.join(names)}.",
        )
    return found


def _read_ahead(rows: Iterator[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    """The rows up to the last one the header search looks at (and the first row after it)."""
    head = []
    for number, cells in rows:
        head.append((number, cells))
        if number >= HEADER_SEARCH_ROWS:
            break
    return head


def _by_number(head: list[tuple[int, list[Any]]]) -> list[list[Any]]:
    """The first rows by their number, blank ones included: a header's row above is the
    spreadsheet's row above."""
    shown = [(n, cells) for n, cells in head if n <= HEADER_SEARCH_ROWS]
    out: list[list[Any]] = [[] for _ in range(shown[-1][0] if shown else 0)]
    for number, cells in shown:
        out[number - 1] = cells
    return out


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
