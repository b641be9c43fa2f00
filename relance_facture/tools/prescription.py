"""When an unpaid invoice can no longer be claimed in court (pure Python).

French law, as applied here:
- professional customer: 5 years (C. com. L110-4 between traders or with a
  trader, C. civ. 2224 otherwise), from each instalment's due date, since a
  claim with a term is not prescribed before the term (C. civ. 2233);
- consumer: 2 years (C. conso. L218-2), from the earlier of the invoice date
  and the instalment's due date (the earliest start the courts may retain);
- an acknowledgement of the debt by the customer (C. civ. 2240) starts a new
  period of the same length from its date (C. civ. 2231). A reminder or a
  formal notice does not; a court claim (2241) or an enforcement measure
  (2244) would, and is out of this module's scope.

The period is counted in days (C. civ. 2228) and is over at the end of its
last day (C. civ. 2229): the date returned is that last day. Suspensions
(C. civ. 2234 to 2239, e.g. mediation) are not taken into account.
"""

import calendar
from datetime import date

PROFESSIONAL_YEARS = 5
CONSUMER_YEARS = 2
WARNING_MONTHS = 3


def add_months(day, months):
    """``day`` moved by ``months``; without the same day in the target month
    (29 February, 31st), the last day of that month."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def period_years(consumer):
    return CONSUMER_YEARS if consumer else PROFESSIONAL_YEARS


def period_start(due_date, invoice_date=None, consumer=False, acknowledged=None):
    """The day the period of one instalment starts from: its due date, or
    for a consumer the invoice date if earlier; a later acknowledgement of
    the debt starts it again."""
    start = due_date
    if consumer and invoice_date and invoice_date < start:
        start = invoice_date
    if acknowledged and acknowledged > start:
        start = acknowledged
    return start


def instalment_expiry(due_date, invoice_date=None, consumer=False, acknowledged=None):
    """Last day to act for one instalment due on ``due_date``."""
    start = period_start(due_date, invoice_date, consumer, acknowledged)
    return add_months(start, 12 * period_years(consumer))


def claim_expiry(due_dates, invoice_date=None, consumer=False, acknowledged=None):
    """Last day to act for an invoice: the earliest among its unpaid
    instalments (their due dates), None without any."""
    expiries = [
        instalment_expiry(due, invoice_date, consumer, acknowledged)
        for due in due_dates
        if due
    ]
    return min(expiries, default=None)


def warning_horizon(today):
    """Claims expiring on or before this day are to be warned about today."""
    return add_months(today, WARNING_MONTHS)
