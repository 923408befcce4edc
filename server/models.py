"""Every model, imported in one place so Alembic and the app see the whole schema."""

from .beneficiaries.models import Beneficiary
from .contacts.models import ContactCard, ContactLog
from .enrollment.models import EnrollmentSlip
from .exports.models import ExportJob
from .feedback.models import Feedback, FeedbackStamp, Opinion
from .health.models import HealthEvent, HealthFile
from .jobs.models import JobRun, SentReminder
from .mediation.models import MediationCase, MediationSession
from .notifications.models import Notification
from .policies.models import OutreachMeeting, Policy, PolicyDocument, PolicyRevision
from .records.models import AuditEntry, SyncChange, SyncScope
from .regions.models import Region
from .roster.models import RosterImport
from .sync.models import SyncClient, SyncConflict, SyncMutation
from .users.models import LoginSession, User
from .visits.models import Attachment, Visit, VisitPhoto, VisitTask

__all__ = [
    "Attachment",
    "AuditEntry",
    "Beneficiary",
    "ContactCard",
    "ContactLog",
    "EnrollmentSlip",
    "ExportJob",
    "Feedback",
    "FeedbackStamp",
    "HealthEvent",
    "HealthFile",
    "JobRun",
    "LoginSession",
    "MediationCase",
    "MediationSession",
    "Notification",
    "Opinion",
    "OutreachMeeting",
    "Policy",
    "PolicyDocument",
    "PolicyRevision",
    "Region",
    "RosterImport",
    "SentReminder",
    "SyncChange",
    "SyncClient",
    "SyncConflict",
    "SyncMutation",
    "SyncScope",
    "User",
    "Visit",
    "VisitPhoto",
    "VisitTask",
]
