"""The "API" link opens documentation that renders the app's OpenAPI 3.1 from our own files."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, Shots

pytestmark = pytest.mark.e2e


def test_the_docs_page_renders_the_operations(server: LiveServer, page: Page, shot: Shots) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None,
    )
    page.goto(f"{server.url}/docs")
    # tags start closed (some 150 operations): every tag is listed, one opens on a click
    tags = page.locator(".opblock-tag")
    expect(tags.filter(has_text="par-assessments")).to_have_count(1)
    assert tags.count() > 25
    tags.filter(has_text="submissions").first.click()
    operation = page.locator(
        ".opblock-summary-description", has_text="Reports expected and received"
    )
    expect(operation).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    expect(page.locator(".version-stamp").first).to_contain_text("OAS 3.1")
    shot("docs")
    operation.click()  # opens the operation: parameters and responses render too
    expect(page.locator(".opblock.is-open .responses-wrapper").first).to_be_visible()
    shot("operation")
    assert not outside, outside  # no CDN, nothing fetched from elsewhere
    assert not problems, problems
