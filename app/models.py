"""Every table, imported in one place so metadata (Alembic, tests) sees them all."""

from app.accounts.models import ApiToken, User, UserSession
from app.audit.models import AuditEvent
from app.kpis.models import Domain, Indicator, Reading
from app.plans.models import Area, Assignment, AssignmentCoordinator, Plan
from app.progress.models import ProgressUpdate
from app.reporting.models import Submission
from app.units.models import Unit

__all__ = [
    "ApiToken",
    "Area",
    "Assignment",
    "AssignmentCoordinator",
    "AuditEvent",
    "Domain",
    "Indicator",
    "Plan",
    "ProgressUpdate",
    "Reading",
    "Submission",
    "Unit",
    "User",
    "UserSession",
]
