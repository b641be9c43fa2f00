"""SPEC §8 worked examples on the pure penalty functions."""

from datetime import date
from decimal import Decimal

import pytest

from relance_facture.tools.penalty import (
    interest_segments,
    late_interest,
    legal_floor_ok,
    round_half_up,
    semester_start,
)

B2B = {
    date(2024, 7, 1): 14.25,
    date(2025, 1, 1): 13.15,
    date(2025, 7, 1): 12.15,
    date(2026, 1, 1): 12.15,
}


def b2b_rate(day):
    return B2B[semester_start(day)]


def test_example_1_paid_32_days_late():
    amount = late_interest(
        first_day=date(2026, 1, 16),
        last_day=date(2026, 2, 16),
        balance=12000,
        rate_for=b2b_rate,
    )
    assert amount == Decimal("127.82")


def test_example_2_partial_payment_across_1_july():
    kwargs = {
        "first_day": date(2025, 6, 16),
        "last_day": date(2025, 7, 31),
        "balance": 10000,
        "payments": [(date(2025, 7, 10), 4000), (date(2025, 7, 31), 6000)],
        "rate_for": b2b_rate,
    }
    assert late_interest(**kwargs) == Decimal("129.27")
    segments = [
        (s, days, float(b), r) for s, _e, days, b, r in interest_segments(**kwargs)
    ]
    assert segments == [
        (date(2025, 6, 16), 15, 10000.0, 13.15),
        (date(2025, 7, 1), 10, 10000.0, 12.15),
        (date(2025, 7, 11), 21, 6000.0, 12.15),
    ]


def test_example_3_consumer_legal_interest():
    amount = late_interest(
        first_day=date(2026, 2, 3),
        last_day=date(2026, 3, 2),
        balance=1200,
        rate_for=lambda day: 2.62,
    )
    assert amount == Decimal("2.41")


def test_crossing_1_january():
    amount = late_interest(
        first_day=date(2024, 12, 16),
        last_day=date(2025, 1, 10),
        balance=10000,
        rate_for=b2b_rate,
    )
    assert amount == Decimal("98.49")


def test_paid_before_first_late_day():
    amount = late_interest(
        first_day=date(2026, 1, 16),
        last_day=date(2026, 3, 1),
        balance=12000,
        payments=[(date(2026, 1, 10), 12000)],
        rate_for=b2b_rate,
    )
    assert amount == Decimal("0.00")


def test_nothing_before_first_day():
    assert (
        interest_segments(
            first_day=date(2026, 1, 16),
            last_day=date(2026, 1, 15),
            balance=100,
            rate_for=b2b_rate,
        )
        == []
    )


@pytest.mark.parametrize(
    "value, expected", [("2.345", "2.35"), ("2.344", "2.34"), ("0.005", "0.01")]
)
def test_round_half_up(value, expected):
    assert round_half_up(Decimal(value)) == Decimal(expected)


def test_legal_floor():
    assert legal_floor_ok(7.86, 2.62)
    assert not legal_floor_ok(7.85, 2.62)


@pytest.mark.parametrize(
    "day, start",
    [(date(2026, 6, 30), date(2026, 1, 1)), (date(2026, 7, 1), date(2026, 7, 1))],
)
def test_semester_start(day, start):
    assert semester_start(day) == start
