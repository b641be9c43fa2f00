"""Planning rules of the dunning ladder, without Odoo (relance_facture/tools/ladder.py).

The ladder used by most tests mirrors the shipped Standard profile
(data/relance_profile_data.xml), with keys 1 to 6 and J = 2 February 2026.
"""

from datetime import date, timedelta

import pytest

from relance_facture.tools.ladder import (
    ESCALATION,
    FORMAL_NOTICE,
    PRE_DUE,
    REMINDER,
    Plan,
    Step,
    applicable_steps,
    days_late,
    plan,
    step_date,
)

DUE = date(2026, 2, 2)

COURTESY = Step(1, PRE_DUE, -7)
CALL = Step(2, PRE_DUE, -3, customer_facing=False, min_amount=1000.0)
REMINDER_1 = Step(3, REMINDER, 3)
REMINDER_2 = Step(4, REMINDER, 12)
NOTICE = Step(5, FORMAL_NOTICE, 25, auto_send=False)
ESCALATE = Step(6, ESCALATION, 35, customer_facing=False, auto_send=False)
STANDARD = [COURTESY, CALL, REMINDER_1, REMINDER_2, NOTICE, ESCALATE]


def j(days):
    """J+days (J-days when negative)."""
    return DUE + timedelta(days=days)


def keys(steps):
    return [step.key for step in steps]


# ---------------------------------------------------------------- applicable_steps


@pytest.mark.parametrize(
    "residual, expected",
    [
        (5000.0, [1, 2, 3, 4, 5, 6]),
        (1000.0, [1, 2, 3, 4, 5, 6]),  # the minimum itself is enough
        (999.99, [1, 3, 4, 5, 6]),  # the courtesy call needs 1 000
    ],
)
def test_applicable_steps_min_amount(residual, expected):
    assert keys(applicable_steps(STANDARD, residual, small_threshold=150.0)) == expected


def test_applicable_steps_small_amount_keeps_one_reminder():
    steps = applicable_steps(STANDARD, 100.0, small_threshold=150.0)
    # Courtesy kept, call below its minimum, Reminder 2 dropped.
    assert keys(steps) == [1, 3, 5, 6]


def test_applicable_steps_small_amount_makes_formal_notice_manual():
    auto_notice = Step(5, FORMAL_NOTICE, 25, auto_send=True)
    auto_escalation = Step(6, ESCALATION, 35, auto_send=True)
    steps = applicable_steps(
        [REMINDER_1, REMINDER_2, auto_notice, auto_escalation],
        100.0,
        small_threshold=150.0,
    )
    assert keys(steps) == [3, 5, 6]
    by_key = {step.key: step for step in steps}
    assert by_key[5].auto_send is False
    assert by_key[5].offset_days == 25
    # Only the formal notice waits: the escalation and reminder are untouched.
    assert by_key[6].auto_send is True
    assert by_key[3] is REMINDER_1
    # The caller's ladder is not changed.
    assert auto_notice.auto_send is True


def test_applicable_steps_three_reminders_small_keeps_the_first():
    reminder_3 = Step(7, REMINDER, 30)
    steps = applicable_steps(
        [REMINDER_1, REMINDER_2, reminder_3, NOTICE], 10.0, small_threshold=150.0
    )
    assert keys(steps) == [3, 5]


@pytest.mark.parametrize(
    "residual, threshold, expected",
    [
        (150.0, 150.0, [3, 4, 5]),  # at the threshold: not small
        (149.99, 150.0, [3, 5]),
        (1.0, 0.0, [3, 4, 5]),  # no threshold: never small
    ],
)
def test_applicable_steps_small_threshold_boundary(residual, threshold, expected):
    steps = applicable_steps([REMINDER_1, REMINDER_2, NOTICE], residual, threshold)
    assert keys(steps) == expected


# ---------------------------------------------------------------------- step_date


@pytest.mark.parametrize(
    "step, expected",
    [(COURTESY, j(-7)), (CALL, j(-3)), (REMINDER_1, j(3)), (NOTICE, j(25))],
)
def test_step_date_is_offset_from_due_date(step, expected):
    assert step_date(step, DUE) == expected


@pytest.mark.parametrize(
    "last_message, gap, expected",
    [
        (None, 5, j(12)),  # nothing sent yet
        (j(3), 5, j(12)),  # last message long enough ago
        (j(7), 5, j(12)),  # exactly the gap
        (j(10), 5, j(15)),  # too recent: waits for the gap
        (j(10), 0, j(12)),  # no gap configured
    ],
)
def test_step_date_gap_for_customer_facing_step(last_message, gap, expected):
    assert step_date(REMINDER_2, DUE, last_message, gap) == expected


@pytest.mark.parametrize("step, expected", [(CALL, j(-3)), (ESCALATE, j(35))])
def test_step_date_internal_step_not_bound_by_gap(step, expected):
    assert step_date(step, DUE, last_message_date=expected, min_gap_days=5) == expected


# --------------------------------------------------------------------------- plan


def test_plan_before_any_step():
    result = plan(STANDARD, due_date=DUE, today=j(-10), residual=5000.0)
    assert result == Plan(due_step=None, next_step=COURTESY, next_date=j(-7))


@pytest.mark.parametrize(
    "offset, done, expected",
    [
        (-7, [], COURTESY),
        (-3, [1], CALL),
        (3, [1, 2], REMINDER_1),
        (12, [1, 2, 3], REMINDER_2),
        (25, [1, 2, 3, 4], NOTICE),
        (35, [1, 2, 3, 4, 5], ESCALATE),
    ],
)
def test_plan_on_the_step_day(offset, done, expected):
    result = plan(
        STANDARD, due_date=DUE, today=j(offset), done_keys=done, residual=5000.0
    )
    assert result == Plan(due_step=expected, next_step=expected, next_date=j(offset))


@pytest.mark.parametrize(
    "offset, done, expected, expected_date",
    [
        (-4, [1], CALL, j(-3)),
        (2, [1, 2], REMINDER_1, j(3)),
        (24, [1, 2, 3, 4], NOTICE, j(25)),
    ],
)
def test_plan_the_day_before_a_step(offset, done, expected, expected_date):
    result = plan(
        STANDARD, due_date=DUE, today=j(offset), done_keys=done, residual=5000.0
    )
    assert result == Plan(due_step=None, next_step=expected, next_date=expected_date)


def test_plan_catch_up_runs_only_the_highest_step_due():
    # The run was down from J+2 to J+30: Reminder 1, Reminder 2 and the
    # formal notice are all due; only the formal notice runs.
    result = plan(
        STANDARD, due_date=DUE, today=j(30), done_keys=[1, 2], residual=5000.0
    )
    assert result.due_step == NOTICE
    assert result.next_step == NOTICE
    assert result.next_date == j(25)


def test_plan_after_catch_up_earlier_steps_never_come_back():
    result = plan(
        STANDARD, due_date=DUE, today=j(31), done_keys=[1, 2, 5], residual=5000.0
    )
    assert result == Plan(due_step=None, next_step=ESCALATE, next_date=j(35))


@pytest.mark.parametrize("offset", [0, 1])
def test_plan_drops_pre_due_steps_once_due(offset):
    # Created too late for its courtesy steps: they are never sent.
    result = plan(STANDARD, due_date=DUE, today=j(offset), residual=5000.0)
    assert result == Plan(due_step=None, next_step=REMINDER_1, next_date=j(3))


def test_plan_pre_due_catch_up_prefers_the_message():
    # Down from J-8 to J-1: the courtesy email still goes out (a message never
    # gives way to a later internal step); the call is then behind the due date.
    result = plan(STANDARD, due_date=DUE, today=j(-1), residual=5000.0)
    assert result == Plan(due_step=COURTESY, next_step=COURTESY, next_date=j(-7))


def test_plan_pre_due_catch_up_without_call_below_its_minimum():
    result = plan(STANDARD, due_date=DUE, today=j(-1), residual=500.0)
    assert result == Plan(due_step=COURTESY, next_step=COURTESY, next_date=j(-7))


def test_plan_courtesy_done_call_missed_goes_to_first_reminder():
    result = plan(STANDARD, due_date=DUE, today=j(0), done_keys=[1], residual=5000.0)
    assert result == Plan(due_step=None, next_step=REMINDER_1, next_date=j(3))


@pytest.mark.parametrize("offset", [-7, 3, 40])
def test_plan_pending_validation_blocks_everything(offset):
    result = plan(
        STANDARD,
        due_date=DUE,
        today=j(offset),
        done_keys=[1, 2, 3, 4, 5],
        pending=True,
        residual=5000.0,
    )
    assert result == Plan(due_step=None, next_step=None, next_date=None)


def test_plan_done_keys_skip_their_steps():
    # The formal notice was sent by hand: no reminder goes out before it.
    result = plan(STANDARD, due_date=DUE, today=j(14), done_keys=[5], residual=5000.0)
    assert result == Plan(due_step=None, next_step=ESCALATE, next_date=j(35))


def test_plan_unknown_done_keys_are_ignored():
    result = plan(STANDARD, due_date=DUE, today=j(3), done_keys=[999], residual=5000.0)
    assert result == Plan(due_step=REMINDER_1, next_step=REMINDER_1, next_date=j(3))


def test_plan_every_step_done():
    result = plan(
        STANDARD,
        due_date=DUE,
        today=j(90),
        done_keys=[1, 2, 3, 4, 5, 6],
        residual=5000.0,
    )
    assert result == Plan()


def test_plan_no_steps():
    assert plan([], due_date=DUE, today=j(10)) == Plan()


@pytest.mark.parametrize(
    "offset, expected",
    [
        (12, Plan(due_step=None, next_step=REMINDER_2, next_date=j(15))),
        (14, Plan(due_step=None, next_step=REMINDER_2, next_date=j(15))),
        (15, Plan(due_step=REMINDER_2, next_step=REMINDER_2, next_date=j(15))),
        (16, Plan(due_step=REMINDER_2, next_step=REMINDER_2, next_date=j(15))),
    ],
)
def test_plan_gap_delays_customer_facing_step(offset, expected):
    # Reminder 1 went out late, at J+10: Reminder 2 (J+12) waits for J+15.
    result = plan(
        STANDARD,
        due_date=DUE,
        today=j(offset),
        done_keys=[1, 2, 3],
        last_message_date=j(10),
        min_gap_days=5,
        residual=5000.0,
    )
    assert result == expected


def test_plan_gap_does_not_delay_internal_step():
    # Formal notice sent at J+33: the escalation (internal) still runs at J+35.
    result = plan(
        STANDARD,
        due_date=DUE,
        today=j(35),
        done_keys=[1, 2, 3, 4, 5],
        last_message_date=j(33),
        min_gap_days=5,
        residual=5000.0,
    )
    assert result == Plan(due_step=ESCALATE, next_step=ESCALATE, next_date=j(35))


def test_plan_gap_catch_up_waits_for_the_gap():
    # Run down from J+2 to J+30, Reminder 1 sent by hand at J+28: the highest
    # step due (formal notice) waits until J+33.
    result = plan(
        STANDARD,
        due_date=DUE,
        today=j(30),
        done_keys=[1, 2, 3],
        last_message_date=j(28),
        min_gap_days=5,
        residual=5000.0,
    )
    assert result == Plan(due_step=None, next_step=NOTICE, next_date=j(33))


# Reminder, then an internal call two days later, then a second reminder.
CALL_AFTER = Step(12, REMINDER, 5, customer_facing=False)
CALL_LADDER = [REMINDER_1, CALL_AFTER, REMINDER_2]


def test_plan_internal_step_comes_before_a_step_waiting_for_the_gap():
    # Last message at J+1: Reminder 1 (J+3) waits for J+6, the call (J+5) first.
    result = plan(
        CALL_LADDER,
        due_date=DUE,
        today=j(3),
        last_message_date=j(1),
        min_gap_days=5,
        residual=5000.0,
    )
    assert result == Plan(due_step=None, next_step=CALL_AFTER, next_date=j(5))


def test_plan_step_waiting_for_the_gap_is_not_lost_to_an_internal_step():
    common = {
        "due_date": DUE,
        "last_message_date": j(1),
        "min_gap_days": 5,
        "residual": 5000.0,
    }
    on_call_day = plan(CALL_LADDER, today=j(5), **common)
    done = [on_call_day.due_step.key] if on_call_day.due_step else []
    next_day = plan(CALL_LADDER, today=j(6), done_keys=done, **common)
    sent = {on_call_day.due_step, next_day.due_step}
    assert REMINDER_1 in sent


def test_plan_small_amount_skips_second_reminder_and_waits_for_validation():
    auto_notice = Step(5, FORMAL_NOTICE, 25, auto_send=True)
    ladder = [COURTESY, CALL, REMINDER_1, REMINDER_2, auto_notice, ESCALATE]
    common = {"due_date": DUE, "residual": 100.0, "small_threshold": 150.0}
    after_first = plan(ladder, today=j(12), done_keys=[1, 3], **common)
    assert after_first.due_step is None
    assert after_first.next_step.key == 5
    assert after_first.next_date == j(25)
    on_notice_day = plan(ladder, today=j(25), done_keys=[1, 3], **common)
    assert on_notice_day.due_step.key == 5
    assert on_notice_day.due_step.auto_send is False
    assert on_notice_day.next_date == j(25)


def test_plan_big_amount_keeps_formal_notice_automatic():
    auto_notice = Step(5, FORMAL_NOTICE, 25, auto_send=True)
    result = plan(
        [REMINDER_1, REMINDER_2, auto_notice],
        due_date=DUE,
        today=j(25),
        done_keys=[3, 4],
        residual=150.0,
        small_threshold=150.0,
    )
    assert result.due_step is auto_notice


# ---------------------------------------------------------------------- days_late


@pytest.mark.parametrize(
    "today, expected",
    [(j(-5), 0), (DUE, 0), (j(1), 1), (j(40), 40), (date(2026, 3, 2), 28)],
)
def test_days_late(today, expected):
    assert days_late(DUE, today) == expected
