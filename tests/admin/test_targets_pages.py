"""Targets and TTHC domains in the browser: Vietnamese numbers and dates, history, 422."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.admin.conftest import HX, post

URL = "/admin/targets/tthc_ontime"


def fields(page: str, **changes: object) -> dict[str, object]:
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    base: dict[str, object] = {
        "name": "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn",
        "comparator": ">=",
        "target": "98,5",
        "due_date": "31/12/2025",
        "responsible_unit": "ttpvhcc",
        "disaggregation": "domain",
        "description": "",
        "version": version,
        "dt_khieu-nai-to-cao": "95",  # as the page shows it: the plan's 95 % for khiếu nại
    }
    return {**base, **changes}


def test_the_list_shows_comparator_target_and_domains(coordinator_web: TestClient) -> None:
    page = coordinator_web.get("/admin/targets")
    assert page.status_code == 200
    row = re.search(r'<tr id="ind-tthc_ontime".*?</tr>', page.text, re.S).group(0)
    assert "≥ 98%" in row and "Theo lĩnh vực TTHC" in row and "TTPVHCC" in row.upper()
    assert 'id="domain-ho-tich"' in page.text
    fragment = coordinator_web.get("/admin/targets", headers=HX)
    assert fragment.text.lstrip().startswith('<section id="domains"')


def test_editing_a_target_in_vietnamese_numbers(coordinator_web: TestClient) -> None:
    page = coordinator_web.get(URL)
    assert page.status_code == 200 and 'value="98"' in page.text
    resp = post(coordinator_web, URL, htmx=True, **fields(page.text))
    assert resp.status_code == 200 and "Đã lưu chỉ tiêu." in resp.text
    assert 'value="98,5"' in resp.text and 'value="31/12/2025"' in resp.text
    listing = coordinator_web.get("/admin/targets").text
    assert "≥ 98,5%" in listing and "31/12/2025" in listing
    history = coordinator_web.get(URL).text
    assert '<strong title="target">Mục tiêu</strong>: <del>98</del> → <ins>98,5</ins>' in history


def test_a_bad_target_keeps_the_input(coordinator_web: TestClient) -> None:
    page = coordinator_web.get(URL)
    resp = post(coordinator_web, URL, htmx=True, **fields(page.text, target="120", name="Mới"))
    assert resp.status_code == 422
    assert "Chỉ tiêu phần trăm phải từ 0 đến 100." in resp.text and 'value="120"' in resp.text
    resp = post(coordinator_web, URL, **fields(page.text, target="", due_date="1/13/2025"))
    assert resp.status_code == 422 and "<html" in resp.text
    assert "Hãy nhập giá trị chỉ tiêu." in resp.text and "dd/mm/yyyy" in resp.text


def test_adding_a_domain(coordinator_web: TestClient) -> None:
    bad = post(coordinator_web, "/admin/targets/domains", htmx=True, code="ho-tich", name="Hộ tịch")
    assert bad.status_code == 409 and "Mã lĩnh vực đã được dùng." in bad.text
    done = post(
        coordinator_web, "/admin/targets/domains", code="thu-nghiem", name="Lĩnh vực thử nghiệm"
    )
    assert done.status_code == 303
    assert 'id="domain-thu-nghiem"' in coordinator_web.get("/admin/targets").text


def test_per_domain_targets_are_edited_next_to_the_target(
    coordinator_web: TestClient,
) -> None:
    page = coordinator_web.get(URL).text
    assert 'id="domain-targets"' in page
    assert 'name="dt_khieu-nai-to-cao" type="text" value="95"' in page
    assert 'name="dt_ho-tich" type="text" value=""' in page  # blank: the general 98 %
    saved = post(
        coordinator_web,
        URL,
        htmx=True,
        **fields(page, **{"dt_khieu-nai-to-cao": "96,5", "dt_dat-dai": "97"}),
    )
    assert saved.status_code == 200 and "Đã lưu chỉ tiêu." in saved.text
    indicator = coordinator_web.get("/admin/targets/tthc_ontime").text
    assert 'name="dt_khieu-nai-to-cao" type="text" value="96,5"' in indicator
    assert 'name="dt_dat-dai" type="text" value="97"' in indicator
    bad = post(coordinator_web, URL, htmx=True, **fields(indicator, **{"dt_dat-dai": "1,2,3"}))
    assert bad.status_code == 422
    assert 'value="1,2,3"' in bad.text and "không phải là một số" in bad.text
    cleared = post(
        coordinator_web,
        URL,
        htmx=True,
        **fields(indicator, **{"dt_dat-dai": "", "dt_khieu-nai-to-cao": "96,5"}),
    )
    assert cleared.status_code == 200
    after = coordinator_web.get(URL).text
    assert 'name="dt_dat-dai" type="text" value=""' in after
    assert 'name="dt_khieu-nai-to-cao" type="text" value="96,5"' in after
