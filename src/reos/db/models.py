"""Imports every model so that `Base.metadata` is complete (migrations, introspection, tests)."""

from reos.audit.models import AuditEvent
from reos.contacts.models import Contact, ContactPoint, PropertyContact
from reos.db.base import Base
from reos.events.models import LiveEvent
from reos.idempotency.models import IdempotencyKey
from reos.jobs.models import JobFailure, JobRun
from reos.notifications.models import Notification, NotificationPreference
from reos.properties.models import Property
from reos.providers.models import OutboxMessage, ProviderStatus
from reos.teams.models import Account, AuthSession, Invitation, Market, Membership, PasswordReset, Team

__all__ = [
    "Account",
    "AuditEvent",
    "AuthSession",
    "Base",
    "Contact",
    "ContactPoint",
    "IdempotencyKey",
    "Invitation",
    "JobFailure",
    "JobRun",
    "LiveEvent",
    "Market",
    "Membership",
    "Notification",
    "NotificationPreference",
    "OutboxMessage",
    "PasswordReset",
    "Property",
    "PropertyContact",
    "ProviderStatus",
    "Team",
]
