"""Figures as the pages print them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reos.web.render import contact_value, money


@pytest.mark.parametrize(
    ("value", "compact", "shown"),
    [
        (None, True, "—"),
        (Decimal("245000"), False, "$245,000"),
        (Decimal("9999"), True, "$9,999"),
        (Decimal("245000"), True, "$245k"),
        (Decimal("883700000"), True, "$883.7M"),
        # A million leads' pipeline: billions, not "$57,783.2M".
        (Decimal("57783200000"), True, "$57.8B"),
        # Under water: the sign before the dollar.
        (-2_500_000_000, True, "-$2.5B"),
        (Decimal("-20000.4"), False, "-$20,000"),
        (Decimal("-0.4"), False, "$0"),
    ],
)
def test_money(value: Decimal | int | None, compact: bool, shown: str) -> None:
    assert money(value, compact) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+18135550142", "(813) 555-0142"),
        # Abroad, or not a whole North American number: as stored.
        ("+442071838750", "+442071838750"),
        ("+1813555014", "+1813555014"),
        ("+181355501420", "+181355501420"),
        ("dana.whitlock@example.com", "dana.whitlock@example.com"),
        (None, ""),
    ],
)
def test_contact_value(value: str | None, shown: str) -> None:
    assert contact_value(value) == shown
