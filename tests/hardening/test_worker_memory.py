"""A worker frees what building its app left behind before it serves (issue #17, memory).

``partrack serve --workers N`` builds each worker's app with ``app.runtime.worker_app``. What
building it leaves in reference cycles (115,000 objects when the routes were still copied) the
raised collection thresholds (``tune_gc``) would keep for hours; the app itself is frozen out of
later full collections. Built in a fresh interpreter, as a worker does.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import in_fresh_interpreter

_PROBE = """
import gc, json
from app.runtime import worker_app
worker_app()
print(json.dumps({"frozen": gc.get_freeze_count(), "garbage": gc.collect()}))
"""


def test_a_workers_app_leaves_no_garbage_and_is_frozen(tmp_path: Path) -> None:
    found = in_fresh_interpreter(_PROBE, tmp_path)
    assert found["frozen"] > 100_000  # the app, its routes and modules: out of full collections
    assert found["garbage"] < 1_000  # what building the app left: already collected
