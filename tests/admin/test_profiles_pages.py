"""Mapping profiles in the browser: the list, a new profile, editing as lines, the preview."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.admin.conftest import HX, post
from tests.imports.test_profiles import HEADERS, ROWS

URL = "/admin/profiles/mot-cua-hcm"


def _form(page: str) -> dict[str, str]:
    """The edit form's fields as the page fills them."""
    found: dict[str, str] = {}
    for name in ("name", "date_formats", "version"):
        found[name] = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
    for name in ("description", "columns", "ignore", "values", "procedures", "defaults"):
        text = re.search(rf'name="{name}"[^>]*>(.*?)</textarea>', page, re.S).group(1)
        found[name] = text.replace("&#34;", '"').replace("&amp;", "&").replace("&#39;", "'")
    found["kind"] = "dossiers"
    return found


def test_the_list_and_a_new_profile(coordinator_web: TestClient) -> None:
    page = coordinator_web.get("/admin/profiles")
    assert page.status_code == 200 and 'href="/admin/profiles"' in page.text
    row = re.search(r'<tr id="profile-mot-cua-hcm".*?</tr>', page.text, re.S).group(0)
    assert "Đi kèm partrack" in row and "Hồ sơ TTHC" in row
    fragment = coordinator_web.get("/admin/profiles", headers=HX)
    assert fragment.text.lstrip().startswith('<form id="profile-create"')
    bad = post(coordinator_web, "/admin/profiles", htmx=True, code="Mã Sai", name="", kind="")
    assert bad.status_code == 422 and 'value="Mã Sai"' in bad.text
    made = post(
        coordinator_web,
        "/admin/profiles",
        code="quan-7",
        name="Một cửa quận 7",
        kind="dossiers",
        copy_from="mot-cua-hcm",
    )
    assert made.status_code == 303 and made.headers["location"] == "/admin/profiles/quan-7"
    copied = coordinator_web.get("/admin/profiles/quan-7").text
    assert "received_at: Ngày tiếp nhận | Ngày nhận hồ sơ" in copied
    assert "channel: Trực tuyến = online" in copied


def test_editing_as_lines_and_a_bad_line(coordinator_web: TestClient) -> None:
    page = coordinator_web.get(URL)
    assert page.status_code == 200 and "Xem trước một tệp mẫu" in page.text
    fields = _form(page.text)
    assert "Số điện thoại" in fields["ignore"]
    fields["values"] += "\nchannel: Nộp qua mạng = online"
    saved = post(coordinator_web, URL, htmx=True, **fields)
    assert saved.status_code == 200 and "Đã lưu hồ sơ ánh xạ." in saved.text
    assert "channel: Nộp qua mạng = online" in saved.text and 'id="history"' in saved.text
    listing = coordinator_web.get("/admin/profiles").text
    assert "Đi kèm partrack, đã sửa" in listing

    again = _form(coordinator_web.get(URL).text)
    broken = {**again, "columns": again["columns"] + "\ncột không có dấu hai chấm"}
    refused = post(coordinator_web, URL, htmx=True, **broken)
    assert refused.status_code == 422 and "Dòng 12: ghi “trường: Tên cột | Tên cột khác”." in (
        refused.text
    )
    unknown = {**again, "defaults": "digitized = false"}
    refused = post(coordinator_web, URL, **unknown)
    assert refused.status_code == 422 and "<html" in refused.text
    assert "cột vắng mặt nghĩa là “chưa rõ”" in refused.text
    stale = post(coordinator_web, URL, htmx=True, **{**again, "version": "0"})
    assert stale.status_code == 409 and "vừa được người khác sửa" in stale.text


def test_the_preview_shows_the_rows_as_they_will_be_read(coordinator_web: TestClient) -> None:
    body = (",".join(HEADERS) + "\n" + "\n".join(",".join(r) for r in ROWS) + "\n").encode()
    bad_row = [*ROWS[1][:3], "Hộ tịc", *ROWS[1][4:]]
    body += (",".join(bad_row) + "\n").encode()
    seen = coordinator_web.post(
        f"{URL}/preview",
        data={"csrf_token": coordinator_web.csrf},  # type: ignore[attr-defined]
        files={"file": ("mot-cua.csv", body, "text/csv")},
        headers=HX,
    )
    assert seen.status_code == 200
    assert seen.text.lstrip().startswith('<div id="preview"')
    assert "Bỏ qua, không lưu" in seen.text and "0903123456" not in seen.text
    assert "03/10/2025 08:30" in seen.text and "ho-tich" in seen.text
    assert "Ý bạn là “Hộ tịch” (ho-tich)?" in seen.text and "(1 dòng: 4)" in seen.text
    empty = coordinator_web.post(
        f"{URL}/preview",
        data={"csrf_token": coordinator_web.csrf},  # type: ignore[attr-defined]
        headers=HX,
    )
    assert empty.status_code == 422 and "Hãy chọn một tệp mẫu" in empty.text
