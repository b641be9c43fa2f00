from datetime import date

import pytest

from relance_facture.tools.holidays import (
    easter_sunday,
    french_public_holidays,
    is_business_day,
    next_business_day,
)


@pytest.mark.parametrize(
    "year, easter",
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter(year, easter):
    assert easter_sunday(year) == easter


def test_holidays_2026():
    days = french_public_holidays(2026)
    assert len(days) == 11
    assert date(2026, 4, 6) in days  # Easter Monday
    assert date(2026, 5, 14) in days  # Ascension
    assert date(2026, 5, 25) in days  # Whit Monday
    assert date(2026, 7, 14) in days


def test_holidays_2027():
    days = french_public_holidays(2027)
    assert date(2027, 3, 29) in days  # Easter Monday
    assert date(2027, 5, 6) in days  # Ascension
    assert date(2027, 5, 17) in days  # Whit Monday


def test_business_days():
    assert is_business_day(date(2026, 4, 7))
    assert not is_business_day(date(2026, 4, 6))  # Easter Monday
    assert not is_business_day(date(2026, 4, 4))  # Saturday
    assert is_business_day(date(2026, 4, 6), french=False)
    assert not is_business_day(date(2026, 4, 7), extra_holidays={date(2026, 4, 7)})


def test_next_business_day():
    # Saturday 4 April 2026 -> Sunday -> Easter Monday -> Tuesday 7 April
    assert next_business_day(date(2026, 4, 4)) == date(2026, 4, 7)
    assert next_business_day(date(2026, 5, 14)) == date(2026, 5, 15)
    assert next_business_day(date(2026, 5, 13)) == date(2026, 5, 13)
