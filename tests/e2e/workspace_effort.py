"""What a month's report costs an officer, counted the same way before and after a change.

The service centre (``ttpvhcc``) reports 48 tasks and 24 indicators a month. ``month`` gives
realistic answers for a month: a third of the tasks move on each month (a new percentage and a new
sentence), the rest say what they said the month before, and every indicator has a new figure.

``Officer`` drives the page and counts what a person would do:
- a click on a button, link or field is one click; choosing in a drop-down is two (open, pick);
- typing is one keystroke per character; replacing a field that already holds text costs one more
  (select all) before the new text;
- a field that already holds the wanted value costs nothing (that is what carrying forward buys).
Scrolling and waiting are not counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.kpis.models import ReadingSource, ReadingWrite
from app.kpis.readings import upsert_reading
from app.progress import service as progress_service
from app.progress.models import ProgressWrite
from app.reporting import workspace

UNIT = "ttpvhcc"
EFFORT_FILE = Path(__file__).resolve().parents[2] / "test-artifacts" / "workspace-effort.json"


@dataclass(frozen=True)
class TaskAnswer:
    status: str
    percent: str
    result: str
    #: The document a done task shows when its plan entry names a product (issue 19).
    evidence: str = ""


@dataclass(frozen=True)
class Month:
    tasks: dict[str, TaskAnswer]
    #: dom id of the indicator row → the value as typed ("97,5").
    readings: dict[str, str]


def month(*, db_session: Session, actor: Actor, clock: Clock, period: str, n: int) -> Month:
    """The answers of the ``n``-th month (1 = October 2025) for every row of the workspace."""
    ws = workspace.build(
        db_session=db_session, actor=actor, clock=clock, unit_code=UNIT, period=period
    )
    tasks: dict[str, TaskAnswer] = {}
    for i, row in enumerate(ws.tasks):
        if i % 7 == 6:
            tasks[row.task.code] = TaskAnswer(
                "done",
                "",
                "Đã hoàn thành, duy trì kết quả.",
                "Báo cáo số 45/BC-TTPVHCC" if row.task.expected_product else "",
            )
        elif i % 3 == 0:  # moves on every month
            tasks[row.task.code] = TaskAnswer(
                "in_progress",
                str(min(30 + 10 * n + i % 5, 95)),
                f"Tháng {9 + n}: đã triển khai thêm {i + n} đầu việc theo kế hoạch.",
            )
        else:
            tasks[row.task.code] = TaskAnswer(
                "in_progress", "50", "Duy trì thực hiện thường xuyên theo kế hoạch."
            )
    readings = {
        row.dom_id: f"{90 + (i + n) % 9},{(i * 3 + n) % 10}" for i, row in enumerate(ws.indicators)
    }
    return Month(tasks, readings)


def store(*, db_session: Session, actor: Actor, clock: Clock, period: str, answers: Month) -> None:
    """A month already reported, through the services the pages use."""
    ws = workspace.build(
        db_session=db_session, actor=actor, clock=clock, unit_code=UNIT, period=period
    )
    for row in ws.tasks:
        a = answers.tasks[row.task.code]
        progress_service.upsert_progress(
            db_session=db_session,
            actor=actor,
            clock=clock,
            data=ProgressWrite(
                assignment=row.task.code,
                unit=UNIT,
                period=period,
                status=a.status,  # type: ignore[arg-type]
                percent_complete=int(a.percent) if a.percent else None,
                result=a.result,
                evidence=a.evidence,
            ),
        )
    for row in ws.indicators:
        upsert_reading(
            db_session=db_session,
            actor=actor,
            clock=clock,
            data=ReadingWrite(
                indicator=row.indicator.code,
                unit=UNIT,
                period=period,
                domain=row.domain.code if row.domain else None,
                value=answers.readings[row.dom_id],  # type: ignore[arg-type]
            ),
            source=ReadingSource.FORM,
        )


@dataclass
class Officer:
    """Does what an officer does on the page, and counts clicks and keystrokes."""

    page: Page
    clicks: int = 0
    keys: int = 0
    steps: list[str] = field(default_factory=list)

    def click(self, target: Locator) -> None:
        target.click()
        self.clicks += 1

    def choose(self, select: Locator, value: str) -> None:
        if select.input_value() == value:
            return
        select.select_option(value)
        self.clicks += 2

    def type(self, box: Locator, text: str) -> None:
        current = box.input_value()
        if current == text:
            return
        self.clicks += 1
        if current:
            self.keys += 1  # select all, then type over it
        box.fill(text)
        self.keys += len(text)

    def answer_task(self, row: Locator, a: TaskAnswer) -> None:
        self.choose(row.locator("select[name=status]"), a.status)
        if a.status == "in_progress":
            self.type(row.locator("input[name=percent_complete]"), a.percent)
        elif row.locator("input[name=percent_complete]").input_value():
            self.type(row.locator("input[name=percent_complete]"), "")
        self.type(row.locator("textarea[name=result]"), a.result)
        if a.evidence and row.locator("input[name=evidence]").input_value() != a.evidence:
            self.type(row.locator("input[name=evidence]"), a.evidence)

    def answer_reading(self, row: Locator, value: str) -> None:
        self.type(row.locator("input[name=value]"), value)

    def fill_month(self, answers: Month, *, save_each: bool) -> None:
        """Every row answered; with ``save_each`` each row's own "Lưu" is pressed."""
        for code, a in answers.tasks.items():
            row = self.page.locator(f"#task-{code.replace('.', '-')}")
            self.answer_task(row, a)
            if save_each:
                self.click(row.get_by_role("button", name="Lưu", exact=True))
                expect(row.locator(".saved")).to_be_visible()
        for dom_id, value in answers.readings.items():
            row = self.page.locator(f"#{dom_id}")
            self.answer_reading(row, value)
            if save_each:
                self.click(row.get_by_role("button", name="Lưu", exact=True))
                expect(row.locator(".saved")).to_be_visible()


def record(name: str, officer: Officer) -> dict[str, int]:
    """Keep the figure in test-artifacts/workspace-effort.json for the closing note."""
    figures = {"clicks": officer.clicks, "keystrokes": officer.keys}
    EFFORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(EFFORT_FILE.read_text()) if EFFORT_FILE.exists() else {}
    known[name] = figures
    EFFORT_FILE.write_text(json.dumps(known, indent=2, ensure_ascii=False))
    print(name, json.dumps(figures))
    return figures
