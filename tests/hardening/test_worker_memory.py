"""A worker frees what building its app left behind before it serves (issue #17, memory).

``partrack serve --workers N`` builds each worker's app with ``app.runtime.worker_app``. The
routes ``add_flat`` rebuilds leave some 115,000 objects in reference cycles, which the raised
collection thresholds (``tune_gc``) would keep for hours; the app itself is frozen out of later
full collections. Built in a fresh interpreter, as a worker does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import gc, json
from app.runtime import worker_app
worker_app()
print(json.dumps({"frozen": gc.get_freeze_count(), "garbage": gc.collect()}))
"""


def test_a_workers_app_leaves_no_garbage_and_is_frozen(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PARTRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
        "PARTRACK_SECRET_KEY": "startup-probe-secret-0123456789abcdefghij",
        "PARTRACK_ENVIRONMENT": "test",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["frozen"] > 100_000  # the app, its routes and modules: out of full collections
    assert found["garbage"] < 1_000  # the first routes add_flat copied from: already collected
