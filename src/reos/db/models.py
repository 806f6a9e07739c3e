"""Imports every model so that `Base.metadata` is complete (migrations, introspection, tests)."""

from reos.db.base import Base
from reos.properties.models import Property
from reos.providers.models import OutboxMessage
from reos.teams.models import Account, AuthSession, Invitation, Market, Membership, PasswordReset, Team

__all__ = [
    "Account",
    "AuthSession",
    "Base",
    "Invitation",
    "Market",
    "Membership",
    "OutboxMessage",
    "PasswordReset",
    "Property",
    "Team",
]
