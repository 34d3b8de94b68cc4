"""Keeping survey codes and citizens' addresses out of the web server's access log.

uvicorn writes every request line with the client's address, query string included: a line
``1.2.3.4 - "GET /khao-sat?ma=K7QM3XTP9A"`` would tie a dossier's code to an address and a moment,
which is exactly what the survey's tables refuse to keep (docs/sipas.md). For paths under
``/khao-sat`` the filter drops the query string and the address; other paths are left as they are.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

SURVEY_PREFIX = "/khao-sat"
HIDDEN_ADDRESS = "-"


def _is_survey(path: str) -> bool:
    return path == SURVEY_PREFIX or path.startswith((SURVEY_PREFIX + "/", SURVEY_PREFIX + "?"))


class SurveyAccessFilter(logging.Filter):
    """Rewrites uvicorn's access records for the survey: no query string, no client address."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            _client, method, path, version, status = args
            if _is_survey(path):
                record.args = (HIDDEN_ADDRESS, method, path.split("?", 1)[0], version, status)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the survey filter on its access logger."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["sipas_survey"] = {
        "()": "app.sipas.access_log.SurveyAccessFilter"
    }
    config["loggers"]["uvicorn.access"]["filters"] = ["sipas_survey"]
    return config
