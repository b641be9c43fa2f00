"""The day's plan, written as records.

For the invoices due today the planner decides which step each takes (one
``relance.event`` per invoice and step) and which messages carry them: one
``relance.dispatch`` per customer, company, currency and channel, in state
``planned`` (or ``held``: the email of a phone-first customer waits for the
call). Preferences and fallbacks are decided here, with their reason: no
email address -> letter -> call, no mobile -> no SMS, call limit reached ->
no call. The engine only sends planned rows; the preview shows the same rows
and rolls them back.
"""

import logging

import psycopg2

from odoo import api, fields, models

from ..tools import ladder

_logger = logging.getLogger(__name__)

CUSTOMER_CHANNELS = ("email", "sms", "letter", "formal_notice")
# A customer who prefers the phone gets the call of these steps first; their
# email waits this many call days for the call to be logged.
CALL_FIRST_KINDS = ("pre_due", "reminder")
CALL_FIRST_WAIT_DAYS = 2


class RelancePlanner(models.AbstractModel):
    _name = "relance.planner"
    _description = "Dunning Planner"

    # ------------------------------------------------------------------
    # Steps of the invoices
    # ------------------------------------------------------------------
    @api.model
    def _relance_plan_invoices(self, moves, today, force=False):
        """Plan every invoice of ``moves`` for ``today``: {move: ladder.Plan}.

        ``force`` ("send now") takes the next step even if its day or the
        minimum gap has not come yet.
        """
        result = {}
        steps_cache, levels, thresholds = {}, {}, {}

        def level_facts(level):
            # (sent without validation, customer-facing), once per step
            if level not in levels:
                levels[level] = (level.auto_send, level._relance_is_customer_facing())
            return levels[level]

        for move in moves:
            if not move._relance_can_remind(today):
                continue
            profile = move.relance_profile_id
            company = move.company_id
            if profile not in steps_cache:
                steps_cache[profile] = [
                    lvl._relance_step() for lvl in profile.level_ids
                ]
            if (profile, company) not in thresholds:
                thresholds[profile, company] = profile._relance_small_amount_threshold(
                    company
                )
            events = move._relance_cycle_events()
            done_keys, one_step = self._relance_done_levels(move, profile, events)
            one_step = one_step or move.relance_resume_one_step
            # Steps planned in this transaction and not yet sent count as
            # messages of today: a second pass never adds another one.
            sent = [
                e
                for e in move.relance_event_ids
                if (
                    e.state == "sent"
                    or (e.state == "draft" and level_facts(e.level_id)[0])
                )
                and level_facts(e.level_id)[1]
            ]
            steps = steps_cache[profile]
            if move._relance_plan_line():
                # the customer agreed on the dates: no courtesy reminder
                steps = [step for step in steps if step.kind != ladder.PRE_DUE]
            plan = ladder.plan(
                steps,
                due_date=move.relance_due_date,
                today=today,
                done_keys=done_keys,
                one_step=one_step,
                pending=any(
                    e.state == "draft" and not level_facts(e.level_id)[0]
                    for e in events
                ),
                last_message_date=max(
                    (e.message_date or e.date for e in sent), default=None
                ),
                min_gap_days=company.relance_min_gap_days,
                residual=move.amount_residual_signed,
                small_threshold=thresholds[profile, company],
            )
            if force and not plan.due_step and plan.next_step:
                plan = ladder.Plan(plan.next_step, plan.next_step, today)
            result[move] = plan
        return result

    @api.model
    def _relance_done_levels(self, move, profile, events=None):
        """Steps of ``profile`` behind ``move``. After a change of profile,
        the steps done under the old one count for the steps of the same rank
        of the new one (nothing is sent again), and until a first step of the
        new profile is done the invoice moves one step at a time.
        ``events``: the invoice's cycle events, when the caller has them."""
        if events is None:
            events = move._relance_cycle_events()
        done = events.level_id
        if all(e.level_id.profile_id == profile for e in events):
            return done.ids, False
        foreign = events.filtered(
            lambda e: e.state != "cancelled" and e.level_id.profile_id != profile
        )
        if not foreign:
            return done.ids, False
        reached = max(
            ladder.rank(e.level_id.kind, e.level_id.reminder_number) for e in foreign
        )
        carried = profile.level_ids.filtered(
            lambda lvl: ladder.rank(lvl.kind, lvl.reminder_number) <= reached
        )
        own = events.filtered(lambda e: e.level_id.profile_id == profile)
        return (done | carried).ids, not own

    @api.model
    def _relance_gap_refusals(self, moves, today):
        """Invoices whose next step, sent now, would come closer than the
        company's minimum gap to the last message: {move: last message day}."""
        plans = self._relance_plan_invoices(moves, today, force=True)
        refusals = {}
        for move, plan in plans.items():
            step = plan.due_step
            if not step or not step.customer_facing:
                continue
            sent = move.relance_event_ids.filtered(
                lambda e: e.state == "sent" and e.level_id._relance_is_customer_facing()
            )
            last = max((e.message_date or e.date for e in sent), default=None)
            gap = move.company_id.relance_min_gap_days
            if last and gap and (today - last).days < gap:
                refusals[move] = last
        return refusals

    # ------------------------------------------------------------------
    # The day's plan
    # ------------------------------------------------------------------
    @api.model
    def _relance_plan_moves(self, moves, today, force=False):
        """Plan today's steps of ``moves`` (locked by the caller).

        Returns (events, dispatches): the new events (``draft``; those of
        steps that wait for validation stay so) and the dispatches planned
        for the others. A call that falls due with the message of the day is
        planned the same day (second pass), so a re-run has nothing left.
        """
        events = self._relance_plan_steps(moves, today, force=force)
        again = self._relance_more_due_today(events, today)
        if again and not force:
            events |= self._relance_plan_steps(again, today)
        waiting = events.filtered(lambda e: not e.level_id.auto_send)
        dispatches = self._relance_plan_dispatches(events - waiting, today)
        return events, dispatches

    @api.model
    def _relance_plan_steps(self, moves, today, force=False):
        # Re-read after the lock: an invoice paid since sends nothing.
        moves.invalidate_recordset()
        moves.relance_event_ids.invalidate_recordset()
        broken = moves._relance_mark_broken_promises(today)
        plans = self._relance_plan_invoices(moves, today, force=force)
        due = {move: plan.due_step for move, plan in plans.items() if plan.due_step}
        if not due:
            return self.env["relance.event"]
        events = self._relance_create_events(due, today)
        events.move_id.filtered("relance_resume_one_step").write(
            {"relance_resume_one_step": False}
        )
        for event in events.filtered(lambda e: e.move_id in broken):
            event.note = self.env._(
                "After the promise to pay of %(date)s, not kept.",
                date=fields.Date.to_string(event.move_id.relance_promise_broken),
            )
        return events

    @api.model
    def _relance_more_due_today(self, events, today):
        """Invoices of ``events`` whose ladder has a later step dated today
        or before (a call falling due with the message): only they are
        planned a second time."""
        move_ids = []
        for event in events:
            level, due = event.level_id, event.move_id.relance_due_date
            rank = (level.sequence, level.offset_days, level.id)
            if due and any(
                (later.sequence, later.offset_days, later.id) > rank
                and fields.Date.add(due, days=later.offset_days) <= today
                for later in level.profile_id.level_ids
            ):
                move_ids.append(event.move_id.id)
        return self.env["account.move"].browse(move_ids)

    @api.model
    def _relance_create_events(self, due, today):
        """One draft event per (invoice, step); a step another transaction
        recorded meanwhile is skipped, never sent twice."""
        admin = self.env.ref("base.user_admin")
        vals_list = [
            self._prepare_event_vals(move, step, today, admin)
            for move, step in due.items()
        ]
        Event = self.env["relance.event"]
        try:
            # no flush on release: the invoices' plan is recomputed once, at the end
            with self.env.cr.savepoint(flush=False):
                events = Event.create(vals_list)
                events.flush_model()
                return events
        except psycopg2.IntegrityError:
            _logger.info("Dunning steps recorded concurrently; creating one by one.")
        events = Event
        for vals in vals_list:
            try:
                with self.env.cr.savepoint():
                    events |= Event.create(vals)
            except psycopg2.IntegrityError:
                continue
        return events

    @api.model
    def _prepare_event_vals(self, move, step, today, fallback_user=None):
        level = self.env["relance.level"].browse(step.key)
        partner = move.commercial_partner_id
        plan_line = move._relance_plan_line()
        return {
            "move_id": move.id,
            "partner_id": partner.id,
            "level_id": level.id,
            "company_id": move.company_id.id,
            "currency_id": move.currency_id.id,
            "channel": level._relance_main_channel(),
            "date": today,
            "state": "draft",
            "user_id": partner._relance_responsible(move.company_id, fallback_user).id,
            "amount_residual": move.amount_residual,
            "due_date": move.relance_due_date,
            "days_late": max((today - move.relance_due_date).days, 0),
            "plan_line_id": plan_line.id,
            "plan_id": plan_line.plan_id.id,
            "profile_id": level.profile_id.id,
            "kind": level.kind,
            "reminder_number": level.reminder_number,
        }

    # ------------------------------------------------------------------
    # Messages of the steps
    # ------------------------------------------------------------------
    @api.model
    def _relance_plan_dispatches(self, events, today):
        """Plan the messages of ``events``: one dispatch per customer,
        company, currency and channel, after the customer's preferences and
        the fallbacks. Returns the planned (and held) dispatches; the reasons
        of a fallback or of a channel left out are in the dispatch's and the
        event's notes."""
        if not events:
            return self.env["relance.dispatch"]
        handlers = self.env["relance.engine"]._relance_channel_handlers()
        partners = events.partner_id
        recipients = self._relance_recipients(partners)
        silent = self._relance_silent_customers(partners)
        call_limited = self._relance_call_limited(events)
        messaged = self._relance_messaged_today(events, today)
        event_notes = {}
        vals_list = []
        hold_dates = {}
        for (partner, company, currency), group in events.grouped(
            lambda e: (e.partner_id, e.company_id, e.currency_id)
        ).items():
            recipient = recipients[partner]
            routes = {}  # channel -> {event: reason or None}
            for event in group:
                channels = self._relance_step_channels(
                    event.level_id, partner, silent, company
                )
                for channel, reason in self._relance_route(
                    channels,
                    recipient,
                    company,
                    event.user_id,
                    (partner, company) in call_limited,
                ):
                    if channel is None:
                        event_notes.setdefault(event, []).append(reason)
                        continue
                    if channel not in handlers:
                        continue
                    if (partner, company, currency, channel) in messaged:
                        event_notes.setdefault(event, []).append(
                            self._relance_messaged_note(channel)
                        )
                        continue
                    routes.setdefault(channel, {}).setdefault(event, reason)
            phone_planned = "phone" in routes
            for channel, by_event in routes.items():
                channel_events = self.env["relance.event"].concat(*by_event)
                vals = self._prepare_dispatch_vals(
                    partner, company, currency, channel, channel_events, recipient
                )
                reasons = sorted({r for r in by_event.values() if r})
                if reasons:
                    vals["note"] = "\n".join(reasons)
                if (
                    channel == "email"
                    and phone_planned
                    and self._relance_call_first(partner, channel_events)
                ):
                    if company not in hold_dates:
                        hold_dates[company] = self._relance_hold_date(company)
                    vals.update(
                        state="held",
                        date=hold_dates[company],
                        note=self.env._(
                            "The email waits for the call: it goes on %(date)s "
                            "unless the call is logged before.",
                            date=fields.Date.to_string(hold_dates[company]),
                        ),
                    )
                vals_list.append(vals)
        for event, notes in event_notes.items():
            event.note = "\n".join(filter(None, [event.note, *notes]))
        dispatches = self.env["relance.dispatch"].create(vals_list)
        self._relance_set_event_channels(events, dispatches)
        return dispatches

    @api.model
    def _relance_set_event_channels(self, events, dispatches):
        """An event's channel is the main one of its planned messages (a
        letter when the email fell back to it)."""
        by_event = {}
        for dispatch in dispatches:
            for event in dispatch.event_ids:
                by_event.setdefault(event, []).append(dispatch.channel)
        for event in events:
            channels = by_event.get(event)
            if not channels:
                continue
            customer = [c for c in channels if c in CUSTOMER_CHANNELS]
            order = event.level_id._relance_channels()
            main = min(
                customer or channels,
                key=lambda c: order.index(c) if c in order else len(order),
            )
            if event.channel != main:
                event.channel = main

    @api.model
    def _prepare_dispatch_vals(
        self, partner, company, currency, channel, events, recipient
    ):
        highest = events.level_id.sorted(
            lambda lvl: (lvl.sequence, lvl.offset_days, lvl.id)
        )[-1]
        return {
            "partner_id": partner.id,
            "recipient_id": recipient.id,
            "company_id": company.id,
            "currency_id": currency.id,
            "channel": channel,
            "level_id": highest.id,
            "date": fields.Date.context_today(self),
            "user_id": events[:1].user_id.id,
            "state": "planned",
            "event_ids": [fields.Command.set(events.ids)],
        }
