from datetime import date

from relance_facture.tools.proceedings import (
    add_months,
    born_before,
    declaration_deadline,
    penalty_last_day,
)

OPENING = date(2026, 2, 10)


def test_claim_of_the_judgment_day_is_not_born_before_it():
    assert born_before(date(2026, 2, 9), OPENING)
    assert not born_before(OPENING, OPENING)
    assert not born_before(date(2026, 3, 1), OPENING)
    assert not born_before(date(2026, 2, 9), None)


def test_declaration_deadline_two_months_after_publication():
    assert declaration_deadline(date(2026, 2, 20)) == date(2026, 4, 20)
    # no 31 April: the last day of the month (CPC art. 641)
    assert declaration_deadline(date(2025, 12, 31)) == date(2026, 2, 28)
    assert declaration_deadline(None) is None


def test_add_months_across_the_year():
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2024, 12, 29), 2) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_penalties_stop_the_day_before_the_judgment():
    assert penalty_last_day(date(2026, 3, 1), OPENING) == date(2026, 2, 9)
    assert penalty_last_day(date(2026, 2, 1), OPENING) == date(2026, 2, 1)
    assert penalty_last_day(date(2026, 3, 1), None) == date(2026, 3, 1)
