"""Imports every model so that `Base.metadata` is complete (migrations, introspection, tests)."""

from reos.audit.models import AuditEvent
from reos.compliance.models import (
    ComplianceSettings,
    ConsentRecord,
    ContactAttempt,
    ContactHold,
    DncNumber,
    DncUpload,
    EmailSuppression,
    OptOut,
    ReviewItem,
)
from reos.contacts.models import Contact, ContactPoint, PropertyContact
from reos.db.base import Base
from reos.events.models import LiveEvent
from reos.idempotency.models import IdempotencyKey
from reos.imports.models import Import, ImportChange, ImportRowError, MappingPreset
from reos.jobs.models import JobFailure, JobRun
from reos.lists.models import ListMember, SavedList
from reos.notifications.models import Notification, NotificationPreference
from reos.properties.counts import StageCount
from reos.properties.models import BulkAction, CustomField, DataFlag, Property, PropertyLookup
from reos.providers.models import OutboxMessage, ProviderStatus
from reos.scoring.models import ScoringSettings, Signal
from reos.tasks.models import Task
from reos.teams.models import Account, AuthSession, Invitation, Market, Membership, PasswordReset, Team
from reos.timeline.models import Note, PropertyEvent

__all__ = [
    "Account",
    "AuditEvent",
    "AuthSession",
    "Base",
    "BulkAction",
    "ComplianceSettings",
    "ConsentRecord",
    "Contact",
    "ContactAttempt",
    "ContactHold",
    "ContactPoint",
    "CustomField",
    "DataFlag",
    "DncNumber",
    "DncUpload",
    "EmailSuppression",
    "IdempotencyKey",
    "Import",
    "ImportChange",
    "ImportRowError",
    "Invitation",
    "JobFailure",
    "JobRun",
    "ListMember",
    "LiveEvent",
    "MappingPreset",
    "Market",
    "Membership",
    "Note",
    "Notification",
    "NotificationPreference",
    "OptOut",
    "OutboxMessage",
    "PasswordReset",
    "Property",
    "PropertyContact",
    "PropertyEvent",
    "PropertyLookup",
    "ProviderStatus",
    "ReviewItem",
    "SavedList",
    "ScoringSettings",
    "Signal",
    "StageCount",
    "Task",
    "Team",
]
