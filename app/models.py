"""Every table, imported once so that SQLModel.metadata (and Alembic) sees them all.
(The session listeners are connected by app.wiring.install(), not by importing this.)"""

from app.alerts.models import Alert, ProfileDeterioration, WatchlistEntry
from app.audit.models import AuditEvent
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
