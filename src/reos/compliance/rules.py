"""The governor's logic: one prospective contact and what the stores say about it → a decision.

Pure functions, no database: `reos.compliance.service` loads the facts for a whole batch in a
few queries and calls `decide` once per contact. The parameters come from the rule set
(`reos.compliance.ruleset`); their legal sources are in docs/compliance.md.

A batch asks about thousands of recipients at one instant in a handful of places, so whatever
depends only on (locations, instant, rule set) — zone conversions, windows, day bans, holidays,
which caps and consent rules apply — is worked out once and memoised (`_where`, `next_open`);
a rule set hashes by identity, so a changed rule set never shares an entry. The memoised
logic is written as plain functions wrapped afterwards (mutation testing skips decorated
functions); `clear_caches` empties the memos (tests do, before each case).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

from reos.compliance.locations import Location
from reos.compliance.ruleset import RuleSet, StateRule

Channel = Literal["call", "sms", "email"]
PHONE_CHANNELS = ("call", "sms")
# Reasons that only time can lift: with nothing else in the way, the answer says when.
TIME_CODES = frozenset({"quiet_hours", "day_ban", "frequency_cap", "team_cap"})
SUPPRESSION_CODES = {"unsubscribed": "unsubscribed", "hard_bounce": "suppressed", "complaint": "suppressed"}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CHANNEL_WORDS = {"call": "calls", "sms": "texts", "email": "email"}


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Facts:
    """What the team's stores say about the recipient at the decision's instant."""

    opted_out: bool = False
    do_not_contact: bool = False
    review_pending: bool = False
    dnc_sources: tuple[str, ...] = ()  # "internal list", "registry", "list flag": empty = not listed
    dnc_checked_at: datetime | None = None
    litigator: bool = False
    consent: bool = False  # an unrevoked consent record covering this channel
    # Calls and texts to the person within the cap window before the instant: on the subject
    # (the rule's cap) and on any subject (the team's own cap).
    subject_attempts: tuple[datetime, ...] = ()
    all_attempts: tuple[datetime, ...] = ()
    suppression: str | None = None  # email: "unsubscribed" | "hard_bounce" | "complaint"
    strict_dnc: bool = False
    team_cap: int | None = None


@dataclass(frozen=True, slots=True)
class Prospect:
    channel: Channel
    at: datetime  # timezone-aware
    locations: tuple[Location, ...] = ()
    automated: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...]
    warnings: tuple[Reason, ...]
    next_allowed_at: datetime | None
    rule_set: str
    locations: tuple[Location, ...] = field(default=())


UNKNOWN_LOCATION = Reason(
    "unknown_location",
    "No location is known for this recipient (a non-geographic number and no known "
    "ZIP): the local time cannot be checked",
)
LITIGATOR = Reason("litigator", "This number is on a litigator list")
OPTED_OUT = Reason("opted_out", "This person opted out; they must opt back in first")
DO_NOT_CONTACT = Reason("do_not_contact", "This person is marked do-not-contact")
REVIEW_PENDING = Reason("review_pending", "A message from this person awaits review as a possible opt-out")


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1024)
def _holidays(state: str, year: int) -> dict[date, str]:
    # The package's calendars include observed days (a Sunday holiday observed on Monday, a
    # Saturday one on Friday): both the day itself and its observed day are banned.
    return dict(holidays.country_holidays("US", subdiv=state, years=year))


def banned_day(rule: StateRule, state: str | None, day: date) -> str | None:
    """Why `day` is closed for calls and texts under `rule`, or None when it is open."""
    if day.weekday() in rule.banned_weekdays:
        return DAY_NAMES[day.weekday()]
    if rule.holidays and state is not None:
        name = _holidays(state, day.year).get(day)
        if name is not None:
            return name
    return None


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def place_reasons(place: Location, at: datetime, rules: RuleSet) -> list[Reason]:
    """Quiet hours and day bans at one location."""
    return list(_place_reasons(place, at, rules))


def _find_place_reasons(place: Location, at: datetime, rules: RuleSet) -> tuple[Reason, ...]:
    rule = rules.rule_for(place.state)
    local = at.astimezone(_zone(place.tz))
    where = f"{place.state or 'outside the US states'} ({place.tz}, from the {place.source})"
    found: list[Reason] = []
    closed = banned_day(rule, place.state, local.date())
    if closed is not None:
        found.append(Reason("day_ban", f"No calls or texts on {closed} in {where}"))
    if not rule.start <= local.time() < rule.end:
        found.append(
            Reason(
                "quiet_hours",
                f"It is {local.strftime('%H:%M')} in {where}; calls and texts are allowed "
                f"{_hhmm(rule.start)}–{_hhmm(rule.end)} there",
            )
        )
    return tuple(found)


_place_reasons = lru_cache(maxsize=4096)(_find_place_reasons)


def _find_where(
    places: tuple[Location, ...], at: datetime, rules: RuleSet
) -> tuple[tuple[Reason, ...], bool, tuple[str, ...]]:
    """What the recipient's locations alone decide at `at`: the quiet-hours and day-ban
    reasons (or `unknown_location`), whether the rule's cap applies, and the states whose
    consent rule applies (sorted)."""
    found: list[Reason] = [] if places else [UNKNOWN_LOCATION]
    for place in places:
        found.extend(_place_reasons(place, at, rules))
    capped = any(place.state in rules.cap_states for place in places)
    consent_states = tuple(sorted({p.state for p in places if p.state in rules.consent_states}))
    return tuple(found), capped, consent_states


_where = lru_cache(maxsize=4096)(_find_where)


def _find_next_open(place: Location, after: datetime, rules: RuleSet) -> datetime:
    """The first instant at or after `after` when the location's window is open."""
    rule = rules.rule_for(place.state)
    zone = _zone(place.tz)
    local = after.astimezone(zone)
    day = local.date()
    if banned_day(rule, place.state, day) is None:
        if rule.start <= local.time() < rule.end:
            return after
        if local.time() < rule.start:
            return datetime.combine(day, rule.start, tzinfo=zone)
    # A ban can last days (a weekend, a holiday next to a Sunday); a year bounds the search.
    for _ in range(366):
        day += timedelta(days=1)
        if banned_day(rule, place.state, day) is None:
            return datetime.combine(day, rule.start, tzinfo=zone)
    raise ValueError(f"no open day within a year at {place}")  # pragma: no cover - data error


next_open = lru_cache(maxsize=4096)(_find_next_open)


def clear_caches() -> None:
    """Forget every memoised location fact (the rule set's holidays and zones stay)."""
    for memo in (_place_reasons, _where, next_open):
        memo.cache_clear()


def _in_window(attempts: tuple[datetime, ...], at: datetime, hours: int) -> list[datetime]:
    """Attempts that count at `at`: each counts for `hours` after it was made."""
    start = at - timedelta(hours=hours)
    return sorted(a for a in attempts if start < a <= at)


def _cap_lifts(attempts: tuple[datetime, ...], at: datetime, hours: int, limit: int) -> datetime:
    """The first instant at or after `at` when fewer than `limit` attempts count."""
    counted = _in_window(attempts, at, hours)
    if len(counted) < limit:
        return at
    return counted[len(counted) - limit] + timedelta(hours=hours)


def _caps(capped: bool, facts: Facts, rules: RuleSet) -> list[tuple[str, tuple[datetime, ...], int]]:
    """(code, attempts, limit) of each cap that applies (`capped`: a location is in a cap state)."""
    caps: list[tuple[str, tuple[datetime, ...], int]] = []
    if capped:
        caps.append(("frequency_cap", facts.subject_attempts, rules.cap_limit))
    if facts.team_cap is not None:
        caps.append(("team_cap", facts.all_attempts, facts.team_cap))
    return caps


def _phone_reasons(prospect: Prospect, facts: Facts, rules: RuleSet) -> tuple[list[Reason], list[Reason]]:
    at = prospect.at
    placed, capped, consent_states = _where(prospect.locations, at, rules)
    reasons = list(placed)
    warnings: list[Reason] = []
    for code, attempts, limit in _caps(capped, facts, rules):
        counted = _in_window(attempts, at, rules.cap_hours)
        if len(counted) >= limit:
            scope = "on this subject " if code == "frequency_cap" else ""
            owner = "the rule" if code == "frequency_cap" else "the team"
            reasons.append(
                Reason(
                    code,
                    f"{len(counted)} calls and texts to this person {scope}in the last "
                    f"{rules.cap_hours} h: {owner} allows {limit}",
                )
            )
    if prospect.automated and consent_states and not facts.consent:
        reasons.append(
            Reason(
                "consent_missing",
                f"Automated {CHANNEL_WORDS[prospect.channel]} to a recipient in "
                f"{', '.join(s for s in consent_states if s)} need prior express written consent; "
                "none is recorded",
            )
        )
    if facts.litigator:
        reasons.append(LITIGATOR)
    if facts.dnc_sources and not facts.consent:
        reasons.append(
            Reason("dnc", f"This number is on the do-not-call data ({', '.join(facts.dnc_sources)})")
        )
    if not facts.dnc_sources and not facts.consent:
        limit_age = timedelta(days=rules.dnc_max_age_days)
        checked = facts.dnc_checked_at
        if checked is None or at - checked > limit_age:
            when = "never" if checked is None else f"last on {checked.date().isoformat()}"
            unchecked = Reason(
                "dnc_unchecked",
                f"Do-not-call status checked {when}: it must be checked within {rules.dnc_max_age_days} days",
            )
            (reasons if facts.strict_dnc else warnings).append(unchecked)
    return reasons, warnings


def _next_allowed(prospect: Prospect, facts: Facts, rules: RuleSet) -> datetime:
    """The first instant when every location's window is open and every cap has room."""
    moment = prospect.at
    caps = _caps(_where(prospect.locations, moment, rules)[1], facts, rules)
    # Each pass only moves forward; a few passes settle (a cap lifting at night, then morning).
    for _ in range(64):
        later = moment
        for place in prospect.locations:
            later = max(later, next_open(place, later, rules))
        for _code, attempts, limit in caps:
            later = max(later, _cap_lifts(attempts, later, rules.cap_hours, limit))
        if later == moment:
            return moment
        moment = later
    raise ValueError("next allowed instant did not settle")  # pragma: no cover - data error


def decide(prospect: Prospect, facts: Facts, rules: RuleSet) -> Decision:
    """Allowed, or blocked with every reason; warnings; when it would be allowed."""
    if prospect.at.tzinfo is None:
        raise ValueError("a decision needs a timezone-aware instant")
    reasons: list[Reason] = []
    warnings: list[Reason] = []
    if prospect.channel == "email":
        if facts.suppression is not None:
            code = SUPPRESSION_CODES[facts.suppression]
            words = facts.suppression.replace("_", " ")
            reasons.append(Reason(code, f"This address is suppressed ({words})"))
    else:
        reasons, warnings = _phone_reasons(prospect, facts, rules)
    if facts.opted_out:
        reasons.append(OPTED_OUT)
    if facts.do_not_contact:
        reasons.append(DO_NOT_CONTACT)
    if facts.review_pending:
        reasons.append(REVIEW_PENDING)
    next_allowed: datetime | None = None
    if reasons and all(r.code in TIME_CODES for r in reasons):
        next_allowed = _next_allowed(prospect, facts, rules).astimezone(UTC)
    return Decision(
        allowed=not reasons,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        next_allowed_at=next_allowed,
        rule_set=rules.version,
        locations=prospect.locations,
    )
