from datetime import date, datetime, timedelta, timezone

from relance_facture.tools.call_hours import call_day_after, first_call_day

TZ = timezone(timedelta(hours=1))


def _slots(*days):
    """Mornings 10-13 and afternoons 14-20 on the given days."""
    return {
        day: [
            (
                datetime(day.year, day.month, day.day, 10, tzinfo=TZ),
                datetime(day.year, day.month, day.day, 13, tzinfo=TZ),
            ),
            (
                datetime(day.year, day.month, day.day, 14, tzinfo=TZ),
                datetime(day.year, day.month, day.day, 20, tzinfo=TZ),
            ),
        ]
        for day in days
    }


WEEK = _slots(*(date(2026, 1, d) for d in (21, 22, 23, 26, 27, 28)))


def always(_day):
    return True


def test_morning_keeps_both_slots():
    day, left = first_call_day(WEEK, datetime(2026, 1, 21, 7, tzinfo=TZ), always)
    assert day == date(2026, 1, 21)
    assert [(s.hour, e.hour) for s, e in left] == [(10, 13), (14, 20)]


def test_lunch_break_keeps_the_afternoon():
    day, left = first_call_day(WEEK, datetime(2026, 1, 21, 13, 30, tzinfo=TZ), always)
    assert day == date(2026, 1, 21)
    assert [(s.hour, e.hour) for s, e in left] == [(14, 20)]


def test_friday_evening_goes_to_monday():
    day, left = first_call_day(WEEK, datetime(2026, 1, 23, 20, 30, tzinfo=TZ), always)
    assert day == date(2026, 1, 26)
    assert len(left) == 2


def test_closed_day_skipped():
    def closed_thursday(day):
        return day != date(2026, 1, 22)

    moment = datetime(2026, 1, 21, 21, tzinfo=TZ)
    day, _left = first_call_day(WEEK, moment, closed_thursday)
    assert day == date(2026, 1, 23)


def test_no_slot_at_all():
    assert first_call_day({}, datetime(2026, 1, 21, tzinfo=TZ), always) == (None, [])


def test_two_call_days_after_thursday_is_monday():
    assert call_day_after(WEEK, date(2026, 1, 22), 2, always) == date(2026, 1, 26)
    assert call_day_after(WEEK, date(2026, 1, 22), 1, always) == date(2026, 1, 23)


def test_call_day_after_beyond_the_slots():
    assert call_day_after(WEEK, date(2026, 1, 27), 2, always) is None
