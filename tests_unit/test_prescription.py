"""Prescription dates (C. com. L110-4, C. conso. L218-2, C. civ. 2231, 2240)."""

from datetime import date

import pytest

from relance_facture.tools.prescription import (
    add_months,
    claim_expiry,
    instalment_expiry,
    period_start,
    warning_horizon,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 2, 29), 60, date(2029, 2, 28)),  # no 29 February in 2029
        (date(2024, 2, 29), 48, date(2028, 2, 29)),  # leap year again
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 15), 0, date(2026, 3, 15)),
        (date(2026, 10, 15), 3, date(2027, 1, 15)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_professional_five_years_from_due_date():
    expiry = instalment_expiry(date(2021, 3, 1), invoice_date=date(2021, 1, 30))
    assert expiry == date(2026, 3, 1)


def test_professional_ignores_invoice_date():
    assert period_start(date(2021, 3, 1), date(2021, 1, 30)) == date(2021, 3, 1)


def test_professional_due_29_february():
    assert instalment_expiry(date(2024, 2, 29)) == date(2029, 2, 28)


def test_consumer_two_years_from_invoice_date_when_earlier():
    expiry = instalment_expiry(
        date(2024, 3, 1), invoice_date=date(2024, 1, 31), consumer=True
    )
    assert expiry == date(2026, 1, 31)


def test_consumer_due_date_when_earlier_than_invoice_date():
    expiry = instalment_expiry(
        date(2024, 1, 15), invoice_date=date(2024, 1, 20), consumer=True
    )
    assert expiry == date(2026, 1, 15)


def test_consumer_same_day():
    expiry = instalment_expiry(
        date(2024, 2, 29), invoice_date=date(2024, 2, 29), consumer=True
    )
    assert expiry == date(2026, 2, 28)


def test_consumer_without_invoice_date_uses_due_date():
    assert instalment_expiry(date(2024, 3, 1), consumer=True) == date(2026, 3, 1)


def test_instalments_earliest_unpaid_expires_first():
    dues = [date(2021, 4, 1), date(2021, 3, 1), date(2021, 5, 1)]
    assert claim_expiry(dues, date(2021, 2, 1)) == date(2026, 3, 1)


def test_instalments_once_first_paid_second_drives():
    # the caller passes the unpaid instalments only
    dues = [date(2021, 4, 1), date(2021, 5, 1)]
    assert claim_expiry(dues, date(2021, 2, 1)) == date(2026, 4, 1)


def test_instalments_consumer_all_from_invoice_date():
    dues = [date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)]
    expiry = claim_expiry(dues, date(2024, 2, 1), consumer=True)
    assert expiry == date(2026, 2, 1)


def test_no_unpaid_instalment_no_date():
    assert claim_expiry([], date(2024, 2, 1)) is None
    assert claim_expiry([None], date(2024, 2, 1)) is None


def test_acknowledgement_restarts_full_period():
    expiry = instalment_expiry(date(2021, 3, 1), acknowledged=date(2025, 12, 10))
    assert expiry == date(2030, 12, 10)


def test_acknowledgement_restarts_consumer_period_for_two_years():
    expiry = instalment_expiry(
        date(2024, 3, 1),
        invoice_date=date(2024, 1, 31),
        consumer=True,
        acknowledged=date(2025, 6, 30),
    )
    assert expiry == date(2027, 6, 30)


def test_acknowledgement_on_29_february():
    expiry = instalment_expiry(date(2023, 1, 10), acknowledged=date(2024, 2, 29))
    assert expiry == date(2029, 2, 28)


def test_acknowledgement_before_due_date_changes_nothing():
    # the period of an instalment not yet due has not started
    expiry = instalment_expiry(date(2026, 6, 1), acknowledged=date(2026, 3, 1))
    assert expiry == date(2031, 6, 1)


def test_acknowledgement_same_day_as_start():
    expiry = instalment_expiry(date(2026, 6, 1), acknowledged=date(2026, 6, 1))
    assert expiry == date(2031, 6, 1)


def test_acknowledgement_over_instalments():
    # restarts the instalments already due, not those due later
    dues = [date(2021, 3, 1), date(2026, 3, 1)]
    expiry = claim_expiry(dues, date(2021, 2, 1), acknowledged=date(2025, 12, 10))
    assert expiry == date(2030, 12, 10)
    dues = [date(2021, 3, 1), date(2026, 3, 1)]
    expiry = claim_expiry(dues, date(2021, 2, 1), acknowledged=date(2021, 6, 1))
    assert expiry == date(2026, 6, 1)


@pytest.mark.parametrize(
    ("today", "expiry", "warned"),
    [
        (date(2025, 11, 30), date(2026, 3, 1), False),  # 3 months + 1 day
        (date(2025, 12, 1), date(2026, 3, 1), True),  # exactly 3 months
        (date(2025, 12, 2), date(2026, 3, 1), True),
        (date(2025, 11, 30), date(2026, 2, 28), True),  # 30/11 + 3 months
        (date(2025, 11, 28), date(2026, 2, 28), True),
        (date(2025, 11, 27), date(2026, 2, 28), False),
        (date(2026, 4, 1), date(2026, 3, 1), True),  # expired, still open
    ],
)
def test_warning_three_months_before(today, expiry, warned):
    assert (expiry <= warning_horizon(today)) is warned
