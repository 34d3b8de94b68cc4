"""Every table, imported in one place so metadata (Alembic, tests) sees them all."""

from app.kpis.models import Domain, Indicator, Reading
from app.plans.models import Area, Assignment, AssignmentCoordinator, Plan
from app.progress.models import ProgressUpdate
from app.units.models import Unit

__all__ = [
    "Area",
    "Assignment",
    "AssignmentCoordinator",
    "Domain",
    "Indicator",
    "Plan",
    "ProgressUpdate",
    "Reading",
    "Unit",
]
