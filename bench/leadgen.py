"""Realistic lead lists, as list tools and skip tracers export them (deterministic by seed).

About 50,000 distinct street names over real ZIPs of a mix of states, owners (people and LLCs,
a third absentee), 2–3 phones per row with line type and DNC, emails, values and motivated-seller
flags; ~5 % duplicate rows (the same parcel again, often spelled differently) and ~2 % dirty rows
(a malformed ZIP, a missing street, a bad phone, a Windows-1252 encoded name).

    python bench/leadgen.py --rows 1000000 --out var/leads-1m.csv

`generate(...)` also plants an exact number of bad rows (rows the import must refuse) and returns
their row numbers, for the tests.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

HEADERS = [
    "Property Address", "Property City", "Property State", "Property Zip", "County", "APN",
    "Owner 1 First Name", "Owner 1 Last Name", "Owner 2 First Name", "Owner 2 Last Name",
    "Mailing Address", "Mailing City", "Mailing State", "Mailing Zip", "Property Type", "Bedrooms",
    "Bathrooms", "Sq Ft", "Lot Size", "Year Built", "Estimated Value", "Assessed Value", "Est. Equity",
    "Equity %", "Last Sale Date", "Last Sale Price", "Tax Delinquent", "Vacant", "Pre-Foreclosure",
    "Probate", "Phone 1", "Phone 1 Type", "Phone 1 DNC", "Phone 2", "Phone 2 Type", "Phone 2 DNC",
    "Phone 3", "Phone 3 Type", "Phone 3 DNC", "Email 1", "Email 2",
]  # fmt: skip
STATES = ("FL", "TX", "GA", "OH", "NC", "AZ", "TN", "MI", "PA", "CA", "NY", "IN")
ROOTS = [
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Birch", "Willow", "Aspen", "Spruce", "Hickory", "Walnut",
    "Chestnut", "Magnolia", "Poplar", "Cypress", "Juniper", "Laurel", "Holly", "Ivy", "Sycamore",
    "Redwood", "Sequoia", "Hawthorn", "Linden", "Alder", "Beech", "Dogwood", "Fir", "Hemlock", "Larch",
    "Locust", "Mulberry", "Olive", "Palm", "Pecan", "Plum", "Peach", "Apple", "Cherry", "Pear",
    "Quince", "Rowan", "Sassafras", "Tupelo", "Yew", "Acorn", "Amber", "Arbor", "Autumn", "Bay",
    "Bluff", "Briar", "Brook", "Canyon", "Cliff", "Clover", "Coral", "Creek", "Crest", "Crystal",
    "Dale", "Dawn", "Deer", "Dove", "Eagle", "Echo", "Fern", "Fox", "Glen", "Golden", "Granite",
    "Hazel", "Heather", "Heron", "Highland", "Hill", "Hollow", "Iris", "Jade", "Lake", "Lark", "Meadow",
    "Mesa", "Mill", "Mist", "Moss", "North", "Orchard", "Otter", "Park", "Pebble", "Prairie", "Quail",
    "Rain", "Raven"
]  # fmt: skip
ENDINGS = [
    "wood", "field", "brook", "view", "ridge", "dale", "crest", "haven", "side", "point", "shire",
    "ford", "land", "mont", "vale", "stone", "water", "gate", "bury", "ton", "ville", "worth", "port",
    "wick", "hurst", "ley", "moor", "more", "hall", "spring", "grove", "meadow", "bend", "run", "creek",
    "shore", "court", "lake", "park", "pond", "rock", "sand", "star", "sun", "wind"
]  # fmt: skip
SUFFIXES = [
    ("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Lane", "Ln"), ("Drive", "Dr"), ("Court", "Ct"),
    ("Boulevard", "Blvd"), ("Way", "Way"), ("Place", "Pl"), ("Terrace", "Ter"),
]  # fmt: skip
FIRST = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony",
    "Margaret", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew",
    "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Dorothy", "George",
    "Melissa", "Edward", "Deborah", "Ronald", "Stephanie", "Timothy", "Rebecca", "Jason", "Sharon"
]  # fmt: skip
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
    "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen",
    "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
    "Carter", "Roberts", "Whitlock", "Okafor", "Novak", "Kowalski", "Lindqvist"
]  # fmt: skip
ACCENTED = ("José", "Zoë", "Renée", "Łukasz", "François", "Müller", "Peña", "Søren")
TYPES = (
    "Single Family",
    "Single Family",
    "Single Family",
    "Condo",
    "Townhouse",
    "Duplex",
    "Mobile Home",
    "Land",
)
LINE_TYPES = ("Mobile", "Mobile", "Landline", "VoIP", "Wireless")


@dataclass
class Planted:
    """What the generator put in the file (row numbers count data rows from 1)."""

    rows: int = 0
    bad_rows: list[int] = field(default_factory=list)
    duplicates: int = 0
    bad_phones: int = 0
    cp1252_rows: int = 0


def street_names() -> list[str]:
    names = [f"{a}{b}" for a in ROOTS for b in ENDINGS]  # 100 × 50 = 5,000
    return [f"{name} {suffix[0]}" for name in names for suffix in SUFFIXES]  # 50,000


def _zips(rng: random.Random) -> list[tuple[str, str, str, str]]:
    import zipcodes

    rows = [
        (z["zip_code"], z["city"], z["state"], (z.get("county") or "").removesuffix(" County"))
        for z in zipcodes.list_all()
        if z["state"] in STATES and z.get("zip_code_type") == "STANDARD"
    ]
    rows.sort()
    rng.shuffle(rows)
    return rows[:6000]


def _area_codes() -> list[str]:
    from reos.compliance.area_codes import AREA_CODE_STATES

    return sorted(code for code, states in AREA_CODE_STATES.items() if any(s in STATES for s in states))


class _Leads:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.streets = street_names()
        self.zips = _zips(self.rng)
        self.area_codes = _area_codes()
        self.serial = 0

    def phone(self) -> str:
        rng = self.rng
        digits = f"{rng.choice(self.area_codes)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if digits[4:6] == "11":
            digits = digits[:4] + "2" + digits[5:]
        style = rng.random()
        if style < 0.4:
            return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        if style < 0.7:
            return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
        return digits if style < 0.9 else "1" + digits

    def row(self) -> dict[str, str]:
        rng = self.rng
        self.serial += 1
        zip_code, city, state, county = rng.choice(self.zips)
        street = rng.choice(self.streets)
        if rng.random() < 0.5:
            name, suffix = street.rsplit(" ", 1)
            street = f"{name} {dict(SUFFIXES)[suffix]}"
        number = rng.randint(1, 19999)
        address = f"{number} {rng.choice(('', '', '', 'N ', 'S ', 'E ', 'W '))}{street}"
        value = rng.randrange(60_000, 950_000, 500)
        equity_pct = rng.choice((100, 100, rng.randint(-10, 99), rng.randint(20, 95), rng.randint(40, 99)))
        equity = value * equity_pct // 100
        entity = rng.random() < 0.1
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if entity:
            first, last = (
                "",
                f"{rng.choice(ROOTS)} {rng.choice(('Holdings', 'Properties', 'Investments'))} LLC",
            )
        absentee = rng.random() < 0.33
        if absentee:
            m_zip, m_city, m_state, _ = rng.choice(self.zips)
            mailing = (f"{rng.randint(1, 9999)} {rng.choice(self.streets)}", m_city, m_state, m_zip)
        else:
            mailing = (address, city, state, zip_code)
        phones = [self.phone() for _ in range(rng.choice((2, 2, 3)))]
        row = {
            "Property Address": address,
            "Property City": city,
            "Property State": state,
            "Property Zip": zip_code,
            "County": county,
            "APN": f"{rng.randint(10, 99)}-{self.serial:08d}-{rng.randint(0, 9)}",
            "Owner 1 First Name": first,
            "Owner 1 Last Name": last,
            "Owner 2 First Name": rng.choice(FIRST) if not entity and rng.random() < 0.25 else "",
            "Owner 2 Last Name": last if not entity and rng.random() < 0.25 else "",
            "Mailing Address": mailing[0],
            "Mailing City": mailing[1],
            "Mailing State": mailing[2],
            "Mailing Zip": mailing[3],
            "Property Type": rng.choice(TYPES),
            "Bedrooms": str(rng.randint(1, 6)),
            "Bathrooms": rng.choice(("1", "1.5", "2", "2.5", "3")),
            "Sq Ft": f"{rng.randint(600, 4500):,}",
            "Lot Size": str(rng.randint(2000, 40000)),
            "Year Built": str(rng.randint(1900, 2022)),
            "Estimated Value": f"${value:,}",
            "Assessed Value": str(value * rng.randint(60, 95) // 100),
            "Est. Equity": f"${equity:,}",
            "Equity %": f"{equity_pct}%",
            "Last Sale Date": f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{rng.randint(1975, 2023)}",
            "Last Sale Price": str(rng.randrange(20_000, 600_000, 1000)),
            "Tax Delinquent": "Yes" if rng.random() < 0.08 else "",
            "Vacant": "Y" if rng.random() < 0.05 else "N",
            "Pre-Foreclosure": "1" if rng.random() < 0.03 else "0",
            "Probate": "TRUE" if rng.random() < 0.02 else "",
            "Email 1": f"{(first or 'info').lower()}.{last.split()[0].lower()}{self.serial}@example.com"
            if rng.random() < 0.6
            else "",
            "Email 2": "",
        }
        for i, number_text in enumerate(phones, start=1):
            row[f"Phone {i}"] = number_text
            row[f"Phone {i} Type"] = rng.choice(LINE_TYPES)
            row[f"Phone {i} DNC"] = "Y" if rng.random() < 0.15 else "N"
        return row


def _spelled_again(row: dict[str, str], rng: random.Random) -> dict[str, str]:
    """The same parcel exported again: same APN, the street spelled another way."""
    again = dict(row)
    address = again["Property Address"]
    for long, short in SUFFIXES:
        if address.endswith(" " + long):
            address = address[: -len(long)] + short
            break
        if address.endswith(" " + short):
            address = address[: -len(short)] + long
            break
    again["Property Address"] = address.upper() if rng.random() < 0.5 else address
    return again


def _make_bad(row: dict[str, str], rng: random.Random) -> dict[str, str]:
    """A row the import must refuse: no street, or a ZIP that is not one and no way around it."""
    bad = dict(row)
    kind = rng.randrange(3)
    if kind == 0:
        bad["Property Address"] = ""
    elif kind == 1:
        bad["Property Zip"] = rng.choice(("ABCDE", "N/A", "3361O", "ZIP"))
    else:
        bad["Property State"] = rng.choice(("XX", "Flordia", "??"))
    return bad


def generate(
    out: Path | str,
    *,
    rows: int,
    seed: int = 7,
    duplicate_rate: float = 0.05,
    dirty_rate: float = 0.02,
    bad_rows: int | None = None,
    drop_columns: tuple[str, ...] = (),
) -> Planted:
    """Write a lead list of `rows` data rows. Dirty rows are split between refused rows (bad
    address), bad phones and Windows-1252 names; `bad_rows` plants exactly that many refused rows."""
    leads = _Leads(seed)
    rng = random.Random(seed + 1)
    planted = Planted(rows=rows)
    headers = [h for h in HEADERS if h not in drop_columns]
    refused_target = bad_rows if bad_rows is not None else int(rows * dirty_rate / 2)
    refused_at = set(rng.sample(range(1, rows + 1), refused_target)) if refused_target else set()
    recent: list[dict[str, str]] = []
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    with open(out, "wb") as handle:
        handle.write(buffer.getvalue().encode("utf-8"))
        for number in range(1, rows + 1):
            buffer.seek(0)
            buffer.truncate()
            if number in refused_at:
                row = _make_bad(leads.row(), rng)
                planted.bad_rows.append(number)
            elif recent and rng.random() < duplicate_rate:
                source = rng.choice(recent)
                row = dict(source) if rng.random() < 0.5 else _spelled_again(source, rng)
                planted.duplicates += 1
            else:
                row = leads.row()
                if len(recent) < 5000:
                    recent.append(row)
                else:
                    recent[rng.randrange(5000)] = row
            encoding = "utf-8"
            dirt = rng.random()
            if number not in refused_at and dirt < dirty_rate / 4:
                row = dict(row, **{"Phone 2": rng.choice(("555-12", "(000) 000-0000", "call me", "12345"))})
                planted.bad_phones += 1
            elif number not in refused_at and dirt < dirty_rate / 2 and row["Owner 1 First Name"]:
                row = dict(row, **{"Owner 1 First Name": rng.choice(ACCENTED)})
                encoding = "cp1252" if rng.random() < 0.5 else "utf-8"
                if encoding == "cp1252":
                    planted.cp1252_rows += 1
            writer.writerow(row)
            handle.write(buffer.getvalue().encode(encoding, errors="replace"))
    return planted


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("var/leads-1m.csv"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duplicate-rate", type=float, default=0.05)
    parser.add_argument("--dirty-rate", type=float, default=0.02)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    planted = generate(
        args.out,
        rows=args.rows,
        seed=args.seed,
        duplicate_rate=args.duplicate_rate,
        dirty_rate=args.dirty_rate,
    )
    print(
        f"wrote {args.out}: {planted.rows:,} rows, {planted.duplicates:,} duplicates, "
        f"{len(planted.bad_rows):,} refused rows, {planted.bad_phones:,} bad phones, "
        f"{planted.cp1252_rows:,} Windows-1252 rows",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
