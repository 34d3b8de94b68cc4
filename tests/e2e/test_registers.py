"""Each register in Chromium, as a unit's officer keeps it: from the menu to the register, a row
added with the dates and numbers typed the Vietnamese way, a mistake shown next to its field,
the row changed, its history read, and the list filtered to it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from app.registers.fields import FieldKind
from app.registers.specs import REGISTERS, RegisterSpec
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("spec", REGISTERS, ids=[s.slug for s in REGISTERS])
def test_an_officer_keeps_a_register(
    server: LiveServer,
    page: Page,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: Session,
    spec: RegisterSpec,
) -> None:
    make_user(clean_db, clock, username="bc.vp", role="reporter", unit="vp")
    login(page, server.url, "bc.vp", "mat-khau-thu-nghiem")
    page.get_by_role("link", name="Sổ theo dõi").click()
    page.get_by_role("link", name=spec.title).click()
    page.get_by_role("link", name=f"Thêm {spec.singular}").click()
    form = page.locator("#register-form")
    for f in spec.fields:
        if f.example is None:
            continue
        field = form.get_by_label(f.label, exact=False).first
        if f.kind is FieldKind.CHOICE:
            field.select_option(str(f.example))
        else:
            field.fill(str(f.example))
    form.get_by_label("Nhiệm vụ của kế hoạch").fill("II.9.9")  # a task the plan does not have
    form.get_by_role("button", name="Thêm vào sổ").click()
    expect(page.locator("#register-form-tasks-err")).to_contain_text("II.9.9")
    form = page.locator("#register-form")
    form.get_by_label("Nhiệm vụ của kế hoạch").fill("II.2.2.5")
    form.get_by_role("button", name="Thêm vào sổ").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{spec.title}: {spec.prefix}-")
    shot("added")
    text = next(f for f in spec.fields if f.required and f.kind in (FieldKind.TEXT, FieldKind.LONG))
    page.locator("#register-form").get_by_label(text.label, exact=False).first.fill("Đã sửa")
    page.locator("#register-form").get_by_role("button", name="Lưu thay đổi").click()
    expect(page.locator("#register-form")).to_contain_text("Đã lưu.")
    page.reload()
    expect(page.locator("#history")).to_contain_text("Đã sửa")
    page.goto(f"{server.url}/so-theo-doi/{spec.slug}")
    page.get_by_label("Tìm").fill("đã sửa")
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("#register-rows")).to_contain_text("1 mục.")
    shot("listed")
