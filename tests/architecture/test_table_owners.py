"""docs/architecture.md says which package owns which table; the metadata must agree, so the
map a newcomer reads cannot drift from the code after a move (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import SQLModel

import app.models  # noqa: F401  (the registry of every table)

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def documented() -> dict[str, str]:
    owners: dict[str, str] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        row = re.match(r"^\| `(\w+)` \| (.+) \|$", line)
        if row:
            for table in re.findall(r"`(\w+)`", row.group(2)):
                if table in SQLModel.metadata.tables:
                    owners[table] = row.group(1)
    return owners


def actual() -> dict[str, str]:
    return {
        mapper.local_table.name: mapper.class_.__module__.split(".")[1]
        for mapper in SQLModel._sa_registry.mappers  # type: ignore[attr-defined]
    }


def test_every_table_is_documented_under_the_package_that_defines_it() -> None:
    assert documented() == actual()
