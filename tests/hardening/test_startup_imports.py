"""A worker starts without the libraries only some requests need (issue #17, memory).

Each ``partrack serve`` worker imports the app; a library imported at start is held by every
worker for its whole life, whether or not anyone exports a file. openpyxl, python-docx,
weasyprint and pypdf cost some 10 MiB per worker and are imported where a file is written or
read; psycopg is imported by a PostgreSQL engine only. The app is built in a fresh interpreter, as a worker does, and its modules are read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Imported on first use only: file exports and reports, PDF, the import of spreadsheets.
ON_FIRST_USE = ("openpyxl", "docx", "weasyprint", "pypdf", "lxml", "PIL", "fontTools", "cssselect2")

_PROBE = """
import json, sys
from app.main import create_app
create_app()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_building_the_app_imports_no_file_library(tmp_path: Path) -> None:
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
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "fastapi" in loaded and "sqlalchemy" in loaded  # the probe did build the app
    assert sorted(loaded.intersection(ON_FIRST_USE)) == []
    # PostgreSQL's driver (8 MiB): only an engine for PostgreSQL imports ``app.db_postgres``.
    assert "psycopg" not in loaded
