"""The role × action matrix: the one place that says who may do what.

Every route names one action (see `reos.deps.Permit`); a test fails when a route has none, and
another walks every route with every role and checks the answer against this matrix.
"""

from __future__ import annotations

import enum

from reos.teams.models import Role


class Action(enum.StrEnum):
    # Answer without login (health, login, register, public pages).
    public = "public"
    # Any active member, acting on their own account (me, change password, switch team).
    self = "self"
    read = "read"
    edit = "edit"
    delete = "delete"
    export = "export"
    bulk_action = "bulk_action"
    import_data = "import_data"
    bulk_send = "bulk_send"
    log_contact = "log_contact"
    upload_compliance_data = "upload_compliance_data"
    decide_review = "decide_review"
    edit_governor = "edit_governor"
    edit_score_weights = "edit_score_weights"
    manage_templates = "manage_templates"
    manage_users = "manage_users"
    manage_team = "manage_team"
    pause_sending = "pause_sending"
    # Instance operators only (a flag on the account, outside the team roles).
    operator = "operator"


_AGENT = {Action.self, Action.read, Action.edit, Action.log_contact}
_MANAGER = _AGENT | {
    Action.delete,
    Action.export,
    Action.bulk_action,
    Action.import_data,
    Action.bulk_send,
    Action.upload_compliance_data,
    Action.decide_review,
    Action.edit_score_weights,
    Action.manage_templates,
    Action.pause_sending,
}
_ADMIN = _MANAGER | {Action.edit_governor, Action.manage_users, Action.manage_team}

MATRIX: dict[Role, frozenset[Action]] = {
    Role.admin: frozenset(_ADMIN),
    Role.manager: frozenset(_MANAGER),
    Role.agent: frozenset(_AGENT),
    Role.viewer: frozenset({Action.self, Action.read}),
}


def allowed(role: str, action: Action, *, is_operator: bool = False) -> bool:
    if action is Action.public:
        return True
    if action is Action.operator:
        return is_operator
    return action in MATRIX[Role(role)]
