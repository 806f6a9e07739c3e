"""The score's rules: the breakdown adds up, signals only ever add, age only ever takes away."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reos.scoring import rules
from reos.scoring.models import SIGNAL_KINDS

AS_OF = date(2025, 6, 1)

kinds = st.sampled_from(SIGNAL_KINDS)
weights_st = st.fixed_dictionaries(
    {
        k: st.builds(
            rules.KindWeight,
            st.integers(0, rules.MAX_WEIGHT),
            st.integers(1, rules.MAX_HALF_LIFE_DAYS),
        )
        for k in SIGNAL_KINDS
    }
)
equity_st = st.none() | st.decimals(min_value=-50, max_value=100, places=1, allow_nan=False)
gate_st = st.integers(0, 100)


@st.composite
def signal_sets(draw: st.DrawFn) -> list[rules.SignalFact]:
    chosen = draw(st.lists(kinds, unique=True, max_size=len(SIGNAL_KINDS)))
    return [
        rules.SignalFact(k, AS_OF - timedelta(days=draw(st.integers(-30, 20_000))), "import") for k in chosen
    ]


def score(
    signals: list[rules.SignalFact], weights: dict[str, rules.KindWeight], equity: Decimal | None, gate: int
) -> rules.Breakdown:
    return rules.breakdown(signals, weights=weights, equity_percent=equity, gate_percent=gate, as_of=AS_OF)


@settings(max_examples=300)
@given(signal_sets(), weights_st, equity_st, gate_st)
def test_the_breakdown_adds_up_to_the_score_within_0_and_100(
    signals: list[rules.SignalFact], weights: dict[str, rules.KindWeight], equity: Decimal | None, gate: int
) -> None:
    b = score(signals, weights, equity, gate)
    assert 0 <= b.score <= 100
    assert sum(f.contribution for f in b.factors) == b.score
    assert all(f.contribution >= 0 for f in b.factors)
    assert {f.kind for f in b.factors} == {s.kind for s in signals}


@settings(max_examples=300)
@given(signal_sets(), kinds, st.integers(0, 20_000), weights_st, equity_st, gate_st)
def test_adding_a_signal_never_lowers_the_score(
    signals: list[rules.SignalFact],
    extra: str,
    age: int,
    weights: dict[str, rules.KindWeight],
    equity: Decimal | None,
    gate: int,
) -> None:
    without = [s for s in signals if s.kind != extra]
    added = [*without, rules.SignalFact(extra, AS_OF - timedelta(days=age))]
    assert score(added, weights, equity, gate).score >= score(without, weights, equity, gate).score


@settings(max_examples=300)
@given(
    kinds,
    st.integers(1, rules.MAX_WEIGHT),
    st.integers(1, 3650),
    st.integers(0, 5000),
    st.integers(30, 5000),
    signal_sets(),
    equity_st,
    gate_st,
)
def test_an_older_signal_weighs_less_than_the_same_signal_fresh(
    kind: str,
    weight: int,
    half_life: int,
    age: int,
    older_by: int,
    others: list[rules.SignalFact],
    equity: Decimal | None,
    gate: int,
) -> None:
    weights = {**rules.DEFAULT_WEIGHTS, kind: rules.KindWeight(weight, half_life)}
    rest = [s for s in others if s.kind != kind]
    fresh = score([*rest, rules.SignalFact(kind, AS_OF - timedelta(days=age))], weights, equity, gate)
    old = score(
        [*rest, rules.SignalFact(kind, AS_OF - timedelta(days=age + older_by))], weights, equity, gate
    )
    fresh_factor = next(f for f in fresh.factors if f.kind == kind)
    old_factor = next(f for f in old.factors if f.kind == kind)
    assert old_factor.decay <= fresh_factor.decay
    assert old_factor.points <= fresh_factor.points
    # Points are kept to 1/10,000: while a signal is still worth something, older is strictly less.
    if fresh_factor.points >= 0.05:
        assert old_factor.decay < fresh_factor.decay
        assert old_factor.points < fresh_factor.points
    # ... and never more, in the score either.
    assert old.score <= fresh.score


def test_decay_halves_at_the_half_life_and_a_future_date_counts_as_today() -> None:
    weights = {**rules.DEFAULT_WEIGHTS, "probate": rules.KindWeight(40, 100)}
    b = score([rules.SignalFact("probate", AS_OF - timedelta(days=100))], weights, None, 20)
    assert b.factors[0].points == 20.0 and b.factors[0].age_days == 100 and b.score == 20
    ahead = score([rules.SignalFact("probate", AS_OF + timedelta(days=9))], weights, None, 20)
    assert ahead.factors[0].age_days == 0 and ahead.score == 40


def test_the_equity_gate_scales_and_unknown_equity_passes() -> None:
    weights = {**rules.DEFAULT_WEIGHTS, "vacant": rules.KindWeight(60, 365)}
    fresh = [rules.SignalFact("vacant", AS_OF)]
    assert score(fresh, weights, None, 20).score == 60
    assert score(fresh, weights, Decimal("20.0"), 20).score == 60
    half = score(fresh, weights, Decimal("10.0"), 20)
    assert half.score == 30 and half.gate.applied and half.gate.factor == 0.5
    assert score(fresh, weights, Decimal("-12.5"), 20).score == 0
    assert score(fresh, weights, Decimal("-12.5"), 0).score == 60


def test_the_cap_keeps_the_sum_exact() -> None:
    weights = {k: rules.KindWeight(100, 365) for k in SIGNAL_KINDS}
    b = score([rules.SignalFact(k, AS_OF) for k in SIGNAL_KINDS[:3]], weights, None, 20)
    assert b.score == 100 and b.capped and b.points == 300.0
    assert sorted(f.contribution for f in b.factors) == [33, 33, 34]


def test_apportion_is_largest_remainder() -> None:
    assert rules.apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert rules.apportion(7, [5, 0, 2]) == [5, 0, 2]
    assert rules.apportion(0, [5, 2]) == [0, 0]
    assert rules.apportion(3, [0, 0]) == [0, 0]


def test_close_probability_and_expected_value() -> None:
    assert rules.close_probability(score=50, stage="qualified").probability == Decimal("0.1500")
    assert rules.close_probability(score=100, stage="negotiation").probability == Decimal("0.5250")
    assert rules.close_probability(score=100, stage="under_contract").probability == Decimal("0.95")
    assert rules.close_probability(score=100, stage="closed_lost").probability == 0
    assert rules.close_probability(score=0, stage="closed_won").probability == 1
    ev = rules.expected_value(
        estimated_value=Decimal("300000"), mortgage_balance=Decimal("100000"), probability=Decimal("0.15")
    )
    assert ev.deal_value == Decimal("200000") and ev.expected_value == Decimal("30000.00")
    under = rules.expected_value(
        estimated_value=Decimal("100000"), mortgage_balance=Decimal("150000"), probability=Decimal("0.5")
    )
    assert under.deal_value == 0 and under.expected_value == 0
    unknown = rules.expected_value(estimated_value=None, mortgage_balance=None, probability=Decimal("0.5"))
    assert unknown.expected_value is None


def test_stored_weights_fall_back_to_the_defaults() -> None:
    stored = {"probate": {"weight": 5, "half_life_days": 10}, "unknown": {"weight": 1, "half_life_days": 1}}
    weights = rules.weights_from_json(stored)
    assert weights["probate"] == rules.KindWeight(5, 10)
    assert weights["vacant"] == rules.DEFAULT_WEIGHTS["vacant"]
    assert rules.weights_from_json(rules.weights_to_json(weights)) == weights
