"""The pipeline: its stages and the moves allowed between them (the one place that says so)."""

from __future__ import annotations

from reos.errors import Unprocessable
from reos.properties.models import STAGES

# A lead moves forward one step or more, back one step, or drops out (lost or archived);
# a closed deal can only be archived, a lost or archived lead can be worked again.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"outreach", "qualified", "closed_lost", "archived"}),
    "outreach": frozenset({"new", "qualified", "negotiation", "closed_lost", "archived"}),
    "qualified": frozenset({"outreach", "negotiation", "under_contract", "closed_lost", "archived"}),
    "negotiation": frozenset({"qualified", "under_contract", "closed_lost", "archived"}),
    "under_contract": frozenset({"negotiation", "closed_won", "closed_lost", "archived"}),
    "closed_won": frozenset({"archived"}),
    "closed_lost": frozenset({"new", "outreach", "archived"}),
    "archived": frozenset({"new", "outreach"}),
}
assert set(TRANSITIONS) == set(STAGES)

STAGE_LABELS = {
    "new": "New",
    "outreach": "Outreach",
    "qualified": "Qualified",
    "negotiation": "Negotiation",
    "under_contract": "Under contract",
    "closed_won": "Closed won",
    "closed_lost": "Closed lost",
    "archived": "Archived",
}


def moves_from(stage: str) -> list[str]:
    """The stages a lead in `stage` may move to, in pipeline order."""
    return sorted(TRANSITIONS[stage], key=STAGES.index)


def next_stage(stage: str) -> str | None:
    """The move a form offers first: the nearest stage ahead that the lead may move to (a
    backward or dropping move is there to choose, not to make by accident)."""
    here = STAGES.index(stage)
    return next((s for s in moves_from(stage) if STAGES.index(s) > here), None)


def may_move(from_stage: str, to_stage: str) -> bool:
    return to_stage in TRANSITIONS.get(from_stage, frozenset())


def check_move(from_stage: str, to_stage: str) -> None:
    """Raise 422 naming both stages and the allowed ones when a move is not allowed. A move to
    the same stage is not a move: callers skip it before asking."""
    if to_stage not in TRANSITIONS:
        raise Unprocessable(
            f"unknown stage {to_stage!r}", details={"field": "stage", "allowed": list(STAGES)}
        )
    if not may_move(from_stage, to_stage):
        allowed = moves_from(from_stage)
        # In the stages' own names: this message is shown as it is on the board and the page.
        names = [STAGE_LABELS[s] for s in allowed]
        choices = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        raise Unprocessable(
            f"a lead cannot move from {STAGE_LABELS[from_stage]} to {STAGE_LABELS[to_stage]}; from "
            f"{STAGE_LABELS[from_stage]} it may move to {choices}",
            details={"field": "stage", "from": from_stage, "to": to_stage, "allowed": allowed},
        )
