"""Every table, imported once so that SQLModel.metadata (and Alembic) sees them all, and
the session listeners that keep each process's caches exact (app.auth.cache,
app.profiles.cache) registered wherever the tables are."""

from app.alerts.models import Alert, ProfileDeterioration, WatchlistEntry
from app.audit.models import AuditEvent
from app.auth import cache as _auth_cache  # noqa: F401 - session listeners
from app.auth.models import ApiKey, LoginThrottle
from app.benchmarks.models import BenchmarkEntry
from app.clients.models import Client, CustomerRef
from app.experiences.models import Experience
from app.fraud.models import FraudDecision, FraudReport
from app.groups.models import Group
from app.idempotency.models import IdempotencyRecord
from app.imports.models import ImportJob
from app.legal.models import LegalAction
from app.meetings.models import Meeting, MeetingAgendaItem, MeetingNomination
from app.members.models import Member
from app.polls.models import Poll, PollResponse
from app.profiles import cache as _profile_cache  # noqa: F401 - session listeners
from app.profiles.models import Inquiry
from app.users.models import User
from app.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "Alert",
    "ApiKey",
    "AuditEvent",
    "BenchmarkEntry",
    "Client",
    "CustomerRef",
    "Experience",
    "FraudDecision",
    "FraudReport",
    "Group",
    "IdempotencyRecord",
    "ImportJob",
    "Inquiry",
    "LegalAction",
    "LoginThrottle",
    "Meeting",
    "MeetingAgendaItem",
    "MeetingNomination",
    "Member",
    "Poll",
    "PollResponse",
    "ProfileDeterioration",
    "User",
    "WatchlistEntry",
    "Webhook",
    "WebhookDelivery",
]
