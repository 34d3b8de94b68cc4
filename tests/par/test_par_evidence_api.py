"""A criterion's evidence over the API is received as a task's evidence is: one function
(``progress/evidence/upload.attach_received``) reads the content type (a multipart file or a JSON
link), holds no connection while the body arrives, and answers; one stores the file
(``stored_file``); one sends it back (``file_response``).

The review of December 2026 found the PAR route a copy of the progress one that told a task
from a link by looking for the bytes ``"task"`` anywhere in the body: a link whose note said
"task" was refused as a malformed task.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_token
from tests.progress.evidence_helpers import PDF

APP = Path(__file__).resolve().parents[2] / "app"
API = "/api/v1/par-assessments"
YEAR = 2025
URL = f"{API}/{YEAR}/items/3.5/evidence"
TASK_URL = "/api/v1/units/ttpvhcc/periods/2025-10/tasks/II.1.6.1/evidence"


@pytest.fixture
def officer(anon: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock) -> dict:
    coordinator = make_token(clean_db, clock, username="dp", role="coordinator", unit="vhxh")
    opened = anon.post(API, json={"year": YEAR}, headers={"Authorization": f"Bearer {coordinator}"})
    assert opened.status_code == 201, opened.text
    token = make_token(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    return {"Authorization": f"Bearer {token}"}


def test_a_link_whose_note_says_task_is_a_link(anon: TestClient, officer: dict) -> None:
    link = {"url": "https://phudinh.hochiminhcity.gov.vn/vb/1", "note": "task"}
    r = anon.post(URL, json=link, headers=officer)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "link" and r.json()["note"] == "task"
    r = anon.post(URL, json={"task": "II.2.3.1", "note": "Báo cáo quý"}, headers=officer)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "task"


def test_broken_json_is_a_422_under_body(anon: TestClient, officer: dict) -> None:
    r = anon.post(
        URL, content=b'{"task": ', headers={**officer, "Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["detail"]["errors"][0]["field"].startswith("body")


@pytest.mark.parametrize("url", [URL, TASK_URL])
def test_neither_a_file_nor_json_is_refused_with_415(
    anon: TestClient, officer: dict, url: str
) -> None:
    body = b'{"url": "https://phudinh.hochiminhcity.gov.vn/vb/1"}'
    r = anon.post(url, content=body, headers={**officer, "Content-Type": "text/plain"})
    assert r.status_code == 415, r.text
    assert r.json()["detail"]["code"] == "unsupported_media_type"
    assert "multipart/form-data" in r.json()["detail"]["message"]


def test_a_file_is_stored_and_sent_back_as_a_task_s_evidence_is(
    anon: TestClient, officer: dict
) -> None:
    r = anon.post(
        URL, headers=officer, files={"file": ("quyết định.pdf", PDF, "application/pdf")},
        data={"note": "Quyết định 12"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    down = anon.get(f"{API}/evidence/{key}", headers=officer)
    assert down.status_code == 200 and down.content == PDF
    assert down.headers["content-security-policy"] == "sandbox"
    assert down.headers["x-content-type-options"] == "nosniff"
    assert down.headers["content-disposition"].startswith("attachment;")
    empty = anon.post(URL, headers=officer, files={"file": ("rong.pdf", b"", "application/pdf")})
    assert empty.status_code == 422 and empty.json()["detail"]["errors"][0]["code"] == "file_empty"


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            found.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return found


@pytest.mark.parametrize("module", ["par/evidence_api.py", "progress/evidence/api.py"])
def test_both_evidence_apis_call_the_one_receive_and_answer(module: str) -> None:
    calls = _calls(APP / module)
    assert {"attach_received", "file_response"} <= calls
    # what the shared functions do, not to be written again in a route
    assert not calls & {"received_form", "body", "content_disposition", "model_validate_json"}


@pytest.mark.parametrize("module", ["par/evidence.py", "progress/evidence/service.py"])
def test_both_evidence_services_store_files_through_one_function(module: str) -> None:
    tree = ast.parse((APP / module).read_text(encoding="utf-8"))
    storing = {
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"spooled", "put"}
    }
    assert storing <= {"stored_file"}, storing
    assert "stored_file" in _calls(APP / module)
