"""French late-payment penalties, day by day (C. com. L441-10, D441-5).

Pure functions, no Odoo import: the worked examples of the specification
are tested without a database (``tests_unit/test_penalty.py``).
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

RECOVERY_INDEMNITY = Decimal("40.00")
CENT = Decimal("0.01")


def semester_start(day):
    """1 January or 1 July: the day whose ECB rate applies to ``day``."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def round_half_up(amount):
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def interest_segments(*, first_day, last_day, balance, payments=(), rate_for):
    """Split ``first_day``..``last_day`` (both counted) into runs of days with
    the same balance and rate.

    :param balance: amount owed on ``first_day``
    :param payments: ``(date, amount)``; a payment reduces the balance from
        the day after its date (the payment day itself is still late)
    :param rate_for: ``day -> annual rate in percent``
    :return: list of ``(start, end, days, balance, rate)``
    """
    if last_day < first_day:
        return []
    changes = {}
    for pay_date, amount in payments:
        effective = max(pay_date + timedelta(days=1), first_day)
        changes[effective] = changes.get(effective, Decimal(0)) + Decimal(str(amount))
    balance = Decimal(str(balance)) - sum(
        (amount for day, amount in changes.items() if day <= first_day), Decimal(0)
    )
    # Boundaries where something changes: a payment or a new semester.
    cuts = {day for day in changes if first_day < day <= last_day}
    semester = semester_start(first_day)
    while True:
        semester = date(
            semester.year + (semester.month == 7), 1 if semester.month == 7 else 7, 1
        )
        if semester > last_day:
            break
        cuts.add(semester)
    segments = []
    start = first_day
    for cut in sorted(cuts) + [last_day + timedelta(days=1)]:
        if cut > start and balance > 0:
            days = (cut - start).days
            segments.append(
                (start, cut - timedelta(days=1), days, balance, rate_for(start))
            )
        if cut in changes:
            balance -= changes[cut]
        start = cut
    return segments


def late_interest(*, first_day, last_day, balance, payments=(), rate_for, basis=365):
    """Σ balance(d) × rate(d) / basis over the late days, rounded half-up to
    the cent once (per invoice)."""
    return round_half_up(
        late_interest_unrounded(
            first_day=first_day,
            last_day=last_day,
            balance=balance,
            payments=payments,
            rate_for=rate_for,
            basis=basis,
        )
    )


def late_interest_unrounded(
    *, first_day, last_day, balance, payments=(), rate_for, basis=365
):
    """The same sum before rounding, to add up the instalments of one invoice."""
    return segments_interest(
        interest_segments(
            first_day=first_day,
            last_day=last_day,
            balance=balance,
            payments=payments,
            rate_for=rate_for,
        ),
        basis=basis,
    )


def segments_interest(segments, basis=365):
    """Σ balance × rate / basis × days over ``interest_segments()`` runs,
    unrounded."""
    return sum(
        (
            seg_balance * Decimal(str(rate)) / Decimal(100) * days / Decimal(basis)
            for _start, _end, days, seg_balance, rate in segments
        ),
        Decimal(0),
    )


def legal_floor_ok(contractual_rate, legal_rate):
    """A contractual rate may not be below three times the legal rate."""
    return Decimal(str(contractual_rate)) >= 3 * Decimal(str(legal_rate))
