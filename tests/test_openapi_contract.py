"""The published OpenAPI against the app itself: schemathesis generates requests from
``/openapi.json`` and every answer must be a non-5xx, of a declared status, content type and
schema. In-process (ASGI), on the test database with Plan 84, as an administrator, bounded.

No operation is skipped: file downloads are declared with their media types (``app.main``), so
they are fuzzed like the rest. Stateful (linked) scenarios are off: they chain calls without bound
and the per-operation phases already reach every route.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.engine import StopReason, events, from_schema
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_token

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
#: Examples per operation and phase (the coverage phase adds its boundary cases: huge numbers,
#: NUL bytes, missing fields). With 5, ~80 operations took 15 minutes on a 2-core machine shared
#: by four test runs, a quarter of it generating the consolidated report; 2 is the bounded run.
#: ``PARTRACK_FUZZ_EXAMPLES=50`` for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("PARTRACK_FUZZ_EXAMPLES", "2"))
#: The coverage phase generates every boundary case the schema defines (huge numbers, NUL bytes,
#: missing fields) whatever ``max-examples`` says: on a loaded 2-core machine it alone took over
#: ten minutes. The boundaries it found are pinned by ``tests/test_no_500.py``; the suite runs the
#: bounded phases (examples, fuzzing), ``PARTRACK_FUZZ_COVERAGE=1`` adds it for a deeper run.
COVERAGE = os.environ.get("PARTRACK_FUZZ_COVERAGE", "") == "1"
#: The run's budget of work, in seconds: the engine goes round every operation again and again
#: (each round took ~4 s on a loaded 2-core machine, the report's final version most of it) and
#: stops at the budget. Stopping there is the normal end, not a failure; what the test asserts is
#: that every operation was exercised and nothing answered out of contract, never a speed.
MAX_SECONDS = int(os.environ.get("PARTRACK_FUZZ_SECONDS", "60"))


#: Failures known and accepted, by a marker in their title (none: the control characters it
#: found are refused at the input models and dropped by the document writers since).
KNOWN_BUGS: dict[str, str] = {}


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 84,
            "max-time": MAX_SECONDS,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # Shrinking replays a failure many times to minimise it: for debugging by hand,
                # not for the suite (the failing case is reported as found).
                "no-shrink": True,
            },
            "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": COVERAGE}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


def _fuzz(application: FastAPI, engine: Engine, clock: FixedClock) -> tuple[list[str], set[str]]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", application, config=_config())

    @schema.auth()
    class AdminToken:
        """A fresh admin token, again after a 401: the fuzzer may well revoke the one it uses
        (``DELETE /tokens/1``)."""

        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
            return make_token(engine, clock, username="fuzz-admin", role="admin")

        def set(
            self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext
        ) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    operations = {op.ok().label for op in schema.get_all_operations()}
    tested: set[str] = set()
    problems: Counter[str] = Counter()
    stop = None
    verbose = os.environ.get("PARTRACK_FUZZ_VERBOSE") == "1"
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested.add(event.recorder.label)
            if verbose:
                print(f"{time.monotonic() - started:7.1f}s {event.recorder.label}", flush=True)
            for case_id, nodes in event.recorder.checks.items():
                interaction = event.recorder.interactions.get(case_id)
                status = (
                    interaction.response.status_code
                    if interaction and interaction.response
                    else "-"
                )
                for node in nodes:
                    if node.failure_info is not None:
                        title = node.failure_info.failure.title
                        problems[f"{event.recorder.label}: {node.name} ({status}, {title})"] += 1
        elif isinstance(event, events.NonFatalError | events.FatalError):
            label = getattr(event, "label", "?")
            problems[f"{label}: exception {getattr(event, 'value', event)!r}"[:300]] += 1
        elif isinstance(event, events.EngineFinished):
            stop = getattr(event, "stop_reason", None)
    lines = [f"{n}× {problem}" for problem, n in sorted(problems.items())]
    if stop not in (None, StopReason.COMPLETED, StopReason.MAX_TIME):
        lines.append(f"run stopped early: {stop}")
    return lines, operations - tested


def test_every_operation_answers_as_documented(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    if clean_db.dialect.name != "sqlite":
        pytest.skip("the contract is the same on both databases; fuzzed once, on SQLite")
    problems, untested = _fuzz(application, clean_db, clock)
    assert not untested, f"operations not exercised: {sorted(untested)}"
    known = {why for line in problems for marker, why in KNOWN_BUGS.items() if marker in line}
    unknown = [line for line in problems if not any(marker in line for marker in KNOWN_BUGS)]
    assert not unknown, "\n".join(unknown)
    if known:
        pytest.xfail("known, not fixed here: " + "; ".join(sorted(known)))


def test_the_published_errors_are_ours(anon) -> None:
    """No FastAPI default error shape is left in the document."""
    spec = anon.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            for status in ("401", "403", "404", "409", "422", "429", "503"):
                declared = operation["responses"][status]["content"]["application/json"]
                refs = str(declared["schema"])
                assert "ErrorResponse" in refs, (method, path, status)
    assert "Retry-After" in spec["paths"]["/api/v1/units"]["get"]["responses"]["503"]["headers"]
