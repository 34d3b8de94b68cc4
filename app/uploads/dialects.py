"""What kind of text file an officer's Excel wrote: its encoding and its column separator.

A Vietnamese-locale Excel saves "CSV" with ``;`` between cells (the list separator, because the
comma is the decimal mark), "CSV UTF-8" with a BOM, "Unicode Text" as UTF-16 with tabs, and plain
"CSV (Comma delimited)" in the Windows code page (Windows-1258 for Vietnamese), which loses or
garbles diacritics. The first three are read as they are; the last is named with the exact steps
to save the file again, because guessing a legacy code page silently corrupts names.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import IO

from app.errors import FieldError

#: Bytes looked at to decide; a header line and a few rows are plenty.
SAMPLE_BYTES = 64 * 1024
_SEPARATORS = (",", ";", "\t")

SAVE_AS_UTF8 = (
    "Trong Excel: chọn Tệp (File) → Lưu thành (Save As) → ở ô “Lưu dưới dạng” (Save as type) "
    "chọn “CSV UTF-8 (Comma delimited) (*.csv)” → Lưu; hoặc gửi thẳng tệp Excel .xlsx."
)


@dataclass(frozen=True)
class Dialect:
    encoding: str  # a Python codec name
    delimiter: str

    @property
    def described(self) -> str:
        names = {",": "dấu phẩy", ";": "dấu chấm phẩy", "\t": "dấu tab"}
        return f"{self.encoding}, {names.get(self.delimiter, self.delimiter)}"


class LegacyEncoding(Exception):
    """The file is not Unicode: say so at the header, with the steps to fix it in Excel."""

    def __init__(self, sample: bytes) -> None:
        super().__init__("legacy encoding")
        self.guess = _legacy_guess(sample)

    def field_error(self) -> FieldError:
        return FieldError(
            "file",
            "legacy_encoding",
            f"Tệp không ở bảng mã Unicode (UTF-8) mà ở bảng mã cũ{self.guess}, nên chữ có dấu "
            f"sẽ bị sai. {SAVE_AS_UTF8}",
        )


def _legacy_guess(sample: bytes) -> str:
    """Windows-1258 writes đ/Đ as 0xF0/0xD0 and tones as combining marks 0xCC, 0xEC, 0xD2, 0xDE,
    0xF2: enough to name it in the message (never to decode with it)."""
    marks = sum(sample.count(b) for b in (b"\xcc", b"\xec", b"\xd2", b"\xde", b"\xf2"))
    d_bar = sample.count(b"\xf0") + sample.count(b"\xd0")
    return " Windows-1258 (tiếng Việt của Windows)" if marks + d_bar else " của Windows"


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text of mostly ASCII has a NUL in every other byte."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def sniff_encoding(sample: bytes) -> str:
    """The codec for the file, or ``LegacyEncoding``: BOMs first, then UTF-16 by its zeros, then
    UTF-8 if the sample decodes (its last, possibly cut, character excepted)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if (utf16 := _utf16_without_bom(sample)) is not None:
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        raise LegacyEncoding(sample) from None
    return "utf-8"


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def sniff_delimiter(text: str) -> str:
    """The separator the header line uses most (``,`` when it has none: a one-column file)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = {sep: _count_outside_quotes(line, sep) for sep in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def sniff(file: IO[bytes]) -> Dialect:
    """The dialect of a CSV upload (reads a sample, then rewinds)."""
    file.seek(0)
    sample = file.read(SAMPLE_BYTES)
    file.seek(0)
    encoding = sniff_encoding(sample)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return Dialect(encoding, sniff_delimiter(decoder.decode(sample, final=False)))
