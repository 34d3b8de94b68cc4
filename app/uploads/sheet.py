"""A workbook's sheet read row by row straight from its XML, with openpyxl's rules for values.

openpyxl opens the package: the sheet list, the shared strings, which cell styles are dates
and the workbook's date epoch. Its read-only worksheet is left out for two reasons, measured on
a 100,000-row import: opening one parses the whole sheet once just to look for a
``<dimension>`` element when the writer left it out (openpyxl's own writer does), a tenth of the
import; and it builds a dictionary per cell and a descriptor object per text cell, most of the
rest. Here the sheet is parsed once, each row's cells go straight into a list, and a row
element is dropped as soon as it is read, so memory stays flat however long the sheet is.

Values are read as openpyxl reads them with ``data_only`` (a formula's cached result, numbers as
``int`` or ``float``, date-styled numbers as dates and times, booleans, shared and inline text),
then made what the row parsers take: text stripped, empty as ``None``, a midnight date-time as
the date an Excel date cell holds. ``tests/uploads/test_sheet.py`` compares the two readers
cell by cell. One difference is deliberate: a ``<dimension>`` that understates the sheet does
not cut rows or columns off (openpyxl's read-only mode trusts it; Excel does not).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import datetime, time
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, iterparse

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.utils.exceptions import InvalidFileException

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE = f"{_NS}row", f"{_NS}c", f"{_NS}v"
_INLINE, _TEXT, _RUN, _SHEET_DATA = f"{_NS}is", f"{_NS}t", f"{_NS}r", f"{_NS}sheetData"
_DIGITS = "0123456789"
_MIDNIGHT = time(0, 0)
#: Rows read before the sheet's element drops the ones already handed out.
_DROP_EVERY = 256


class BadWorkbook(Exception):
    """The upload is no workbook openpyxl can open (or its sheet's XML is broken)."""


class Workbook:
    """An opened package: its sheets in order, and what reading their cells needs."""

    def __init__(self, file: IO[bytes]) -> None:
        try:
            reader = ExcelReader(file, read_only=True, data_only=True)
            self.archive = reader.archive
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            #: name → the sheet's part in the archive (None: a chart sheet, no cells)
            self.sheets: dict[str, str | None] = {}
            for sheet, rel in reader.parser.find_sheets():
                if rel.target in reader.valid_files:
                    chart = "chartsheet" in (rel.Type or "")
                    self.sheets[sheet.name] = None if chart else rel.target
        except (
            zipfile.BadZipFile,
            InvalidFileException,
            KeyError,
            OSError,
            ValueError,
            TypeError,  # openpyxl's descriptors refuse a malformed attribute so
            ParseError,
        ) as exc:
            if hasattr(self, "archive"):
                self.archive.close()
            raise BadWorkbook(exc.__class__.__name__) from None
        book: Any = reader.wb  # the style sets are openpyxl's own (its parser reads them so)
        self.strings: list[Any] = reader.shared_strings
        self.epoch: datetime = book.epoch
        self.date_styles: frozenset[int] = frozenset(book._date_formats)
        self.duration_styles: frozenset[int] = frozenset(book._timedelta_formats)

    def rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        """The sheet's non-empty rows as (spreadsheet row number, cells from column A)."""
        target = self.sheets[name]
        if target is None:
            return
        try:
            with self.archive.open(target) as source:
                yield from self._parse(source)
        except (ParseError, KeyError, ValueError, IndexError, zipfile.BadZipFile, EOFError) as exc:
            raise BadWorkbook(exc.__class__.__name__) from None

    def _parse(self, source: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
        number = 0
        parent: Element | None = None
        seen = 0
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == _SHEET_DATA:
                    parent = element
                continue
            if tag != _ROW:
                continue
            given = element.get("r")
            number = _row_number(given) if given else number + 1
            cells = self._cells(element)
            element.clear()
            seen += 1
            if parent is not None and seen % _DROP_EVERY == 0:
                parent.clear()  # rows already read; the one being built is kept by the parser
            if cells:
                yield number, cells

    def _cells(self, row: Element) -> list[Any]:
        cells: list[Any] = []
        column = 0
        for cell in row:
            if cell.tag != _CELL:
                continue
            ref = cell.get("r")
            if ref:
                letters = ref.rstrip(_DIGITS)
                column = _COLUMNS.get(letters) or _column(letters)
            else:
                column += 1
            value = self._value(cell)
            if value is None:
                continue
            width = len(cells)
            if column > width:
                if column > width + 1:
                    cells.extend([None] * (column - 1 - width))
                cells.append(value)
            else:
                cells[column - 1] = value
        return cells

    def _value(self, cell: Element) -> Any:
        """openpyxl's ``WorkSheetParser.parse_cell`` with ``data_only``, then ``_plain``."""
        kind = cell.get("t")
        if kind == "inlineStr":
            found = cell.find(_INLINE)
            return None if found is None else _plain(_inline_text(found))
        text = cell.findtext(_VALUE)
        if not text:
            return None
        if kind is None or kind == "n":
            number: Any = float(text) if "." in text or "e" in text or "E" in text else int(text)
            style = cell.get("s")
            if style and int(style) in self.date_styles:
                try:
                    when = from_excel(
                        number, self.epoch, timedelta=int(style) in self.duration_styles
                    )
                except (OverflowError, ValueError):
                    return "#VALUE!"
                return _plain(when)
            return number
        if kind == "s":
            return _plain(self.strings[int(text)])
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return _plain(from_ISO8601(text))
        return _plain(text)  # "str" (a formula's text), "e" (#N/A …) and anything unknown

    def close(self) -> None:
        self.archive.close()


def _plain(value: Any) -> Any:
    """Text stripped (empty is ``None``); a midnight date-time is the date Excel shows."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime) and value.time() == _MIDNIGHT:
        return value.date()
    return value


def _inline_text(node: Element) -> str:
    """An inline string's text: its plain part and its formatted runs (not phonetic hints)."""
    if len(node) == 1 and node[0].tag == _TEXT:  # one plain part: what most writers write
        return node[0].text or ""
    parts = []
    for child in node:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.append(child.findtext(_TEXT) or "")
    return "".join(parts)


_COLUMNS: dict[str, int] = {}


def _column(letters: str) -> int:
    found = _COLUMNS.get(letters)
    if found is None:
        found = _COLUMNS[letters] = column_index_from_string(letters)
    return found


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return int(float(text))
