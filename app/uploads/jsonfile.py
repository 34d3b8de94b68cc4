"""Reading a JSON list of rows as a stream: one object decoded at a time, never the whole body.

An integrator's file of 100,000 readings is one JSON list; ``json.load`` would hold it whole,
and every row's dict with it. Here a text buffer grows on demand and ``raw_decode`` takes one
value at a time, so memory stays that of one row however long the list is. Broken JSON, bad bytes
and a list that is not one are ``FileProblem``s naming the row.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator, Mapping
from typing import IO

from app.errors import FieldError
from app.uploads.files import FileProblem, ParsedRow, not_utf8

_UTF8_BOM = b"\xef\xbb\xbf"
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
    stream = _JsonStream(file, lambda: not_utf8(number + 1))
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


class JsonTable:
    """A JSON list of objects: no header (each row names its fields), numbered from 1."""

    headers: list[str] | None = None

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def rows(self, rename: Mapping[str, str] | None = None) -> Iterator[ParsedRow]:
        return json_rows(self.file)
