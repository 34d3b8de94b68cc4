"""What an uploaded file is, decided from its bytes, and the names it may carry.

Pure functions (no database, no request): the kind comes from the file's first bytes (and, for
the ZIP- and OLE-based office formats, from what the container holds), never from the browser's
label; the name is cleaned of path parts and control characters but keeps Vietnamese letters.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote

from app.formatting import format_number


@dataclass(frozen=True)
class FileKind:
    name: str
    label: str
    extensions: tuple[str, ...]
    content_type: str
    inline: bool = False


KINDS: dict[str, FileKind] = {
    k.name: k
    for k in (
        FileKind("pdf", "PDF", (".pdf",), "application/pdf", inline=True),
        FileKind("doc", "Word 97-2003", (".doc",), "application/msword"),
        FileKind(
            "docx",
            "Word",
            (".docx",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        FileKind("xls", "Excel 97-2003", (".xls",), "application/vnd.ms-excel"),
        FileKind(
            "xlsx",
            "Excel",
            (".xlsx",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        FileKind(
            "odt", "OpenDocument văn bản", (".odt",), "application/vnd.oasis.opendocument.text"
        ),
        FileKind(
            "ods",
            "OpenDocument bảng tính",
            (".ods",),
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
        FileKind("png", "ảnh PNG", (".png",), "image/png", inline=True),
        FileKind("jpg", "ảnh JPEG", (".jpg", ".jpeg"), "image/jpeg", inline=True),
    )
}

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_OLE_STREAMS = {"doc": "WordDocument".encode("utf-16-le"), "xls": "Workbook".encode("utf-16-le")}
_OLD_EXCEL = "Book".encode("utf-16-le") + b"\x00\x00"
_ODF = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}
_OOXML = {
    b"wordprocessingml.document.main+xml": "docx",
    b"spreadsheetml.sheet.main+xml": "xlsx",
}
#: The longest name kept (characters, extension included); file systems allow 255 bytes.
MAX_NAME = 120


def kind_of_extension(filename: str) -> FileKind | None:
    lower = filename.lower()
    return next((k for k in KINDS.values() if lower.endswith(k.extensions)), None)


def sniff(file: IO[bytes]) -> str | None:
    """The kind the bytes say (``None``: none we accept); reads from the start, leaves it there."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return "pdf"
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return "png"
        if head.startswith(b"\xff\xd8\xff"):
            return "jpg"
        if head.startswith(_OLE):
            return _ole_kind(file)
        if head.startswith(_ZIP):
            return _zip_kind(file)
        return None
    finally:
        file.seek(0)


def _ole_kind(file: IO[bytes]) -> str | None:
    """Word or Excel 97-2003: the compound file's directory names its main stream (UTF-16)."""
    tail = b""
    while block := file.read(1024 * 1024):
        window = tail + block
        for kind, marker in _OLE_STREAMS.items():
            if marker in window:
                return kind
        if _OLD_EXCEL in window:
            return "xls"
        tail = window[-64:]
    return None


def _zip_kind(file: IO[bytes]) -> str | None:
    """OpenDocument says its type in ``mimetype``; Office Open XML in ``[Content_Types].xml``."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    return _ODF.get(member.read(100).strip())
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as member:
                    types = member.read(1024 * 1024)
                return next((k for marker, k in _OOXML.items() if marker in types), None)
    except (zipfile.BadZipFile, OSError, EOFError):
        return None
    return None


_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")


def clean_filename(raw: str, *, fallback_extension: str = "") -> str:
    """The name to show and offer on download: the last path part, without control characters
    (NUL included) or characters Windows refuses, Vietnamese letters kept (NFC), at most
    ``MAX_NAME`` characters with the extension kept."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _SPACES.sub(" ", _UNSAFE_CHARS.sub("_", name)).strip().lstrip(".").strip()
    if not name:
        name = "minh-chung" + fallback_extension
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_NAME]
    return name


def clean_note(raw: str, *, limit: int = 500) -> str:
    """A free-text note from a form field: control characters (NUL included) dropped, trimmed."""
    text = "".join(
        c for c in unicodedata.normalize("NFC", raw) if unicodedata.category(c)[0] != "C"
    )
    return _SPACES.sub(" ", text).strip()[:limit]


def ascii_name(name: str) -> str:
    """An ASCII stand-in for old clients: diacritics dropped (đ → d), anything else → ``_``."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9._ -]", "_", plain).strip() or "minh-chung"


def content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266: the ASCII ``filename`` for old clients and the UTF-8 ``filename*`` for all."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def size_vi(n: int) -> str:
    """``1.5 MB`` the Vietnamese way (``1,5 MB``), KB below a megabyte."""
    if n >= 1024 * 1024:
        return f"{format_number(round(n / (1024 * 1024), 1))} MB"
    if n >= 1024:
        return f"{format_number(n / 1024, 0)} KB"
    return f"{format_number(n)} byte"


def allowed_text(kinds: list[str]) -> str:
    """“PDF (.pdf), Word (.docx), …”: what the refusal says may be attached."""
    return ", ".join(
        f"{KINDS[k].label} ({', '.join(KINDS[k].extensions)})" for k in kinds if k in KINDS
    )
