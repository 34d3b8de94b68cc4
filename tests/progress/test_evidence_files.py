"""What a file is, read from its bytes; names cleaned; download headers (pure functions)."""

from __future__ import annotations

import io

import pytest

from app.progress.evidence import files
from tests.progress.evidence_helpers import PDF, PNG, legacy_word, odt, office


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "jpg"),
        (office("docx"), "docx"),
        (office("xlsx"), "xlsx"),
        (odt(), "odt"),
        (legacy_word(), "doc"),
        (b"<html><script>alert(1)</script>", None),
        (b"PK\x03\x04 not really a zip", None),
        (b"", None),
    ],
)
def test_the_kind_comes_from_the_bytes(data: bytes, kind: str | None) -> None:
    assert files.sniff(io.BytesIO(data)) == kind


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Báo cáo kết quả tháng 10.pdf", "Báo cáo kết quả tháng 10.pdf"),
        ("C:\\Users\\can bo\\Quyết định 12.pdf", "Quyết định 12.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("bao\x00cao\x1f.pdf", "baocao.pdf"),
        ("..pdf", "pdf"),
        ("", "minh-chung"),
        ('a<b>c:"d"|e?.pdf', "a_b_c__d__e_.pdf"),
    ],
)
def test_names_keep_vietnamese_and_lose_paths_and_control_characters(raw: str, clean: str) -> None:
    assert files.clean_filename(raw) == clean


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    name = files.clean_filename("Báo cáo " * 40 + ".docx")
    assert len(name) <= files.MAX_NAME and name.endswith(".docx")


def test_the_disposition_carries_an_ascii_fallback_and_the_utf8_name() -> None:
    header = files.content_disposition("Quyết định số 12.pdf", inline=True)
    assert header.startswith('inline; filename="Quyet dinh so 12.pdf"; ')
    assert "filename*=UTF-8''Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%20s%E1%BB%91%2012.pdf" in header
    assert files.content_disposition('a".pdf', inline=False).startswith(
        'attachment; filename="a_.pdf"'
    )


def test_sizes_read_the_vietnamese_way() -> None:
    assert files.size_vi(1536 * 1024) == "1,5 MB"
    assert files.size_vi(2048) == "2 KB"
