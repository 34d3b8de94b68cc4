"""Query parameters that several routes share, each defined once under a name saying what it means.

Three routes families take a ``period`` and mean three different things by it; they used to be
three aliases all called ``PeriodQuery``. The names, descriptions and schemas here are the
published OpenAPI: change them only on purpose. Core module: it imports no domain package.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

#: A reporting period of the plan, scored: by default the latest general period that has data.
ScoredPeriodQuery = Annotated[
    str | None,
    Query(
        description="A period of the plan (`2025-10`, `2026-Q1`; in quarterly years also a month, "
        "`2026-02`, which covers the tasks reported monthly); by default the latest general "
        "reporting period that has any data.",
        examples=["2025-10"],
    ),
]

#: The period a consolidated report is written for; a month of a quarterly year is the report to
#: the committee's monthly meeting.
ReportPeriodQuery = Annotated[
    str | None,
    Query(
        examples=["2025-10", "2026-Q1", "2026-02"],
        description="Default: the latest period with data. A month of a quarterly year (2026-02) "
        "is the report to the committee's monthly meeting (monthly tasks only).",
    ),
]

#: A calendar span of survey answers (month, quarter or year), not tied to the plan's calendar.
SurveyPeriodQuery = Annotated[
    str | None,
    Query(max_length=16, description="2025-11 (month), 2026-Q1 (quarter) or 2026 (year)."),
]
