"""Keeping survey codes and citizens' addresses out of the web server's access log.

uvicorn writes every request line with the client's address, query string included: a line
``1.2.3.4 - "GET /khao-sat?ma=K7QM3XTP9A"`` would tie a dossier's code to an address and a moment,
which is exactly what the survey's tables refuse to keep (docs/sipas.md). For paths under
``/khao-sat`` the filter drops the query string and the address; other paths are left as they are.
"""

from __future__ import annotations

import copy
import logging
import re
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
            _client, method, _, version, status = args
            path: str = args[2]
            if _is_survey(path):
                record.args = (HIDDEN_ADDRESS, method, path.split("?", 1)[0], version, status)
        return True


_SURVEY_QUERY = re.compile(r"(/khao-sat(?:/[\w-]*)?)\?[^\s\"']*")


def strip_survey_queries(text: str) -> str:
    """``https://x/khao-sat?ma=K7QM3XTP9A`` → ``https://x/khao-sat``, anywhere in a text."""
    return _SURVEY_QUERY.sub(r"\1", text)


class SurveyUrlFilter(logging.Filter):
    """For our own loggers (a 500 logs its request's URL): survey URLs lose their query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(SURVEY_PREFIX in str(a) for a in record.args):
            record.args = tuple(
                strip_survey_queries(str(a)) if SURVEY_PREFIX in str(a) else a for a in record.args
            )
        if isinstance(record.msg, str) and SURVEY_PREFIX in record.msg:
            record.msg = strip_survey_queries(record.msg)
        return True


def install_survey_url_filter() -> None:
    """Put the filter on the loggers of ours that write request URLs (idempotent)."""
    for name in ("app.errors",):
        logger = logging.getLogger(name)
        if not any(isinstance(f, SurveyUrlFilter) for f in logger.filters):
            logger.addFilter(SurveyUrlFilter())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the survey filter on its access logger."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["sipas_survey"] = {
        "()": "app.sipas.access_log.SurveyAccessFilter"
    }
    config["loggers"]["uvicorn.access"]["filters"] = ["sipas_survey"]
    return config
