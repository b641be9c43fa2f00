"""Pure planning of a dunning ladder: which step is due on a given day.

No Odoo import here: the rules are tested without a database
(``tests_unit/test_ladder.py``) and used by the engine through ``Step``
values built from ``relance.level`` records.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta

PRE_DUE = "pre_due"
REMINDER = "reminder"
FORMAL_NOTICE = "formal_notice"
ESCALATION = "escalation"


@dataclass(frozen=True)
class Step:
    """One step of a ladder, in ladder order."""

    key: int
    kind: str
    offset_days: int
    customer_facing: bool = True
    auto_send: bool = True
    min_amount: float = 0.0


@dataclass(frozen=True)
class Plan:
    """What the ladder says for one invoice on one day.

    ``due_step`` is the step to run today (the highest one due: a run that
    was down for days catches up with that step only). ``next_step`` and
    ``next_date`` say what comes next: the due step itself when there is one,
    otherwise the first step ahead and the day it becomes due.
    """

    due_step: Step | None = None
    next_step: Step | None = None
    next_date: date | None = None


def applicable_steps(steps, residual, small_threshold=0.0):
    """Keep the steps that apply to an invoice whose balance is ``residual``.

    A step with a minimum amount is dropped below it. A small amount gets
    only the first reminder after the due date, and its formal notice waits
    for validation.
    """
    small = bool(small_threshold) and residual < small_threshold
    result = []
    reminders = 0
    for step in steps:
        if step.min_amount and residual < step.min_amount:
            continue
        if small and step.kind == REMINDER:
            reminders += 1
            if reminders > 1:
                continue
        if small and step.kind == FORMAL_NOTICE and step.auto_send:
            step = replace(step, auto_send=False)
        result.append(step)
    return result


def step_date(step, due_date, last_message_date=None, min_gap_days=0):
    """The day ``step`` becomes due: its offset from J, pushed back so that
    two messages to the customer are at least ``min_gap_days`` apart."""
    planned = due_date + timedelta(days=step.offset_days)
    if step.customer_facing and last_message_date and min_gap_days:
        planned = max(planned, last_message_date + timedelta(days=min_gap_days))
    return planned


def plan(
    steps,
    *,
    due_date,
    today,
    done_keys=(),
    pending=False,
    last_message_date=None,
    min_gap_days=0,
    residual=0.0,
    small_threshold=0.0,
    one_step=False,
):
    """Plan one invoice.

    :param steps: the profile's ``Step`` values, in ladder order
    :param due_date: J (earliest unpaid instalment's due date)
    :param done_keys: keys of the steps already recorded for the invoice
        (sent, failed, cancelled or waiting): none of them runs again
    :param pending: a step waits for validation; nothing goes further
    :param last_message_date: day of the last message sent to the customer
    :param one_step: no catch-up: only the first step ahead can be due (after
        a change of profile, an invoice never jumps more than one step)
    """
    if pending:
        return Plan()
    ladder = applicable_steps(steps, residual, small_threshold)
    done = set(done_keys)
    done_indexes = [i for i, s in enumerate(ladder) if s.key in done]
    last_any = max(done_indexes, default=-1)
    last_message = max(
        (i for i in done_indexes if ladder[i].customer_facing), default=-1
    )

    def offset_date(step):
        return due_date + timedelta(days=step.offset_days)

    def when(step):
        return step_date(step, due_date, last_message_date, min_gap_days)

    # A message step is behind us once a later message went out; an internal
    # step (a call) once any later step ran, so that a message held back by
    # the gap is not lost to a call that falls due meanwhile.
    ahead = [
        s
        for i, s in enumerate(ladder)
        if s.key not in done
        and i > (last_message if s.customer_facing else last_any)
        # Courtesy steps only make sense while the invoice is not yet due.
        and not (s.kind == PRE_DUE and today >= due_date)
    ]
    reached = [s for s in ahead if offset_date(s) <= today]
    if one_step:
        reached = reached[:1]
    if reached:
        # Catch-up: the highest message reached goes out (the lower ones are
        # behind it from then on); a message never gives way to a later
        # internal step (no escalation proposal before the formal notice).
        message = next((s for s in reversed(reached) if s.customer_facing), None)
        if message and when(message) <= today:
            return Plan(message, message, when(message))
        # No message, or it waits for the gap: a call reached meanwhile runs,
        # but an escalation never comes before the message it follows.
        internal = [
            s
            for s in reached
            if not s.customer_facing and not (message and s.kind == ESCALATION)
        ]
        if internal:
            return Plan(internal[-1], internal[-1], when(internal[-1]))
    waiting = [s for s in reached if s.customer_facing][-1:]
    candidates = waiting + [s for s in ahead if s not in reached]
    if not candidates:
        return Plan()
    upcoming = min(candidates, key=lambda s: (when(s), ladder.index(s)))
    return Plan(None, upcoming, when(upcoming))


KIND_ORDER = {PRE_DUE: 0, REMINDER: 1, FORMAL_NOTICE: 2, ESCALATION: 3}


def rank(kind, reminder_number=0):
    """Where a step stands in any ladder: courtesy < reminder 1 < reminder 2
    < ... < formal notice < escalation. Used to carry an invoice's progress
    over to another profile."""
    return (KIND_ORDER[kind], reminder_number if kind == REMINDER else 0)


def days_late(due_date, today):
    """Days past J, 0 when not yet due."""
    return max((today - due_date).days, 0)
