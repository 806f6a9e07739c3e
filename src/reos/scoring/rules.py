"""The propensity score, as pure functions: the one definition that `service.RESCORE_SQL` mirrors.

A score is the sum of its signals' points, gated by equity and capped at 100:

- Each signal kind has a **weight** (points when fresh) and a **half-life** in days. A signal
  observed `age` days ago is worth `weight × 0.5 ^ (age / half_life)` points: an older signal
  always weighs less than the same signal fresh (a date in the future counts as today).
- Points are kept as whole **micro-points** (1/10,000 of a point, rounded half up) so that their
  sum is exact and does not depend on the order of addition — in Python and in SQL alike.
- The **equity gate**: when the property's equity percentage is known and below the team's gate
  (default 20 %), the points are scaled by `max(equity %, 0) / gate` (an owner with 10 % equity
  under a 20 % gate keeps half; an owner under water keeps nothing: no room for a deal). Unknown
  equity, or a gate of 0, leaves the points as they are.
- **Score** = the gated points rounded half up to a whole number, at most 100.
- The **breakdown** shares the score among the signals in proportion to their points, as whole
  numbers, with the largest-remainder method: the contributions always add up to the score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from reos.scoring.models import SIGNAL_KINDS

SCALE = 10_000
MAX_SCORE = 100
MAX_WEIGHT = 100
MAX_HALF_LIFE_DAYS = 36_500
DEFAULT_GATE_PERCENT = 20

# Derived signals (see service.RESCORE_SQL), from the property's own facts.
HIGH_EQUITY_PERCENT = 50
LONG_TENURE_YEARS = 15


@dataclass(frozen=True)
class KindWeight:
    weight: int  # points when fresh, 0..100
    half_life_days: int  # 1..36,500


# Defaults: distress that forces a sale soon (pre-foreclosure, probate, tax debt, divorce) weighs
# most and fades within a year or two; standing facts about the owner and the house (absentee,
# equity, tenure) weigh less and fade over years. A lead with every signal fresh has 194 points,
# so two or three strong signals already put a lead near the top.
DEFAULT_WEIGHTS: dict[str, KindWeight] = {
    "pre_foreclosure": KindWeight(30, 180),
    "probate": KindWeight(25, 365),
    "tax_delinquent": KindWeight(20, 365),
    "divorce": KindWeight(20, 365),
    "vacant": KindWeight(15, 180),
    "code_violation": KindWeight(12, 270),
    "eviction": KindWeight(12, 270),
    "tired_landlord": KindWeight(12, 365),
    "free_and_clear": KindWeight(12, 1825),
    "absentee_owner": KindWeight(10, 1825),
    "high_equity": KindWeight(10, 730),
    "out_of_state_owner": KindWeight(8, 1825),
    "long_tenure": KindWeight(8, 3650),
}
assert set(DEFAULT_WEIGHTS) == set(SIGNAL_KINDS)

KIND_LABELS = {
    "absentee_owner": "Absentee owner",
    "out_of_state_owner": "Out-of-state owner",
    "tax_delinquent": "Tax delinquent",
    "pre_foreclosure": "Pre-foreclosure / lis pendens",
    "probate": "Probate",
    "vacant": "Vacant",
    "high_equity": "High equity",
    "free_and_clear": "Free and clear",
    "long_tenure": "Long tenure",
    "code_violation": "Code violations",
    "eviction": "Eviction",
    "divorce": "Divorce",
    "tired_landlord": "Tired landlord",
}


def weights_from_json(stored: Mapping[str, Any] | None) -> dict[str, KindWeight]:
    """A team's weights: the stored ones over the defaults (a kind added later gets its default)."""
    out = dict(DEFAULT_WEIGHTS)
    for kind, value in (stored or {}).items():
        if kind in out and isinstance(value, Mapping):
            out[kind] = KindWeight(int(value["weight"]), int(value["half_life_days"]))
    return out


def weights_to_json(weights: Mapping[str, KindWeight]) -> dict[str, dict[str, int]]:
    return {
        k: {"weight": weights[k].weight, "half_life_days": weights[k].half_life_days} for k in SIGNAL_KINDS
    }


def age_days(observed_on: date, as_of: date) -> int:
    return max((as_of - observed_on).days, 0)


# After 64 half-lives a signal is worth nothing (100 × 0.5^64 is far below 1/10,000 of a
# point); the exponent stops there because PostgreSQL's power() refuses to underflow.
MAX_HALF_LIVES = 64.0


def decay(age: int, half_life_days: int) -> float:
    return float(0.5 ** min(age / half_life_days, MAX_HALF_LIVES))


def micro_points(weight: int, age: int, half_life_days: int) -> int:
    """A signal's points in 1/10,000ths, rounded half up. The SQL computes exactly this:
    `floor(weight * power(0.5, least(age::float8 / half_life, 64)) * 10000 + 0.5)`."""
    fraction: float = 0.5 ** min(age / half_life_days, MAX_HALF_LIVES)
    return math.floor(weight * fraction * SCALE + 0.5)


def gate_fraction(equity_percent: Decimal | None, gate_percent: int) -> tuple[int, int]:
    """The equity gate as an exact fraction (numerator, denominator) in tenths of a percent."""
    if gate_percent <= 0 or equity_percent is None or equity_percent >= gate_percent:
        return 1, 1
    return max(int(equity_percent * 10), 0), gate_percent * 10


def score_from(total_micro: int, gate: tuple[int, int]) -> int:
    """Gated points rounded half up, capped at 100 — integers only, as in SQL."""
    numerator, denominator = gate
    rounded: int = (2 * total_micro * numerator + denominator * SCALE) // (2 * denominator * SCALE)
    return min(MAX_SCORE, rounded)


def apportion(total: int, parts: list[int]) -> list[int]:
    """Share `total` among `parts` in proportion, as whole numbers adding up to `total`
    (largest remainder; ties go to the larger part, then to the earlier one)."""
    whole = sum(parts)
    if total == 0 or whole == 0:
        return [0] * len(parts)
    floors = [total * p // whole for p in parts]
    remainders = [total * p % whole for p in parts]
    left = total - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (-remainders[i], -parts[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


@dataclass(frozen=True)
class SignalFact:
    kind: str
    observed_on: date
    source: str = "manual"
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Factor:
    kind: str
    label: str
    weight: int
    half_life_days: int
    age_days: int
    decay: float
    points: float  # weight × decay, before the gate and the cap
    contribution: int  # its whole-number share of the score
    evidence: SignalFact


@dataclass(frozen=True)
class Gate:
    gate_percent: int
    equity_percent: Decimal | None
    applied: bool
    factor: float  # 1.0 when not applied


@dataclass(frozen=True)
class Breakdown:
    score: int
    points: float  # all signals' points, before the gate and the cap
    gated_points: float
    capped: bool
    gate: Gate
    factors: list[Factor]


def breakdown(
    signals: Iterable[SignalFact],
    *,
    weights: Mapping[str, KindWeight],
    equity_percent: Decimal | None,
    gate_percent: int,
    as_of: date,
) -> Breakdown:
    ordered = sorted(signals, key=lambda s: SIGNAL_KINDS.index(s.kind))
    micros: list[int] = []
    for s in ordered:
        w = weights[s.kind]
        micros.append(micro_points(w.weight, age_days(s.observed_on, as_of), w.half_life_days))
    total = sum(micros)
    gate = gate_fraction(equity_percent, gate_percent)
    score = score_from(total, gate)
    shares = apportion(score, micros)
    gated = total * gate[0] / gate[1] / SCALE
    factors = [
        Factor(
            kind=s.kind,
            label=KIND_LABELS[s.kind],
            weight=weights[s.kind].weight,
            half_life_days=weights[s.kind].half_life_days,
            age_days=age_days(s.observed_on, as_of),
            decay=decay(age_days(s.observed_on, as_of), weights[s.kind].half_life_days),
            points=micro / SCALE,
            contribution=share,
            evidence=s,
        )
        for s, micro, share in zip(ordered, micros, shares, strict=True)
    ]
    factors.sort(key=lambda f: (-f.contribution, -f.points, SIGNAL_KINDS.index(f.kind)))
    return Breakdown(
        score=score,
        points=total / SCALE,
        gated_points=gated,
        capped=gated >= MAX_SCORE + 0.5,
        gate=Gate(
            gate_percent=gate_percent,
            equity_percent=equity_percent,
            applied=gate != (1, 1),
            factor=gate[0] / gate[1],
        ),
        factors=factors,
    )


# --- close probability and expected value ------------------------------------------------------

# The chance a lead at this stage closes, for a lead of middling score (50). A score moves it
# by half either way: × (0.5 + score / 100), so 0 → × 0.5 and 100 → × 1.5, never above 95 %.
# Closed and archived leads are settled: won 100 %, lost or archived 0 %.
STAGE_BASE: dict[str, Decimal] = {
    "new": Decimal("0.02"),
    "outreach": Decimal("0.05"),
    "qualified": Decimal("0.15"),
    "negotiation": Decimal("0.35"),
    "under_contract": Decimal("0.75"),
    "closed_won": Decimal("1"),
    "closed_lost": Decimal("0"),
    "archived": Decimal("0"),
}
SETTLED = frozenset({"closed_won", "closed_lost", "archived"})
MAX_OPEN_PROBABILITY = Decimal("0.95")


@dataclass(frozen=True)
class CloseProbability:
    stage: str
    stage_base: Decimal
    score: int
    score_factor: Decimal
    probability: Decimal


def close_probability(*, score: int, stage: str) -> CloseProbability:
    base = STAGE_BASE[stage]
    if stage in SETTLED:
        return CloseProbability(stage, base, score, Decimal(1), base)
    factor = Decimal(50 + score) / 100
    probability = min(MAX_OPEN_PROBABILITY, base * factor).quantize(Decimal("0.0001"))
    return CloseProbability(stage, base, score, factor, probability)


@dataclass(frozen=True)
class ExpectedValue:
    estimated_value: Decimal | None
    mortgage_balance: Decimal | None
    deal_value: Decimal | None  # the owner's equity, never below 0; unknown without a value
    close_probability: Decimal
    expected_value: Decimal | None


def expected_value(
    *, estimated_value: Decimal | None, mortgage_balance: Decimal | None, probability: Decimal
) -> ExpectedValue:
    """Expected value = close probability × deal value, where the deal value is the owner's
    equity (estimated value − mortgage balance, at least 0): the room a purchase is made in."""
    if estimated_value is None:
        return ExpectedValue(None, mortgage_balance, None, probability, None)
    deal = max(Decimal(0), estimated_value - (mortgage_balance or Decimal(0)))
    return ExpectedValue(
        estimated_value, mortgage_balance, deal, probability, (deal * probability).quantize(Decimal("0.01"))
    )
