"""A probe, not product code: the lower bound of a column-wise normaliser.

The import's main per-row work (`reos.imports.normalise`) written as polars column expressions
over the whole lead list, then the three COPY payloads (leads, owners, phones and emails):
trimming and upper-casing, ZIPs, states, numbers, dates, the signals' yes/no, phones to E.164,
emails, the street's USPS suffix once per distinct street, and the first row of each address and
APN. It leaves out what needs a row's context (a whole address in one cell, ZIP → city lookups,
the error messages), so its time is a floor, not an estimate. polars is not a dependency of the
product: install it in a scratch environment.

    python3.11 -m venv /tmp/pl && /tmp/pl/bin/pip install polars
    POLARS_MAX_THREADS=2 /tmp/pl/bin/python bench/normalise_columns_probe.py var/leads-1m.csv
"""

import resource
import sys
import time

import polars as pl

path = sys.argv[1]
t0 = time.perf_counter()
c0 = time.process_time()
df = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
t_read = time.perf_counter() - t0
S = pl.col


def tidy(c):
    return S(c).str.strip_chars().str.replace_all(r"\s+", " ")


STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR",
]  # fmt: skip
FALSY = ["", "n", "no", "false", "f", "0", "none", "null", "-", "unknown", "u", "0.0"]


def money(c):
    return S(c).str.replace_all(r"[$,\s%]", "").cast(pl.Float64, strict=False)


def phone(c):
    d = S(c).str.replace_all(r"\D", "")
    d = pl.when((d.str.len_chars() == 11) & d.str.starts_with("1")).then(d.str.slice(1)).otherwise(d)
    ok = (d.str.len_chars() == 10) & ~d.str.slice(3, 1).is_in(["0", "1"]) & (d.str.slice(4, 2) != "11")
    return pl.when(ok).then(pl.lit("+1") + d)


out = (
    df.with_row_index("row_no", offset=2)
    .with_columns(
        address=tidy("Property Address").str.to_uppercase(),
        city=tidy("Property City").str.to_uppercase(),
        state=tidy("Property State").str.to_uppercase().str.replace_all(r"\.", ""),
        zip_raw=S("Property Zip").str.strip_chars(),
        county=tidy("County").str.replace(r"(?i)\s+county$", ""),
        apn=tidy("APN"),
        first=tidy("Owner 1 First Name"),
        last=tidy("Owner 1 Last Name"),
        first2=tidy("Owner 2 First Name"),
        last2=tidy("Owner 2 Last Name"),
        mail=tidy("Mailing Address").str.to_uppercase(),
        mail_city=tidy("Mailing City").str.to_uppercase(),
        mail_state=tidy("Mailing State").str.to_uppercase(),
        mail_zip=S("Mailing Zip").str.strip_chars(),
        beds=S("Bedrooms").str.strip_chars().cast(pl.Int32, strict=False),
        baths=money("Bathrooms"),
        sqft=money("Sq Ft"),
        lot=money("Lot Size"),
        year=S("Year Built").str.strip_chars().cast(pl.Int32, strict=False),
        value=money("Estimated Value"),
        assessed=money("Assessed Value"),
        equity=money("Est. Equity"),
        equity_pct=money("Equity %"),
        sale_price=money("Last Sale Price"),
        sale_date=pl.coalesce(
            S("Last Sale Date").str.strptime(pl.Date, "%m/%d/%Y", strict=False),
            S("Last Sale Date").str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        ),
        tax=~S("Tax Delinquent").str.strip_chars().str.to_lowercase().fill_null("").is_in(FALSY),
        vacant=~S("Vacant").str.strip_chars().str.to_lowercase().fill_null("").is_in(FALSY),
        pre=~S("Pre-Foreclosure").str.strip_chars().str.to_lowercase().fill_null("").is_in(FALSY),
        probate=~S("Probate").str.strip_chars().str.to_lowercase().fill_null("").is_in(FALSY),
        p1=phone("Phone 1"),
        p2=phone("Phone 2"),
        p3=phone("Phone 3"),
        e1=S("Email 1").str.strip_chars().str.to_lowercase(),
        e2=S("Email 2").str.strip_chars().str.to_lowercase(),
    )
    .with_columns(
        zip5=S("zip_raw").str.extract(r"^(\d{5})(?:-?\d{4})?$", 1),
        state_ok=S("state").is_in(STATES),
        house=S("address").str.extract(r"^(\d+[A-Z]?(?:-\d+[A-Z]?)?)\s", 1),
        street=S("address").str.replace(r"^\d+[A-Z]?(?:-\d+[A-Z]?)?\s+", ""),
        e1_ok=S("e1").str.contains(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$"),
    )
)
# The USPS street form once per distinct street (as the row normaliser does), joined back.
SUFFIX = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "LANE": "LN",
    "COURT": "CT",
    "BOULEVARD": "BLVD",
    "TERRACE": "TER",
    "PLACE": "PL",
    "WAY": "WAY",
    "CIRCLE": "CIR",
}


def _plain_street(s):
    w = s.split()
    if not w:
        return None
    w[-1] = SUFFIX.get(w[-1].rstrip("."), w[-1])
    return " ".join(w)


streets = out.select(pl.col("street").unique()).with_columns(
    usps=pl.col("street").map_elements(lambda s: _plain_street(s) or s, return_dtype=pl.String)
)
out = out.join(streets, on="street", how="left").with_columns(
    address=pl.when(S("house").is_not_null()).then(S("house") + " " + S("usps")).otherwise(S("address")),
    address_key=S("address") + "||" + S("zip5"),
    refused=S("address").is_null() | S("zip5").is_null() | ~S("state_ok"),
)
# De-duplication within the file: the first row of each address key, and of each APN.
out = out.with_columns(
    first_by_address=S("row_no").min().over("address_key"),
    first_by_apn=S("row_no").min().over("apn"),
)
t_norm = time.perf_counter() - t0
props = out.filter(~S("refused")).select(
    "row_no",
    "address",
    "city",
    "state",
    "zip5",
    "county",
    "apn",
    "beds",
    "baths",
    "sqft",
    "lot",
    "year",
    "value",
    "assessed",
    "sale_date",
    "sale_price",
    "first_by_address",
)
people = out.filter(~S("refused")).select(
    "row_no", "first", "last", "mail", "mail_city", "mail_state", "mail_zip"
)
points = pl.concat(
    [out.select("row_no", value=S(c), pos=pl.lit(i)) for i, c in enumerate(["p1", "p2", "p3", "e1", "e2"])]
).filter(S("value").is_not_null())
points = points.unique(subset=["row_no", "value"], keep="first")
payload = [
    x.write_csv(separator="\t", include_header=False, null_value="\\N").encode()
    for x in (props, people, points)
]
wall = time.perf_counter() - t0
print(
    {
        "rows": df.height,
        "points": points.height,
        "read_s": round(t_read, 2),
        "normalise_s": round(t_norm - t_read, 2),
        "payload_s": round(wall - t_norm, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(time.process_time() - c0, 2),
        "payload_mb": round(sum(map(len, payload)) / 1e6, 1),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "threads": pl.thread_pool_size(),
    }
)
