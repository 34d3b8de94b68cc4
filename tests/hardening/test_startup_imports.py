"""A worker starts without the libraries only some requests need (issue #17, memory).

Each ``partrack serve`` worker imports the app; a library imported at start is held by every
worker for its whole life, whether or not anyone exports a file. openpyxl, python-docx,
weasyprint and pypdf cost some 10 MiB per worker and are imported where a file is written or
read; psycopg (8 MiB) by a PostgreSQL engine only. The app is built in a fresh interpreter, as
a worker does, and its modules are read.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import in_fresh_interpreter

#: Imported on first use only: file exports and reports, PDF, the import of spreadsheets, QR.
ON_FIRST_USE = (
    *("openpyxl", "docx", "weasyprint", "pypdf", "lxml", "PIL", "fontTools", "cssselect2"),
    "segno",  # the survey's QR codes
)

_PROBE = """
import json, sys
from app.main import create_app
create_app()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_building_the_app_imports_no_file_library(tmp_path: Path) -> None:
    loaded = set(in_fresh_interpreter(_PROBE, tmp_path))
    assert "fastapi" in loaded and "sqlalchemy" in loaded  # the probe did build the app
    assert sorted(loaded.intersection(ON_FIRST_USE)) == []
    # PostgreSQL's driver (8 MiB): only an engine for PostgreSQL imports ``app.db_postgres``.
    assert "psycopg" not in loaded
