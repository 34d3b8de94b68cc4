"""A task's row in the workspace lists the register rows that name it, from every register, read
in one statement (issue #17: the row save and the page asked each register in turn)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import tenancy
from app.clock import FixedClock
from app.registers import links
from app.registers.specs import REGISTERS
from app.units.models import Unit
from tests.conftest import statements
from tests.conftest import test_ward as ward_called
from tests.registers.test_registers_pages import HX, _form, officer  # noqa: F401

TASK = "II.2.2.5"


def test_every_registers_rows_naming_a_task_show_beside_it(
    officer: TestClient,  # noqa: F811
    clean_db: Engine,
) -> None:
    made: list[str] = []
    for spec in REGISTERS:
        form = _form(spec, officer.csrf)  # type: ignore[attr-defined]
        r = officer.post(f"/so-theo-doi/{spec.slug}/moi", data=form, headers=HX)
        assert r.status_code == 200, r.text
        made.append(r.headers["HX-Redirect"])
    page = officer.get("/units/vp/periods/2025-11").text
    row = page[page.index('id="ev-task-II-2-2-5"') :]
    row = row[: row.index("</div>")]
    places = [row.find(f'href="{url}"') for url in made]
    assert -1 not in places, made
    assert places == sorted(places)  # in the registers' order
    with Session(clean_db) as db_session:
        vp = db_session.exec(select(Unit).where(Unit.code == "vp")).one()
        with statements(clean_db) as seen:
            found = links.by_task(db_session, vp.id)
        other = links.by_task(db_session, None)
    assert len(seen) == 1
    assert [link.url for link in found[TASK]] == [u.split("?")[0] for u in made]
    assert {link.register for link in found[TASK]} == {s.title for s in REGISTERS}
    assert all(link.text for link in found[TASK])
    assert other == {}
    # Inside another ward the same unit id reads nothing: the statement skips the ward's
    # criteria for speed, so it carries the ward itself.
    with Session(clean_db) as db_session:
        vp = db_session.exec(select(Unit).where(Unit.code == "vp")).one()
        other_ward = ward_called(db_session, FixedClock.on(date(2025, 11, 20)), code="binh-dong")
        tenancy.enter(db_session, tenancy.Scope(ward_id=other_ward.id))
        assert links.by_task(db_session, vp.id) == {}
        tenancy.enter(db_session, tenancy.Scope(ward_id=vp.ward_id))
        mine = links.by_task(db_session, vp.id)
        assert [link.url for link in mine[TASK]] == [u.split("?")[0] for u in made]
