"""The rules module's details the case table does not pin: messages, boundaries of the day and
cap helpers, the rule set file and its parser, the classifier's outcomes through the rule set."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from reos.compliance import locations, rules, ruleset
from reos.compliance.locations import Location

R = ruleset.current()
FL = Location(state="FL", tz="America/New_York", source="mailing ZIP")
AL = Location(state="AL", tz="America/Chicago", source="property ZIP")
NOWHERE = Location(state=None, tz="America/Toronto", source="phone area code")


@pytest.fixture(autouse=True)
def _fresh_memos() -> None:
    """Each case works its location facts out anew (mutation testing forks one process that
    has already filled the memos)."""
    rules.clear_caches()


def test_rule_set_values_from_the_file() -> None:
    assert R.version == "us-2025.1" and R.effective == "2025-01-01"
    assert (R.federal.start, R.federal.end) == (time(8), time(21))
    assert (
        R.rule_for("FL").end == time(20) and R.rule_for("TX") is R.federal and R.rule_for(None) is R.federal
    )
    assert R.rule_for("RI").banned_weekdays == frozenset({5, 6}) and R.rule_for("RI").holidays
    assert R.rule_for("MS").banned_weekdays == frozenset({6}) and not R.rule_for("MS").holidays
    assert R.cap_states == frozenset({"FL", "OK", "MD"}) and (R.cap_limit, R.cap_hours) == (3, 24)
    assert R.consent_states == frozenset({"FL", "OK", "MD"}) and R.dnc_max_age_days == 31
    assert "OPT OUT" in R.opt_out and R.opt_in_when_opted_out == frozenset({"YES"})
    assert (R.review_due_business_days, R.review_limit_business_days) == (2, 10)


def test_a_window_must_start_before_it_ends() -> None:
    with pytest.raises(ValueError, match="must start before"):
        ruleset._state_rule({"window": ["20:00", "08:00"], "source": "x"})


def test_banned_day_names_the_reason() -> None:
    al = R.rule_for("AL")
    assert rules.banned_day(al, "AL", date(2026, 7, 19)) == "Sunday"
    assert rules.banned_day(al, "AL", date(2027, 7, 5)) == "Independence Day (observed)"
    assert rules.banned_day(al, "AL", date(2026, 7, 15)) is None
    assert rules.banned_day(R.rule_for("RI"), "RI", date(2026, 7, 18)) == "Saturday"
    # Holidays only where the rule says so, and only with a state to look them up in.
    assert rules.banned_day(R.federal, "TX", date(2026, 12, 25)) is None
    assert rules.banned_day(al, None, date(2026, 12, 25)) is None


def test_place_reasons_messages() -> None:
    at = datetime(2026, 7, 20, 0, 3, tzinfo=UTC)  # 20:03 EDT
    (reason,) = rules.place_reasons(FL, at, R)
    assert reason == rules.Reason(
        "quiet_hours",
        "It is 20:03 in FL (America/New_York, from the mailing ZIP); calls and texts are allowed "
        "08:00–20:00 there",
    )
    sunday = datetime(2026, 7, 19, 17, 0, tzinfo=UTC)
    assert rules.place_reasons(AL, sunday, R) == [
        rules.Reason("day_ban", "No calls or texts on Sunday in AL (America/Chicago, from the property ZIP)")
    ]
    night = datetime(2026, 7, 15, 4, 0, tzinfo=UTC)
    assert "outside the US states (America/Toronto" in rules.place_reasons(NOWHERE, night, R)[0].message


def test_next_open() -> None:
    open_at = datetime(2026, 7, 15, 14, 0, tzinfo=UTC)
    assert rules.next_open(FL, open_at, R) == open_at
    early = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)  # 07:00 EDT
    assert rules.next_open(FL, early, R) == datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
    at_end = datetime(2026, 7, 16, 0, 0, tzinfo=UTC)  # 20:00 EDT sharp
    assert rules.next_open(FL, at_end, R) == datetime(2026, 7, 16, 12, 0, tzinfo=UTC)
    sunday_early = datetime(2026, 7, 19, 12, 0, tzinfo=UTC)  # 07:00 CDT on a Sunday in AL
    assert rules.next_open(AL, sunday_early, R) == datetime(2026, 7, 20, 13, 0, tzinfo=UTC)


def test_cap_helpers_count_each_attempt_for_24_hours() -> None:
    at = datetime(2026, 7, 15, 14, 0, tzinfo=UTC)
    attempts = (at, at - timedelta(hours=24), at - timedelta(hours=23, minutes=59), at + timedelta(seconds=1))
    assert rules._in_window(attempts, at, 24) == [at - timedelta(hours=23, minutes=59), at]
    three = (at - timedelta(hours=1), at - timedelta(hours=2), at - timedelta(hours=3))
    assert rules._cap_lifts(three, at, 24, 3) == at + timedelta(hours=21)
    assert rules._cap_lifts(three[:2], at, 24, 3) == at
    assert rules._cap_lifts(three, at, 24, 2) == at + timedelta(hours=22)


def test_reason_messages_of_the_other_rules() -> None:
    at = datetime(2026, 7, 15, 14, 0, tzinfo=UTC)
    three = (at - timedelta(hours=1), at - timedelta(hours=2), at - timedelta(hours=3))
    prospect = rules.Prospect(channel="sms", at=at, locations=(FL,), automated=True)
    facts = rules.Facts(
        subject_attempts=three,
        all_attempts=three,
        team_cap=3,
        litigator=True,
        dnc_sources=("internal list", "registry"),
        opted_out=True,
        do_not_contact=True,
        review_pending=True,
    )
    messages = {r.code: r.message for r in rules.decide(prospect, facts, R).reasons}
    assert messages == {
        "frequency_cap": "3 calls and texts to this person on this subject in the last 24 h: "
        "the rule allows 3",
        "team_cap": "3 calls and texts to this person in the last 24 h: the team allows 3",
        "consent_missing": "Automated texts to a recipient in FL need prior express written consent; "
        "none is recorded",
        "litigator": "This number is on a litigator list",
        "dnc": "This number is on the do-not-call data (internal list, registry)",
        "opted_out": "This person opted out; they must opt back in first",
        "do_not_contact": "This person is marked do-not-contact",
        "review_pending": "A message from this person awaits review as a possible opt-out",
    }
    call = rules.decide(
        rules.Prospect(channel="call", at=at, locations=(FL,), automated=True), rules.Facts(), R
    )
    assert call.reasons[0].message.startswith("Automated calls to a recipient in FL")
    assert call.warnings == (
        rules.Reason("dnc_unchecked", "Do-not-call status checked never: it must be checked within 31 days"),
    )
    old = rules.Facts(dnc_checked_at=datetime(2026, 5, 1, tzinfo=UTC))
    (warning,) = rules.decide(rules.Prospect(channel="call", at=at, locations=(FL,)), old, R).warnings
    assert (
        warning.message == "Do-not-call status checked last on 2026-05-01: it must be checked within 31 days"
    )
    nowhere = rules.decide(rules.Prospect(channel="sms", at=at), rules.Facts(), R)
    assert nowhere.reasons[0].message.startswith("No location is known for this recipient")
    mail = rules.decide(rules.Prospect(channel="email", at=at), rules.Facts(suppression="hard_bounce"), R)
    assert mail.reasons == (rules.Reason("suppressed", "This address is suppressed (hard bounce)"),)


def test_decision_shape() -> None:
    at = datetime(2026, 7, 15, 14, 0, tzinfo=UTC)
    decision = rules.decide(rules.Prospect(channel="sms", at=at, locations=(FL, AL)), rules.Facts(), R)
    assert decision.allowed and decision.locations == (FL, AL) and decision.next_allowed_at is None
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.decide(rules.Prospect(channel="sms", at=datetime(2026, 7, 15, 14, 0)), rules.Facts(), R)


def test_locations() -> None:
    assert locations.phone_locations("+18005550100") == ()
    assert locations.phone_locations("+14165550142") == (
        Location(None, "America/Toronto", "phone area code"),
    )
    assert locations.phone_locations("not a number") == ()
    assert locations.zip_location(None, "mailing ZIP") is None
    assert locations.zip_location("33602-1234", "mailing ZIP") == Location(
        "FL", "America/New_York", "mailing ZIP"
    )
    assert locations.is_known_zip("33602") and not locations.is_known_zip("00000")
    both = locations.locations(phone="+18135550142", mailing_zip="33602", property_zip="32501")
    assert both == (
        Location("FL", "America/New_York", "phone area code"),
        Location("FL", "America/Chicago", "property ZIP"),
    )


def test_a_points_summary_names_its_most_lasting_reason_first() -> None:
    """A number on the DNC list, asked at night: quiet hours come first in the decision, but the
    page must say DNC, or a rep reads it as "call after 8"."""
    import uuid

    from reos.compliance.service import Answer, Ask, PointState

    at = datetime(2026, 12, 1, 5, 11, tzinfo=UTC)
    quiet = rules.Reason("quiet_hours", "It is 00:11 in FL; calls and texts are allowed 08:00-20:00")
    dnc = rules.Reason("dnc_listed", "The number is on the DNC list")

    def answer(channel: str, *reasons: rules.Reason) -> Answer:
        later = at + timedelta(hours=8) if all(r.code in rules.TIME_CODES for r in reasons) else None
        decision = rules.Decision(bool(not reasons), reasons, (), later, R.version)
        return Answer(Ask(channel, "+17725555926", at), decision, None, None)

    point = uuid.uuid4()
    night_dnc = PointState(point, "phone", "+17725555926", {"call": answer("call", quiet, dnc)})
    assert night_dnc.summary == "Do not contact: The number is on the DNC list"
    texts_dnc = PointState(
        point, "phone", "+17725555926", {"call": answer("call", quiet), "sms": answer("sms", quiet, dnc)}
    )
    assert texts_dnc.summary == "Do not contact: The number is on the DNC list"
    night = PointState(point, "phone", "+17725555926", {"call": answer("call", quiet)})
    assert night.summary.startswith("Not now: It is 00:11")
    fine = PointState(point, "phone", "+17725555926", {"call": answer("call"), "sms": answer("sms")})
    assert fine.summary == "OK to contact now: calls and texts"
