"""The rule set as data: loaded once from a versioned TOML file beside this module.

The file holds parameters only (windows, day bans, caps, consent states, keyword sets); the
logic that applies them is `reos.compliance.rules`. Every decision carries `RuleSet.version`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time
from functools import cache
from pathlib import Path
from typing import Any

RULESETS = Path(__file__).parent / "rulesets"
CURRENT = "us-2025.1"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class StateRule:
    """When calls and texts may reach a recipient in one state (local time)."""

    start: time
    end: time  # exclusive: a window to 21:00 allows 20:59:59, not 21:00:00
    banned_weekdays: frozenset[int]  # Monday = 0
    holidays: bool  # the state's holidays (observed days included) are banned too
    source: str


@dataclass(frozen=True, eq=False)
class RuleSet:
    """Hashes and compares by identity: the rules module memoises per rule set (a set with the
    same version but other values, as tests build, never shares an entry)."""

    version: str
    effective: str
    federal: StateRule
    states: dict[str, StateRule]
    cap_states: frozenset[str]
    cap_limit: int
    cap_hours: int
    cap_source: str
    consent_states: frozenset[str]
    consent_source: str
    dnc_max_age_days: int
    dnc_source: str
    opt_out: frozenset[str]
    opt_in: frozenset[str]
    opt_in_when_opted_out: frozenset[str]
    help: frozenset[str]
    keywords_source: str
    review_due_business_days: int
    review_limit_business_days: int

    def rule_for(self, state: str | None) -> StateRule:
        """The state's own rule, else the federal one (unknown or unlisted state)."""
        if state is None:
            return self.federal
        return self.states.get(state, self.federal)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _state_rule(raw: dict[str, Any]) -> StateRule:
    start, end = (_clock(v) for v in raw["window"])
    if not start < end:
        raise ValueError(f"window {raw['window']} must start before it ends")
    return StateRule(
        start=start,
        end=end,
        banned_weekdays=frozenset(WEEKDAYS.index(d) for d in raw.get("banned_weekdays", [])),
        holidays=bool(raw.get("holidays", False)),
        source=str(raw["source"]),
    )


def _words(values: list[str]) -> frozenset[str]:
    return frozenset(" ".join(v.upper().split()) for v in values)


def parse(raw: dict[str, Any]) -> RuleSet:
    keywords = raw["keywords"]
    return RuleSet(
        version=str(raw["version"]),
        effective=str(raw["effective"]),
        federal=_state_rule(raw["federal"]),
        states={code: _state_rule(rule) for code, rule in raw["states"].items()},
        cap_states=frozenset(raw["caps"]["states"]),
        cap_limit=int(raw["caps"]["limit"]),
        cap_hours=int(raw["caps"]["hours"]),
        cap_source=str(raw["caps"]["source"]),
        consent_states=frozenset(raw["consent"]["states"]),
        consent_source=str(raw["consent"]["source"]),
        dnc_max_age_days=int(raw["dnc"]["max_age_days"]),
        dnc_source=str(raw["dnc"]["source"]),
        opt_out=_words(keywords["opt_out"]),
        opt_in=_words(keywords["opt_in"]),
        opt_in_when_opted_out=_words(keywords["opt_in_when_opted_out"]),
        help=_words(keywords["help"]),
        keywords_source=str(keywords["source"]),
        review_due_business_days=int(raw["review"]["due_business_days"]),
        review_limit_business_days=int(raw["review"]["limit_business_days"]),
    )


@cache
def load(version: str = CURRENT) -> RuleSet:
    path = RULESETS / f"{version}.toml"
    with path.open("rb") as handle:
        return parse(tomllib.load(handle))


def current() -> RuleSet:
    return load(CURRENT)
