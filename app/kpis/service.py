"""Nothing lives here any more: the old ``kpis/service.py`` is split by concept into
``domains``, ``indicators``, ``lookups``, ``reading_rules``, ``store`` and ``readings`` (and
``app/versioning.py``).

These names stay importable only for modules that are being split in parallel right now and
reach them as ``kpi_service.<name>``; each group says which. Import from the new modules instead,
and drop a line once its importers have moved.
"""

# kept for app/integration/lists.py, app/sipas/codes.py, app/sipas/service.py
from app.kpis.domains import get_domain as get_domain

# kept for app/reporting/workspace.py, app/integration/templates_xlsx.py, app/sipas/counter.py
from app.kpis.domains import list_domains as list_domains

# kept for app/sipas/service.py
from app.kpis.indicators import create_indicator as create_indicator

# kept for app/integration/scorecard.py, app/sipas/service.py
from app.kpis.indicators import get_indicator as get_indicator

# kept for app/reporting/workspace.py, app/integration/templates_xlsx.py
from app.kpis.indicators import list_indicators as list_indicators

# kept for app/integration/service.py
from app.kpis.reading_rules import CheckedReading as CheckedReading

# kept for app/integration/feeds.py
from app.kpis.reading_rules import PlannedReading as PlannedReading

# kept for app/integration/service.py
from app.kpis.reading_rules import check_reading as check_reading

# kept for app/integration/service.py
from app.kpis.reading_rules import decide_reading as decide_reading

# kept for app/reporting/workspace.py, app/integration/exports.py
from app.kpis.readings import ReadingFilters as ReadingFilters

# kept for app/integration/feeds.py
from app.kpis.readings import delete_computed_readings as delete_computed_readings

# kept for app/reporting/workspace.py, app/integration/exports.py
from app.kpis.readings import list_readings as list_readings

# kept for app/integration/lists.py
from app.kpis.readings import parse_filter_period as parse_filter_period

# kept for app/integration/feeds.py (and named in app/integration/service.py's docstring)
from app.kpis.readings import plan_reading as plan_reading

# kept for app/reporting/pages.py, app/reporting/save_all.py, app/sipas/service.py
from app.kpis.readings import upsert_reading as upsert_reading

# kept for app/integration/feeds.py, app/integration/service.py
from app.kpis.store import apply_readings as apply_readings

# kept for app/integration/service.py
from app.kpis.store import find_readings as find_readings
