"""Every table, imported in one place so metadata (Alembic, tests) sees them all."""

from app import tenancy  # noqa: F401  (registers the ward rule on every session)
from app.accounts.models import ApiToken, User, UserSession
from app.audit.models import AuditEvent
from app.data_versions import score_period_version, score_version
from app.dossiers.models import Dossier, Feedback
from app.imports.profiles.models import ImportProfile
from app.kpis.models import Domain, Indicator, Reading
from app.par.models import ParAssessment, ParCriterion, ParEvidence, ParFramework, ParItem
from app.plans.models import Area, Assignment, AssignmentCoordinator, Plan
from app.progress.evidence.models import EvidenceItem
from app.progress.models import ProgressUpdate
from app.registers.models import (
    Conclusion,
    Initiative,
    Inspection,
    InspectionFinding,
    InvestmentItem,
    SocioeconomicTarget,
    TrainingCourse,
)
from app.reminders.models import Notification, Reminder, ReminderDelivery
from app.reporting.coordination_models import CoordinationReply
from app.reporting.reopen_models import ReopenRequest
from app.reporting.rules import ValidationRule
from app.reports.models import ReportConfig, ReportSnapshot
from app.scores.models import ScoringConfigOverride
from app.sipas.models import Kiosk, Questionnaire, Rating, Response, SpentForm, SurveyCode, Throttle
from app.submissions.models import Submission
from app.units.models import Unit
from app.uploads.limits import ImportSlot
from app.uploads.models import ImportBatch
from app.wards.models import Ward

__all__ = [
    "ApiToken",
    "Area",
    "Assignment",
    "AssignmentCoordinator",
    "AuditEvent",
    "Conclusion",
    "CoordinationReply",
    "Domain",
    "Dossier",
    "EvidenceItem",
    "Feedback",
    "ImportBatch",
    "ImportProfile",
    "ImportSlot",
    "Indicator",
    "Initiative",
    "Inspection",
    "InspectionFinding",
    "InvestmentItem",
    "Kiosk",
    "Notification",
    "ParAssessment",
    "ParCriterion",
    "ParEvidence",
    "ParFramework",
    "ParItem",
    "Plan",
    "ProgressUpdate",
    "Questionnaire",
    "Rating",
    "Reading",
    "Reminder",
    "ReminderDelivery",
    "ReopenRequest",
    "ReportConfig",
    "ReportSnapshot",
    "Response",
    "ScoringConfigOverride",
    "SocioeconomicTarget",
    "SpentForm",
    "Submission",
    "SurveyCode",
    "Throttle",
    "TrainingCourse",
    "Unit",
    "User",
    "UserSession",
    "ValidationRule",
    "Ward",
    "score_period_version",
    "score_version",
]
