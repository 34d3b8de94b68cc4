"""Files as officers attach them: a PDF, a Word document, an image, and their impostors."""

from __future__ import annotations

import io
import zipfile

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TASK = "II.1.6.1"  # every unit; the plan expects "Kế hoạch giải ngân vốn đầu tư công"
PRODUCT = "Kế hoạch giải ngân vốn đầu tư công"
PLAIN_TASK = "II.1.1.1"  # every unit; no product named


def office(kind: str) -> bytes:
    """A minimal .docx or .xlsx: a ZIP whose [Content_Types].xml names the main part."""
    main = {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    }[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types><Override PartName="/x" ContentType="{main}"/></Types>',
        )
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<x/>")
    return buffer.getvalue()


def legacy_word() -> bytes:
    """An OLE compound file whose directory names a WordDocument stream (a .doc)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le")
