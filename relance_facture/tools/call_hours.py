"""Call hours: on which day a dunning call can be made (pure Python).

The slots come from the company's call-hours calendar as
``{day: [(start, end), ...]}``, local times of the calendar's timezone; an
``open_day(day)`` predicate removes the days when the company does not remind
(weekends, public holidays, closed days). No Odoo import: tested without a
database (``tests_unit/test_call_hours.py``).
"""


def first_call_day(slots, moment, open_day):
    """The first open day with a slot not yet over at ``moment``.

    :param slots: ``{date: [(start, end), ...]}``, aware datetimes
    :param moment: aware datetime, "now"
    :returns: ``(day, slots of that day not yet over)``, or ``(None, [])``
        when no day in ``slots`` has one
    """
    for day in sorted(slots):
        if not open_day(day):
            continue
        left = [(start, end) for start, end in slots[day] if end > moment]
        if left:
            return day, left
    return None, []


def call_day_after(slots, day, count, open_day):
    """The ``count``-th open day with call slots after ``day`` (``day + 1``
    when ``count`` is 1), or None when ``slots`` does not reach it."""
    days = [d for d in sorted(slots) if d > day and slots[d] and open_day(d)]
    return days[count - 1] if 0 < count <= len(days) else None
