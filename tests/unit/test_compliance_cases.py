"""The governor's hand-worked cases.

Every expected answer below was worked out by hand from ../shared/compliance-rules.md: the
local time from the zone's UTC offset on that date (written next to each instant, DST by hand:
in 2026 it starts Sunday 8 March and ends Sunday 1 November), the state's window and day bans,
the holiday calendar of the `holidays` package as published (a holiday on a Sunday is observed
on Monday), and the cap, consent and DNC rules. Nothing here is computed by the code under test.

Instants are written as local wall-clock time with the offset in force there ("2026-07-15
07:59", -4 is 07:59 EDT); `nxt` is the expected next allowed instant, written the same way.
A phone of +1 800 is toll-free: it names no place, so the ZIPs alone locate the recipient.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from reos.compliance import locations, rules
from reos.compliance.ruleset import current

TOLL_FREE = "+18005550100"


def T(local: str, offset: float) -> datetime:
    """A local wall-clock time at a fixed UTC offset (hours)."""
    return datetime.fromisoformat(local).replace(tzinfo=timezone(timedelta(hours=offset)))


@dataclass
class Case:
    name: str
    at: datetime
    expect: str  # "ok" or the reason codes, comma-separated, in any order
    nxt: datetime | None = None
    phone: str = TOLL_FREE
    mzip: str | None = None
    pzip: str | None = None
    channel: str = "sms"
    automated: bool = False
    facts: dict[str, Any] = field(default_factory=dict)
    warn: str = ""  # expected warning codes ("" = none)


CASES: list[Case] = []
# The table keeps one case per line or two, as written by hand.
# fmt: off


def add(*cases: Case) -> None:
    CASES.extend(cases)


# --- every US time zone, federal window 08:00–21:00 ------------------------------------------
# (zip, zone name, summer offset on Wed 2026-07-15, winter offset on Wed 2026-01-14)
FEDERAL_ZONES = [
    ("10001", "NY Eastern", -4, -5),
    ("60601", "IL Central", -5, -6),
    ("78701", "TX Central", -5, -6),
    ("80202", "CO Mountain", -6, -7),
    ("85001", "AZ Mountain, no DST", -7, -7),
    ("90012", "CA Pacific", -7, -8),
    ("97201", "OR Pacific", -7, -8),
    ("99501", "AK Anchorage", -8, -9),
    ("99546", "AK Adak (Hawaii-Aleutian)", -9, -10),
    ("96813", "HI Honolulu, no DST", -10, -10),
    ("00901", "PR Atlantic, no DST", -4, -4),
    ("96910", "GU Chamorro", 10, 10),
]
for zip_code, label, summer, winter in FEDERAL_ZONES:
    add(
        Case(f"{label} summer 07:59", T("2026-07-15 07:59", summer), "quiet_hours",
             T("2026-07-15 08:00", summer), mzip=zip_code),
        Case(f"{label} summer 08:00", T("2026-07-15 08:00", summer), "ok", mzip=zip_code),
        Case(f"{label} summer 20:59", T("2026-07-15 20:59", summer), "ok", mzip=zip_code),
        Case(f"{label} summer 21:00", T("2026-07-15 21:00", summer), "quiet_hours",
             T("2026-07-16 08:00", summer), mzip=zip_code),
        Case(f"{label} winter 07:59", T("2026-01-14 07:59", winter), "quiet_hours",
             T("2026-01-14 08:00", winter), mzip=zip_code),
        Case(f"{label} winter 08:00", T("2026-01-14 08:00", winter), "ok", mzip=zip_code),
        Case(f"{label} winter 20:59", T("2026-01-14 20:59", winter), "ok", mzip=zip_code),
        Case(f"{label} winter 21:00", T("2026-01-14 21:00", winter), "quiet_hours",
             T("2026-01-15 08:00", winter), mzip=zip_code),
    )

# The same instants by property ZIP instead of mailing ZIP, and for calls.
add(
    Case("CA by property ZIP 07:59", T("2026-07-15 07:59", -7), "quiet_hours", T("2026-07-15 08:00", -7),
         pzip="90012"),
    Case("CA by property ZIP 12:00, call", T("2026-07-15 12:00", -7), "ok", pzip="90012", channel="call"),
    Case("HI 21:30 call", T("2026-07-15 21:30", -10), "quiet_hours", T("2026-07-16 08:00", -10),
         mzip="96813", channel="call"),
    Case("AZ 06:00 in January", T("2026-01-14 06:00", -7), "quiet_hours", T("2026-01-14 08:00", -7),
         mzip="85001"),
)

# --- locations from the phone's area code (phonenumbers' geocoder and zones) ----------------
add(
    Case("813 Florida 08:00 EDT", T("2026-07-15 08:00", -4), "ok", phone="+18135550142"),
    Case("813 Florida 19:59 EDT", T("2026-07-15 19:59", -4), "ok", phone="+18135550142"),
    Case("813 Florida 20:03 EDT", T("2026-07-15 20:03", -4), "quiet_hours", T("2026-07-16 08:00", -4),
         phone="+18135550142"),
    Case("850 Florida panhandle, Central 20:00 CDT", T("2026-07-15 20:00", -5), "quiet_hours",
         T("2026-07-16 08:00", -5), phone="+18502000000"),
    Case("850 Florida panhandle 19:59 CDT", T("2026-07-15 19:59", -5), "ok", phone="+18502000000"),
    Case("312 Chicago 20:30 CDT", T("2026-07-15 20:30", -5), "ok", phone="+13125550142"),
    Case("312 Chicago 07:30 CDT", T("2026-07-15 07:30", -5), "quiet_hours", T("2026-07-15 08:00", -5),
         phone="+13125550142"),
    Case("602 Arizona 07:59 MST in July", T("2026-07-15 07:59", -7), "quiet_hours",
         T("2026-07-15 08:00", -7), phone="+16025550142"),
    Case("602 Arizona 20:59 MST", T("2026-07-15 20:59", -7), "ok", phone="+16025550142"),
    Case("808 Hawaii 07:00 HST", T("2026-07-15 07:00", -10), "quiet_hours", T("2026-07-15 08:00", -10),
         phone="+18085550142"),
    Case("808 Hawaii 20:00 HST", T("2026-07-15 20:00", -10), "ok", phone="+18085550142"),
    Case("915 El Paso, Mountain 07:45 MDT", T("2026-07-15 07:45", -6), "quiet_hours",
         T("2026-07-15 08:00", -6), phone="+19155550142"),
    Case("212 New York 21:00 EDT", T("2026-07-15 21:00", -4), "quiet_hours", T("2026-07-16 08:00", -4),
         phone="+12125550142"),
    # 907 names two zones, Anchorage (AKDT -8) and Adak (HDT -9): both must allow.
    Case("907 Alaska 08:30 AKDT = 07:30 HDT", T("2026-07-15 08:30", -8), "quiet_hours",
         T("2026-07-15 09:00", -8), phone="+19075550142"),
    Case("907 Alaska 09:00 AKDT = 08:00 HDT", T("2026-07-15 09:00", -8), "ok", phone="+19075550142"),
    Case("907 Alaska 20:59 AKDT = 19:59 HDT", T("2026-07-15 20:59", -8), "ok", phone="+19075550142"),
    Case("907 Alaska 21:00 AKDT = 20:00 HDT", T("2026-07-15 21:00", -8), "quiet_hours",
         T("2026-07-16 09:00", -8), phone="+19075550142"),
    Case("907 Alaska in January 08:30 AKST = 07:30 HST", T("2026-01-14 08:30", -9), "quiet_hours",
         T("2026-01-14 09:00", -9), phone="+19075550142"),
)

# --- both 2026 DST change days ----------------------------------------------------------------
add(
    # Spring forward, Sunday 2026-03-08 at 02:00 local.
    Case("NY spring: Sat 07:30 EST", T("2026-03-07 07:30", -5), "quiet_hours", T("2026-03-07 08:00", -5),
         mzip="10001"),
    Case("NY spring: Sat 21:30 EST → Sun 08:00 EDT", T("2026-03-07 21:30", -5), "quiet_hours",
         T("2026-03-08 08:00", -4), mzip="10001"),
    Case("NY spring: Sun 07:30 EDT", T("2026-03-08 07:30", -4), "quiet_hours", T("2026-03-08 08:00", -4),
         mzip="10001"),
    Case("NY spring: Sun 08:00 EDT", T("2026-03-08 08:00", -4), "ok", mzip="10001"),
    Case("NY spring: Sun 20:59 EDT", T("2026-03-08 20:59", -4), "ok", mzip="10001"),
    Case("NY spring: Sun 21:00 EDT", T("2026-03-08 21:00", -4), "quiet_hours", T("2026-03-09 08:00", -4),
         mzip="10001"),
    Case("CA spring: Sat 21:00 PST → Sun 08:00 PDT", T("2026-03-07 21:00", -8), "quiet_hours",
         T("2026-03-08 08:00", -7), mzip="90012"),
    Case("CA spring: Sun 07:59 PDT", T("2026-03-08 07:59", -7), "quiet_hours", T("2026-03-08 08:00", -7),
         mzip="90012"),
    Case("CA spring: Sun 08:00 PDT", T("2026-03-08 08:00", -7), "ok", mzip="90012"),
    Case("AZ spring: Sun 07:59 MST, no change", T("2026-03-08 07:59", -7), "quiet_hours",
         T("2026-03-08 08:00", -7), mzip="85001"),
    Case("FL spring: Sun 19:59 EDT", T("2026-03-08 19:59", -4), "ok", mzip="33602"),
    Case("FL spring: Sun 20:00 EDT", T("2026-03-08 20:00", -4), "quiet_hours", T("2026-03-09 08:00", -4),
         mzip="33602"),
    # Fall back, Sunday 2026-11-01 at 02:00 local.
    Case("NY fall: Sat 21:00 EDT → Sun 08:00 EST", T("2026-10-31 21:00", -4), "quiet_hours",
         T("2026-11-01 08:00", -5), mzip="10001"),
    Case("NY fall: Sun 07:30 EST", T("2026-11-01 07:30", -5), "quiet_hours", T("2026-11-01 08:00", -5),
         mzip="10001"),
    Case("NY fall: Sun 08:00 EST", T("2026-11-01 08:00", -5), "ok", mzip="10001"),
    Case("NY fall: Sun 20:59 EST", T("2026-11-01 20:59", -5), "ok", mzip="10001"),
    Case("NY fall: Sun 21:00 EST", T("2026-11-01 21:00", -5), "quiet_hours", T("2026-11-02 08:00", -5),
         mzip="10001"),
    Case("IL fall: Sun 07:30 CST", T("2026-11-01 07:30", -6), "quiet_hours", T("2026-11-01 08:00", -6),
         mzip="60601"),
    Case("AK fall: Sun 07:59 AKST", T("2026-11-01 07:59", -9), "quiet_hours", T("2026-11-01 08:00", -9),
         mzip="99501"),
    Case("AK fall: Sun 08:00 AKST", T("2026-11-01 08:00", -9), "ok", mzip="99501"),
    Case("HI fall: Sun 07:59 HST, no change", T("2026-11-01 07:59", -10), "quiet_hours",
         T("2026-11-01 08:00", -10), mzip="96813"),
)

# --- state windows (Wed 2026-07-15 unless said) ----------------------------------------------
add(
    Case("FL 07:59", T("2026-07-15 07:59", -4), "quiet_hours", T("2026-07-15 08:00", -4), mzip="33602"),
    Case("FL 08:00", T("2026-07-15 08:00", -4), "ok", mzip="33602"),
    Case("FL 19:59", T("2026-07-15 19:59", -4), "ok", mzip="33602"),
    Case("FL 20:00", T("2026-07-15 20:00", -4), "quiet_hours", T("2026-07-16 08:00", -4), mzip="33602"),
    Case("FL 20:03", T("2026-07-15 20:03", -4), "quiet_hours", T("2026-07-16 08:00", -4), mzip="33602"),
    Case("FL Pensacola (Central) 20:00", T("2026-07-15 20:00", -5), "quiet_hours",
         T("2026-07-16 08:00", -5), mzip="32501"),
    Case("FL Pensacola 19:59", T("2026-07-15 19:59", -5), "ok", mzip="32501"),
    Case("OK 07:59", T("2026-07-15 07:59", -5), "quiet_hours", T("2026-07-15 08:00", -5), mzip="73102"),
    Case("OK 19:59", T("2026-07-15 19:59", -5), "ok", mzip="73102"),
    Case("OK 20:00", T("2026-07-15 20:00", -5), "quiet_hours", T("2026-07-16 08:00", -5), mzip="73102"),
    Case("MD 19:59", T("2026-07-15 19:59", -4), "ok", mzip="21201"),
    Case("MD 20:00", T("2026-07-15 20:00", -4), "quiet_hours", T("2026-07-16 08:00", -4), mzip="21201"),
    Case("MD 07:00 in January", T("2026-01-14 07:00", -5), "quiet_hours", T("2026-01-14 08:00", -5),
         mzip="21201"),
    Case("AL 19:59", T("2026-07-15 19:59", -5), "ok", mzip="35203"),
    Case("AL 20:00", T("2026-07-15 20:00", -5), "quiet_hours", T("2026-07-16 08:00", -5), mzip="35203"),
    Case("LA 08:00", T("2026-07-15 08:00", -5), "ok", mzip="70112"),
    Case("LA 20:00", T("2026-07-15 20:00", -5), "quiet_hours", T("2026-07-16 08:00", -5), mzip="70112"),
    Case("MS 19:59", T("2026-07-15 19:59", -5), "ok", mzip="39201"),
    Case("MS 20:00", T("2026-07-15 20:00", -5), "quiet_hours", T("2026-07-16 08:00", -5), mzip="39201"),
    Case("KY 09:59", T("2026-07-15 09:59", -4), "quiet_hours", T("2026-07-15 10:00", -4), mzip="40202"),
    Case("KY 10:00", T("2026-07-15 10:00", -4), "ok", mzip="40202"),
    Case("KY 20:59", T("2026-07-15 20:59", -4), "ok", mzip="40202"),
    Case("KY 21:00", T("2026-07-15 21:00", -4), "quiet_hours", T("2026-07-16 10:00", -4), mzip="40202"),
    Case("MA 19:59", T("2026-07-15 19:59", -4), "ok", mzip="02108"),
    Case("MA 20:00", T("2026-07-15 20:00", -4), "quiet_hours", T("2026-07-16 08:00", -4), mzip="02108"),
    Case("MI 08:59", T("2026-07-15 08:59", -4), "quiet_hours", T("2026-07-15 09:00", -4), mzip="48226"),
    Case("MI 09:00", T("2026-07-15 09:00", -4), "ok", mzip="48226"),
    Case("MI 20:59", T("2026-07-15 20:59", -4), "ok", mzip="48226"),
    Case("MI 21:00", T("2026-07-15 21:00", -4), "quiet_hours", T("2026-07-16 09:00", -4), mzip="48226"),
    Case("MN 08:30", T("2026-07-15 08:30", -5), "quiet_hours", T("2026-07-15 09:00", -5), mzip="55401"),
    Case("MN 09:00", T("2026-07-15 09:00", -5), "ok", mzip="55401"),
    Case("NM 08:59", T("2026-07-15 08:59", -6), "quiet_hours", T("2026-07-15 09:00", -6), mzip="87102"),
    Case("NM 20:59", T("2026-07-15 20:59", -6), "ok", mzip="87102"),
    Case("NV 08:59", T("2026-07-15 08:59", -7), "quiet_hours", T("2026-07-15 09:00", -7), mzip="89101"),
    Case("NV 09:00", T("2026-07-15 09:00", -7), "ok", mzip="89101"),
    Case("NV 19:59", T("2026-07-15 19:59", -7), "ok", mzip="89101"),
    Case("NV 20:00", T("2026-07-15 20:00", -7), "quiet_hours", T("2026-07-16 09:00", -7), mzip="89101"),
    Case("RI 08:59", T("2026-07-15 08:59", -4), "quiet_hours", T("2026-07-15 09:00", -4), mzip="02903"),
    Case("RI 09:00", T("2026-07-15 09:00", -4), "ok", mzip="02903"),
    Case("RI 17:59", T("2026-07-15 17:59", -4), "ok", mzip="02903"),
    Case("RI 18:00", T("2026-07-15 18:00", -4), "quiet_hours", T("2026-07-16 09:00", -4), mzip="02903"),
    Case("CT 08:59", T("2026-07-15 08:59", -4), "quiet_hours", T("2026-07-15 09:00", -4), mzip="06103"),
    Case("CT 09:00", T("2026-07-15 09:00", -4), "ok", mzip="06103"),
    Case("CT 19:59", T("2026-07-15 19:59", -4), "ok", mzip="06103"),
    Case("CT 20:00 (one source says 21:00)", T("2026-07-15 20:00", -4), "quiet_hours",
         T("2026-07-16 09:00", -4), mzip="06103"),
    Case("TX 20:30 (federal)", T("2026-07-15 20:30", -5), "ok", mzip="78701"),
)

# --- day bans and holidays --------------------------------------------------------------------
add(
    Case("AL Sunday noon", T("2026-07-19 12:00", -5), "day_ban", T("2026-07-20 08:00", -5), mzip="35203"),
    Case("AL Saturday noon", T("2026-07-18 12:00", -5), "ok", mzip="35203"),
    Case("AL Saturday 20:30 → Monday", T("2026-07-18 20:30", -5), "quiet_hours",
         T("2026-07-20 08:00", -5), mzip="35203"),
    Case("AL Sunday 21:00: both", T("2026-07-19 21:00", -5), "day_ban,quiet_hours",
         T("2026-07-20 08:00", -5), mzip="35203"),
    Case("LA Sunday noon", T("2026-07-19 12:00", -5), "day_ban", T("2026-07-20 08:00", -5), mzip="70112"),
    Case("MS Sunday noon", T("2026-07-19 12:00", -5), "day_ban", T("2026-07-20 08:00", -5), mzip="39201"),
    Case("MS Saturday noon", T("2026-07-18 12:00", -5), "ok", mzip="39201"),
    Case("RI Saturday noon", T("2026-07-18 12:00", -4), "day_ban", T("2026-07-20 09:00", -4), mzip="02903"),
    Case("RI Sunday noon", T("2026-07-19 12:00", -4), "day_ban", T("2026-07-20 09:00", -4), mzip="02903"),
    Case("RI Friday 18:00 → Monday", T("2026-07-17 18:00", -4), "quiet_hours", T("2026-07-20 09:00", -4),
         mzip="02903"),
    Case("FL Sunday noon: no ban", T("2026-07-19 12:00", -4), "ok", mzip="33602"),
    Case("TX Sunday noon: no ban", T("2026-07-19 12:00", -5), "ok", mzip="78701"),
    # Independence Day 2027 falls on Sunday 4 July and is observed Monday 5 July.
    Case("AL holiday on a Sunday", T("2027-07-04 12:00", -5), "day_ban", T("2027-07-06 08:00", -5),
         mzip="35203"),
    Case("AL its observed Monday", T("2027-07-05 12:00", -5), "day_ban", T("2027-07-06 08:00", -5),
         mzip="35203"),
    Case("AL the Tuesday after", T("2027-07-06 12:00", -5), "ok", mzip="35203"),
    Case("LA observed Monday", T("2027-07-05 12:00", -5), "day_ban", T("2027-07-06 08:00", -5),
         mzip="70112"),
    Case("RI observed Monday", T("2027-07-05 12:00", -4), "day_ban", T("2027-07-06 09:00", -4),
         mzip="02903"),
    Case("MS observed Monday: Sundays only", T("2027-07-05 12:00", -5), "ok", mzip="39201"),
    Case("TX observed Monday: no ban", T("2027-07-05 12:00", -5), "ok", mzip="78701"),
    # Christmas 2022 fell on Sunday 25 December, observed Monday 26 December.
    Case("AL Christmas observed Monday 2022", T("2022-12-26 12:00", -6), "day_ban",
         T("2022-12-27 08:00", -6), mzip="35203"),
    Case("LA Christmas observed Monday 2022", T("2022-12-26 12:00", -6), "day_ban",
         T("2022-12-27 08:00", -6), mzip="70112"),
    Case("RI Victory Day 2026-08-10", T("2026-08-10 12:00", -4), "day_ban", T("2026-08-11 09:00", -4),
         mzip="02903"),
    Case("AL on RI's Victory Day", T("2026-08-10 12:00", -5), "ok", mzip="35203"),
    Case("LA Mardi Gras 2026-02-17", T("2026-02-17 12:00", -6), "day_ban", T("2026-02-18 08:00", -6),
         mzip="70112"),
    Case("RI on Mardi Gras", T("2026-02-17 12:00", -5), "ok", mzip="02903"),
    Case("AL Christmas 2026 (Friday) → Monday", T("2026-12-25 12:00", -6), "day_ban",
         T("2026-12-26 08:00", -6), mzip="35203"),
    Case("RI Christmas 2026 (Friday) → Monday", T("2026-12-25 12:00", -5), "day_ban",
         T("2026-12-28 09:00", -5), mzip="02903"),
    Case("AL Memorial Day 2026", T("2026-05-25 12:00", -5), "day_ban", T("2026-05-26 08:00", -5),
         mzip="35203"),
)

# --- strictest of several locations -----------------------------------------------------------
add(
    Case("NY phone + CA mailing: 08:30 EDT = 05:30 PDT", T("2026-07-15 08:30", -4), "quiet_hours",
         T("2026-07-15 08:00", -7), phone="+12125550142", mzip="90012"),
    Case("NY phone + CA mailing: 20:30 EDT = 17:30 PDT", T("2026-07-15 20:30", -4), "ok",
         phone="+12125550142", mzip="90012"),
    Case("NY phone + CA mailing: 21:30 EDT → 08:00 PDT", T("2026-07-15 21:30", -4), "quiet_hours",
         T("2026-07-16 08:00", -7), phone="+12125550142", mzip="90012"),
    Case("FL phone + TX property: 20:30 EDT", T("2026-07-15 20:30", -4), "quiet_hours",
         T("2026-07-16 08:00", -5), phone="+18135550142", pzip="78701"),
    Case("FL phone + TX property: 19:30 EDT = 18:30 CDT", T("2026-07-15 19:30", -4), "ok",
         phone="+18135550142", pzip="78701"),
    Case("TX phone + FL property: 20:30 CDT = 21:30 EDT", T("2026-07-15 20:30", -5), "quiet_hours",
         T("2026-07-16 08:00", -5), phone="+15125550100", pzip="33602"),
    Case("TX phone + FL property: 19:00 CDT = 20:00 EDT", T("2026-07-15 19:00", -5), "quiet_hours",
         T("2026-07-16 08:00", -5), phone="+15125550100", pzip="33602"),
    Case("TX phone + FL property: 18:59 CDT = 19:59 EDT", T("2026-07-15 18:59", -5), "ok",
         phone="+15125550100", pzip="33602"),
    Case("NY phone + AL mailing on Sunday", T("2026-07-19 12:00", -4), "day_ban",
         T("2026-07-20 08:00", -5), phone="+12125550142", mzip="35203"),
    Case("NY phone + RI property at 18:30", T("2026-07-15 18:30", -4), "quiet_hours",
         T("2026-07-16 09:00", -4), phone="+12125550142", pzip="02903"),
    Case("KY mailing + NY phone at 09:30", T("2026-07-15 09:30", -4), "quiet_hours",
         T("2026-07-15 10:00", -4), phone="+12125550142", mzip="40202"),
    Case("HI mailing + NY phone 14:00 EDT = 08:00 HST", T("2026-07-15 14:00", -4), "ok",
         phone="+12125550142", mzip="96813"),
    Case("HI mailing + NY phone 13:59 EDT = 07:59 HST", T("2026-07-15 13:59", -4), "quiet_hours",
         T("2026-07-15 08:00", -10), phone="+12125550142", mzip="96813"),
    Case("AK two zones + FL property 16:30 EDT", T("2026-07-15 16:30", -4), "ok", phone="+19075550142",
         pzip="33602"),
    Case("AK 907 + FL property 19:30 EDT = 15:30 AKDT", T("2026-07-15 19:30", -4), "ok",
         phone="+19075550142", pzip="33602"),
    Case("AK 907 + FL property 12:30 EDT = 08:30 AKDT = 07:30 HDT", T("2026-07-15 12:30", -4),
         "quiet_hours", T("2026-07-15 09:00", -8), phone="+19075550142", pzip="33602"),
    Case("Three places, MI/NV/FL at 12:00 EDT = 09:00 PDT", T("2026-07-15 12:00", -4), "ok",
         mzip="48226", pzip="89101", phone="+18135550142"),
    Case("Three places, MI/NV/FL at 11:30 EDT = 08:30 PDT", T("2026-07-15 11:30", -4), "quiet_hours",
         T("2026-07-15 09:00", -7), mzip="48226", pzip="89101", phone="+18135550142"),
)

# --- unknown location -------------------------------------------------------------------------
add(
    Case("toll-free 800, no ZIP", T("2026-07-15 12:00", -4), "unknown_location"),
    Case("toll-free 888, no ZIP", T("2026-07-15 12:00", -4), "unknown_location", phone="+18885550142"),
    Case("500 personal number, no ZIP", T("2026-07-15 12:00", -4), "unknown_location",
         phone="+15005550100"),
    Case("toll-free, unknown ZIP 00000", T("2026-07-15 12:00", -4), "unknown_location", mzip="00000"),
    Case("toll-free call, no ZIP", T("2026-07-15 12:00", -4), "unknown_location", channel="call"),
    Case("toll-free with a mailing ZIP is located", T("2026-07-15 12:00", -4), "ok", mzip="10001"),
    Case("toll-free at night, no ZIP: no next time", T("2026-07-15 23:00", -4), "unknown_location"),
)

# --- caps: 3 per 24 h per person and subject in FL, OK, MD ------------------------------------
NOON = T("2026-07-15 10:00", -4)  # 14:00 UTC, 10:00 EDT


def ago(hours: float) -> datetime:
    return NOON - timedelta(hours=hours)


add(
    Case("FL 2 attempts: room for a third", NOON, "ok", mzip="33602",
         facts={"subject_attempts": (ago(1), ago(2))}),
    Case("FL 3 attempts: capped until the oldest is 24 h old", NOON, "frequency_cap",
         T("2026-07-15 11:00", -4), mzip="33602", facts={"subject_attempts": (ago(1), ago(1.5), ago(23))}),
    Case("FL 3 attempts, oldest exactly 24 h ago: it no longer counts", NOON, "ok", mzip="33602",
         facts={"subject_attempts": (ago(1), ago(2), ago(24))}),
    Case("FL 3 attempts, oldest 14.5 h ago → 19:30", NOON, "frequency_cap", T("2026-07-15 19:30", -4),
         mzip="33602", facts={"subject_attempts": (ago(1), ago(2), ago(14.5))}),
    Case("FL 3 attempts, oldest 13.5 h ago → lifts 20:30, window shut → 08:00", NOON, "frequency_cap",
         T("2026-07-16 08:00", -4), mzip="33602", facts={"subject_attempts": (ago(1), ago(2), ago(13.5))}),
    Case("FL 4 attempts: the second oldest must age out", NOON, "frequency_cap", T("2026-07-15 12:00", -4),
         mzip="33602", facts={"subject_attempts": (ago(1), ago(2), ago(22), ago(23))}),
    Case("OK 3 attempts", T("2026-07-15 10:00", -5), "frequency_cap", T("2026-07-15 11:00", -5),
         mzip="73102", facts={"subject_attempts": (
             T("2026-07-15 09:00", -5), T("2026-07-15 08:30", -5), T("2026-07-14 11:00", -5))}),
    Case("MD 3 attempts, call", NOON, "frequency_cap", T("2026-07-15 11:00", -4), mzip="21201",
         channel="call", facts={"subject_attempts": (ago(1), ago(1.5), ago(23))}),
    Case("TX 5 attempts: no state cap", T("2026-07-15 10:00", -5), "ok", mzip="78701",
         facts={"subject_attempts": tuple(T("2026-07-15 09:00", -5) - timedelta(hours=h) for h in range(5))}),
    Case("TX phone, FL property: the FL cap applies", NOON, "frequency_cap", T("2026-07-15 11:00", -4),
         phone="+15125550100", pzip="33602", facts={"subject_attempts": (ago(1), ago(1.5), ago(23))}),
    Case("FL 3 attempts on other subjects only: allowed", NOON, "ok", mzip="33602",
         facts={"subject_attempts": (), "all_attempts": (ago(1), ago(1.5), ago(23))}),
    Case("FL cap and quiet hours together: 09:00 attempt ages out at 09:00", T("2026-07-15 20:30", -4),
         "quiet_hours,frequency_cap", T("2026-07-16 09:00", -4), mzip="33602", facts={"subject_attempts": (
             T("2026-07-15 20:00", -4), T("2026-07-15 19:00", -4), T("2026-07-15 09:00", -4))}),
    Case("FL cap lifting after the window opens", T("2026-07-15 19:00", -4), "frequency_cap",
         T("2026-07-16 09:30", -4), mzip="33602", facts={"subject_attempts": (
             T("2026-07-15 18:00", -4), T("2026-07-15 12:00", -4), T("2026-07-15 09:30", -4))}),
    Case("team cap 2 in TX", T("2026-07-15 10:00", -5), "team_cap", T("2026-07-15 17:00", -5),
         mzip="78701", facts={"team_cap": 2, "all_attempts": (
             T("2026-07-15 09:00", -5), T("2026-07-14 17:00", -5))}),
    Case("team cap 2, one attempt", T("2026-07-15 10:00", -5), "ok", mzip="78701",
         facts={"team_cap": 2, "all_attempts": (T("2026-07-15 09:00", -5),)}),
    Case("team cap off: five attempts in TX", T("2026-07-15 10:00", -5), "ok", mzip="78701",
         facts={"team_cap": None, "all_attempts": tuple(
             T("2026-07-15 09:00", -5) - timedelta(hours=h) for h in range(5))}),
    Case("FL cap and team cap", NOON, "frequency_cap,team_cap", T("2026-07-15 11:00", -4), mzip="33602",
         facts={"team_cap": 3, "subject_attempts": (ago(1), ago(1.5), ago(23)),
                "all_attempts": (ago(1), ago(1.5), ago(23))}),
    Case("email ignores caps", NOON, "ok", channel="email",
         facts={"subject_attempts": (ago(1), ago(2), ago(3), ago(4)), "team_cap": 1,
                "all_attempts": (ago(1),)}),
)

# --- consent for automated calls and texts to FL, OK, MD --------------------------------------
add(
    Case("FL automated text, no consent", NOON, "consent_missing", mzip="33602", automated=True),
    Case("FL automated text with consent", NOON, "ok", mzip="33602", automated=True,
         facts={"consent": True}),
    Case("FL text by hand, no consent", NOON, "ok", mzip="33602"),
    Case("FL automated call, no consent", NOON, "consent_missing", mzip="33602", automated=True,
         channel="call"),
    Case("FL automated text by phone area code", NOON, "consent_missing", phone="+18135550142",
         automated=True),
    Case("OK automated call, no consent", T("2026-07-15 10:00", -5), "consent_missing", mzip="73102",
         automated=True, channel="call"),
    Case("MD automated text, no consent", NOON, "consent_missing", mzip="21201", automated=True),
    Case("TX automated text, no consent needed", T("2026-07-15 10:00", -5), "ok", mzip="78701",
         automated=True),
    Case("TX phone + FL property, automated", T("2026-07-15 10:00", -5), "consent_missing",
         phone="+15125550100", pzip="33602", automated=True),
    Case("FL automated text at 20:30: consent and quiet, no next time", T("2026-07-15 20:30", -4),
         "consent_missing,quiet_hours", mzip="33602", automated=True),
    Case("automated email needs no consent", NOON, "ok", channel="email", automated=True),
)

# --- do-not-call, litigators ------------------------------------------------------------------
add(
    Case("internal DNC list", NOON, "dnc", mzip="10001", facts={"dnc_sources": ("internal list",)}),
    Case("registry listing", NOON, "dnc", mzip="10001", facts={"dnc_sources": ("registry",)}),
    Case("list flag from an import", NOON, "dnc", mzip="10001", facts={"dnc_sources": ("list flag",)}),
    Case("DNC listed, consent overrides", NOON, "ok", mzip="10001",
         facts={"dnc_sources": ("registry",), "consent": True}),
    Case("DNC listed, call", NOON, "dnc", mzip="10001", channel="call",
         facts={"dnc_sources": ("internal list",)}),
    Case("DNC listed at 22:00: no next time", T("2026-07-15 22:00", -4), "dnc,quiet_hours", mzip="10001",
         facts={"dnc_sources": ("internal list",)}),
    Case("checked 10 days ago", NOON, "ok", mzip="10001",
         facts={"dnc_checked_at": NOON - timedelta(days=10)}),
    Case("checked exactly 31 days ago", NOON, "ok", mzip="10001",
         facts={"dnc_checked_at": NOON - timedelta(days=31)}),
    Case("checked 31 days and a second ago: warning", NOON, "ok", mzip="10001", warn="dnc_unchecked",
         facts={"dnc_checked_at": NOON - timedelta(days=31, seconds=1)}),
    Case("never checked: warning", NOON, "ok", mzip="10001", warn="dnc_unchecked",
         facts={"dnc_checked_at": None}),
    Case("never checked, strict mode: blocked", NOON, "dnc_unchecked", mzip="10001",
         facts={"dnc_checked_at": None, "strict_dnc": True}),
    Case("checked 40 days ago, strict mode", NOON, "dnc_unchecked", mzip="10001",
         facts={"dnc_checked_at": NOON - timedelta(days=40), "strict_dnc": True}),
    Case("checked 5 days ago, strict mode", NOON, "ok", mzip="10001",
         facts={"dnc_checked_at": NOON - timedelta(days=5), "strict_dnc": True}),
    Case("never checked but consent: no warning", NOON, "ok", mzip="10001",
         facts={"dnc_checked_at": None, "consent": True}),
    Case("never checked, quiet hours: warning and next time", T("2026-07-15 07:00", -4), "quiet_hours",
         T("2026-07-15 08:00", -4), mzip="10001", warn="dnc_unchecked", facts={"dnc_checked_at": None}),
    Case("litigator", NOON, "litigator", mzip="10001", facts={"litigator": True}),
    Case("litigator with consent still blocks", NOON, "litigator", mzip="10001",
         facts={"litigator": True, "consent": True}),
    Case("litigator and DNC", NOON, "litigator,dnc", mzip="10001",
         facts={"litigator": True, "dnc_sources": ("registry",)}),
    Case("email ignores DNC", NOON, "ok", channel="email",
         facts={"dnc_sources": ("registry",), "litigator": True, "dnc_checked_at": None, "strict_dnc": True}),
)

# --- opt-outs, do-not-contact, review, email suppression --------------------------------------
add(
    Case("opted out: text", NOON, "opted_out", mzip="10001", facts={"opted_out": True}),
    Case("opted out: call", NOON, "opted_out", mzip="10001", channel="call", facts={"opted_out": True}),
    Case("opted out: email", NOON, "opted_out", channel="email", facts={"opted_out": True}),
    Case("opted out at night: no next time", T("2026-07-15 22:00", -4), "opted_out,quiet_hours",
         mzip="10001", facts={"opted_out": True}),
    Case("opted out with consent: still out", NOON, "opted_out", mzip="10001",
         facts={"opted_out": True, "consent": True}),
    Case("do-not-contact: text", NOON, "do_not_contact", mzip="10001", facts={"do_not_contact": True}),
    Case("do-not-contact: email", NOON, "do_not_contact", channel="email", facts={"do_not_contact": True}),
    Case("review pending: text", NOON, "review_pending", mzip="10001", facts={"review_pending": True}),
    Case("review pending: call", NOON, "review_pending", mzip="10001", channel="call",
         facts={"review_pending": True}),
    Case("review pending: email", NOON, "review_pending", channel="email", facts={"review_pending": True}),
    Case("email unsubscribed", NOON, "unsubscribed", channel="email", facts={"suppression": "unsubscribed"}),
    Case("email hard bounce", NOON, "suppressed", channel="email", facts={"suppression": "hard_bounce"}),
    Case("email complaint", NOON, "suppressed", channel="email", facts={"suppression": "complaint"}),
    Case("email at 03:00: no quiet hours", T("2026-07-15 03:00", -4), "ok", channel="email"),
    Case("email on an AL Sunday: no day ban", T("2026-07-19 12:00", -5), "ok", channel="email"),
    Case("everything at once", T("2026-07-15 22:00", -4),
         "quiet_hours,consent_missing,litigator,dnc,opted_out,do_not_contact,review_pending",
         mzip="33602", automated=True, facts={"opted_out": True, "do_not_contact": True,
         "review_pending": True, "litigator": True, "dnc_sources": ("registry",)}),
)

# fmt: on


@pytest.fixture(autouse=True)
def _fresh_memos() -> None:
    """Each case works its location facts out anew (mutation testing forks one process that
    has already filled the memos)."""
    rules.clear_caches()


def _facts(case: Case) -> rules.Facts:
    base = rules.Facts(dnc_checked_at=case.at - timedelta(days=1))
    return replace(base, **case.facts)


def test_enough_cases() -> None:
    assert len(CASES) >= 200, len(CASES)
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    places = (
        ()
        if case.channel == "email"
        else locations.locations(phone=case.phone, mailing_zip=case.mzip, property_zip=case.pzip)
    )
    prospect = rules.Prospect(channel=case.channel, at=case.at, locations=places, automated=case.automated)  # type: ignore[arg-type]
    decision = rules.decide(prospect, _facts(case), current())
    expected = set() if case.expect == "ok" else set(case.expect.split(","))
    assert {r.code for r in decision.reasons} == expected, [r.message for r in decision.reasons]
    assert decision.allowed is (case.expect == "ok")
    assert {w.code for w in decision.warnings} == (set(case.warn.split(",")) if case.warn else set())
    assert decision.next_allowed_at == case.nxt
    if case.nxt is not None:
        assert decision.next_allowed_at is not None and decision.next_allowed_at.utcoffset() == timedelta(0)
    assert decision.rule_set == "us-2025.1"
