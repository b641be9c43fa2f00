"""Collective proceedings of a customer (sauvegarde, redressement or
liquidation judiciaire) and its unpaid invoices (pure Python).

French law, as applied here (Code de commerce unless stated):
- a claim born before the opening judgment may not be paid (L622-7), nor
  claimed by an individual action (L622-21): it is declared to the
  creditors' representative (L622-24), within two months of the publication
  of the judgment in the BODACC (R622-24);
- a claim born on or after the judgment is paid at its due date and is
  reminded as usual (L622-17);
- the judgment stops the interest and late-payment penalties (L622-28);
- the 40 EUR recovery indemnity cannot be claimed when the proceedings
  forbid the payment of the claim at its due date (L441-10 II): with the
  penalties stopped the day before the judgment, an invoice falling due on
  or after it is never late, so it never carries the indemnity.

The judgment takes effect from the first hour of its date: a claim of that
day is not born before it, and penalties run up to the day before.
"""

import calendar
from datetime import timedelta

DECLARATION_MONTHS = 2


def add_months(day, months):
    """``day`` moved by ``months`` as a time limit in months ends (Code de
    procédure civile art. 641): the same day number, else the month's last."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def born_before(born_on, opening_date):
    """Whether a claim born on ``born_on`` precedes the opening judgment."""
    return bool(opening_date and born_on and born_on < opening_date)


def declaration_deadline(publication_date):
    """Last day to declare the claims: two months from the BODACC
    publication (R622-24). Not moved to the next working day (CPC art. 642):
    declaring by this date is always in time."""
    if not publication_date:
        return None
    return add_months(publication_date, DECLARATION_MONTHS)


def penalty_last_day(last_day, opening_date):
    """Last day of penalties of a claim born before the judgment: the
    judgment stops them (L622-28), so at most the day before its date."""
    if not opening_date:
        return last_day
    return min(last_day, opening_date - timedelta(days=1))
