"""The daily dunning run: which invoices are due, which step, which message.

Everything that sends a reminder (the scheduled action, "Send now", the
validation of a formal notice) goes through ``_relance_send_events`` so that
the history, the "never twice" guarantee and the chatter logs are the same.
Each channel is a small handler model (``relance.channel.<channel>``).
"""

import logging

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Event states that count as "the step is behind us".
DONE_STATES = ("sent", "failed", "cancelled")
CUSTOMER_CHANNELS = ("email", "sms", "letter", "formal_notice")
# A customer who prefers the phone gets the call of these steps first; their
# email waits this many call days for the call to be logged.
CALL_FIRST_KINDS = ("pre_due", "reminder")
CALL_FIRST_WAIT_DAYS = 2


class RelanceEngine(models.AbstractModel):
    _name = "relance.engine"
    _description = "Dunning Engine"

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------
    @api.model
    def _cron_run_daily(self, batch_size=200):
        """Do the whole day's dunning, customer batch after customer batch.

        The cron worker commits after each ``_notify_progress`` and calls
        again while work remains; a manual run ("Run manually", tests) loops
        here until the day is done.
        """
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].search([]):
            self.env["relance.partner.stat"]._relance_refresh_touched(company, today)
        self._relance_refresh_states(today)
        self._relance_warn_prescriptions(today)
        self._relance_thank_payers()
        closed = (
            self.env["res.company"]
            .search([])
            .filtered(lambda c: not c._relance_is_sending_day(today))
        )
        unmatched = self._relance_unmatched_credits()
        self._relance_send_held(today, closed=closed, skip_partners=unmatched)
        seen = self.env["account.move"]
        while True:
            moves = self._relance_lock_due_moves(
                today, batch_size, exclude=seen, closed=closed, skip_partners=unmatched
            )
            seen |= moves
            if moves:
                self._relance_process_moves(moves, today)
            remaining = self._relance_count_due_moves(
                today, exclude=seen, closed=closed, skip_partners=unmatched
            )
            self.env["ir.cron"]._notify_progress(done=len(moves), remaining=remaining)
            if not (moves and remaining) or self.env.context.get("cron_id"):
                return

    @api.model
    def _relance_due_domain(self, today):
        return [
            *self.env["account.move"]._relance_open_domain(),
            ("relance_next_date", "<=", today),
            ("relance_excluded", "=", False),
            ("relance_dispute", "=", False),
            ("commercial_partner_id.relance_excluded", "=", False),
        ]

    @api.model
    def _relance_count_due_moves(
        self, today, exclude=None, closed=None, skip_partners=None
    ):
        domain = self._relance_due_domain(today)
        if skip_partners:
            domain.append(("commercial_partner_id", "not in", list(skip_partners)))
        if closed:
            # a closed day sends nothing: the plan waits for the next business day
            domain.append(("company_id", "not in", closed.ids))
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        return self.env["account.move"].search_count(domain)

    @api.model
    def _relance_lock_due_moves(
        self, today, limit, exclude=None, closed=None, skip_partners=None
    ):
        """Lock the due invoices of the next ``limit`` customers.

        A batch holds whole customers so that one customer gets one message
        per run; invoices locked by another transaction (a payment, a manual
        send) are skipped and come back in a later batch.
        """
        domain = self._relance_due_domain(today)
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        if closed:
            domain.append(("company_id", "not in", closed.ids))
        if skip_partners:
            domain.append(("commercial_partner_id", "not in", list(skip_partners)))
        query = self.env["account.move"]._search(domain)
        rows = self.env.execute_query(
            SQL(
                """SELECT commercial_partner_id FROM account_move WHERE id IN (%s)
                   GROUP BY commercial_partner_id ORDER BY commercial_partner_id
                   LIMIT %s""",
                query.subselect(),
                limit,
            )
        )
        if not rows:
            return self.env["account.move"]
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM account_move
                   WHERE id IN (%s) AND commercial_partner_id IN %s
                   ORDER BY id FOR UPDATE SKIP LOCKED""",
                query.subselect(),
                tuple(row[0] for row in rows),
            )
        )
        return self.env["account.move"].browse(row[0] for row in rows)

    @api.model
    def _relance_thank_payers(self):
        """A thank-you email for the reminded invoices paid since the last
        run, in companies that ask for it (once per invoice)."""
        moves = self.env["account.move"].search(
            [
                ("company_id.relance_thank_you", "=", True),
                ("move_type", "=", "out_invoice"),
                ("payment_state", "in", ("paid", "in_payment")),
                ("relance_thanked", "=", False),
                ("relance_event_ids.state", "=", "sent"),
            ]
        )
        if not moves:
            return
        template = self.env.ref("relance_facture.mail_template_relance_thank_you")
        template.with_context(mail_notify_force_send=False).send_mail_batch(
            moves.ids, email_layout_xmlid="mail.mail_notification_light"
        )
        moves.write({"relance_thanked": True})

    @api.model
    def _relance_unmatched_credits(self):
        """{customer id: reason} for the customers with an incoming payment or
        a credit note not yet matched (companies that check the bank): they
        may have paid already, so they are not reminded. One grouped query."""
        companies = self.env["res.company"].search([("relance_bank_check", "=", True)])
        if not companies:
            return {}
        rows = self.env["account.move.line"]._read_group(
            [
                ("company_id", "in", companies.ids),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ],
            ["partner_id"],
            ["amount_residual:sum"],
        )
        # Odoo 18 can also keep a payment without journal entry until the bank
        # statement comes: such a payment is not matched either.
        rows += [
            (partner, -amount)
            for partner, amount in self.env["account.payment"]._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("partner_type", "=", "customer"),
                    ("payment_type", "=", "inbound"),
                    ("state", "=", "in_process"),
                    ("move_id", "=", False),
                ],
                ["partner_id"],
                ["amount_company_currency_signed:sum"],
            )
        ]
        return {
            partner.commercial_partner_id.id: self.env._(
                "Not reminded: %(amount)s received or credited and not yet matched "
                "with invoices.",
                amount=partner.env.company.currency_id.format(-amount),
            )
            for partner, amount in rows
            if partner
        }

    @api.model
    def _relance_refresh_states(self, today):
        """Invoices that became late since yesterday show it, even before
        their first reminder."""
        moves = self.env["account.move"].search(
            [
                *self.env["account.move"]._relance_open_domain(),
                ("relance_state", "in", ("not_due", "courtesy", "paused", "plan")),
                ("relance_due_date", "<", today),
            ]
        )
        self.env.add_to_compute(moves._fields["relance_state"], moves)

    @api.model
    def _relance_warn_prescriptions(self, today):
        """Three months before a claim expires, an activity for the person in
        charge of the customer (once per invoice)."""
        moves = self.env["account.move"].search(
            [
                *self.env["account.move"]._relance_open_domain(),
                ("relance_prescription_warned", "=", False),
                ("relance_prescription_date", "<=", fields.Date.add(today, months=3)),
            ]
        )
        if not moves:
            return
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id("account.move")
        admin = self.env.ref("base.user_admin")
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": move.id,
                    "activity_type_id": activity_type.id,
                    "user_id": move.commercial_partner_id._relance_responsible(
                        move.company_id, admin
                    ).id,
                    "date_deadline": today,
                    "summary": self.env._(
                        "Claim expires on %(date)s",
                        date=fields.Date.to_string(move.relance_prescription_date),
                    ),
                    "note": self.env._(
                        "The claim of %(invoice)s expires on %(date)s: act before "
                        "(formal notice, injonction de payer, acknowledgement of "
                        "debt).",
                        invoice=move.name,
                        date=fields.Date.to_string(move.relance_prescription_date),
                    ),
                }
                for move in moves
            ]
        )
        moves.write({"relance_prescription_warned": True})

    # ------------------------------------------------------------------
    # Planning and events
    # ------------------------------------------------------------------
    @api.model
    def _relance_process_moves(self, moves, today):
        """Run today's step of each locked invoice; returns the new events."""
        events = self._relance_plan_events(moves, today)
        self._relance_replan(moves)
        # A call that falls due with the message of the day runs the same day,
        # so that a re-run has nothing left to do.
        again = events.move_id.filtered(
            lambda m: m.relance_next_date and m.relance_next_date <= today
        )
        if again:
            events |= self._relance_plan_events(again, today)
            self._relance_replan(again)
        return events

    @api.model
    def _relance_run_moves(self, moves, force=False):
        """ "Send now": lock the invoices, then same path as the daily run."""
        today = fields.Date.context_today(self)
        if moves:
            self.env.execute_query(
                SQL(
                    "SELECT id FROM account_move WHERE id IN %s FOR UPDATE",
                    tuple(moves.ids),
                )
            )
        events = self._relance_plan_events(moves, today, force=force)
        self._relance_replan(moves)
        return events

    @api.model
    def _relance_plan_events(self, moves, today, force=False):
        # Re-read after the lock: an invoice paid since planning sends nothing.
        moves.invalidate_recordset()
        moves.relance_event_ids.invalidate_recordset()
        broken = moves._relance_mark_broken_promises(today)
        plans = moves._relance_plan(today, force=force)
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
        waiting = events.filtered(lambda e: not due[e.move_id].auto_send)
        if waiting:
            self._relance_request_validation(waiting)
        self._relance_send_events(events - waiting)
        return events

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
            "plan_line_id": move._relance_plan_line().id,
        }

    @api.model
    def _relance_replan(self, moves):
        """Recompute next step and status now (the day may have changed
        what the stored plan said)."""
        for fname in ("relance_next_level_id", "relance_next_date", "relance_state"):
            self.env.add_to_compute(moves._fields[fname], moves)
        moves.flush_recordset(
            ["relance_next_level_id", "relance_next_date", "relance_state"]
        )

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    @api.model
    def _relance_channel_handlers(self):
        """Channel -> handler model. Later modules (SMS, letters, formal
        notice) add theirs here."""
        handlers = {
            "formal_notice": "relance.channel.formal_notice",
            "email": "relance.channel.email",
            "sms": "relance.channel.sms",
            "letter": "relance.channel.letter",
            "phone": "relance.channel.phone",
            "escalation": "relance.channel.validation",
        }
        # Channels whose handler is not installed are skipped.
        return {
            channel: model for channel, model in handlers.items() if model in self.env
        }

    @api.model
    def _relance_check_events(self, events):
        """Before an accountant's validation: a channel may refuse steps it
        could not send properly (a formal notice without its mandatory
        mentions) by raising; nothing is sent then."""
        for model in self._relance_channel_handlers().values():
            handler = self.env[model]
            if hasattr(handler, "_relance_check_mentions"):
                handler._relance_check_mentions(events)

    @api.model
    def _relance_send_events(self, events):
        """Send draft events: one message per customer, company, currency and
        channel, listing every invoice that reached a step."""
        if not events:
            return self.env["relance.dispatch"]
        handlers = self._relance_channel_handlers()
        partners = events.partner_id
        recipients = self._relance_recipients(partners)
        silent = self._relance_silent_customers(partners)
        channels = {
            event: self._relance_event_channels(event, silent) for event in events
        }
        vals_list = []
        hold_dates = {}
        for (partner, company, currency), group in events.grouped(
            lambda e: (e.partner_id, e.company_id, e.currency_id)
        ).items():
            for channel in handlers:
                channel_events = group.filtered(lambda e, ch=channel: ch in channels[e])
                if not channel_events:
                    continue
                vals = self._prepare_dispatch_vals(
                    partner, company, currency, channel, channel_events, recipients
                )
                if channel == "email" and self._relance_call_first(
                    partner, channel_events, channels
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
        dispatches = self.env["relance.dispatch"].create(vals_list)
        held = dispatches.filtered(lambda d: d.state == "held")
        for channel, channel_dispatches in (
            (dispatches - held).grouped("channel").items()
        ):
            self.env[handlers[channel]]._relance_send(channel_dispatches)
        # No call could be planned (limit of calls reached): no need to wait.
        no_call = dispatches.filtered(
            lambda d: d.channel == "phone" and d.state == "failed"
        ).partner_id
        unheld = held.filtered(lambda d: d.partner_id in no_call)
        if unheld:
            unheld.write(
                {
                    "state": "draft",
                    "date": fields.Date.context_today(self),
                    "note": False,
                }
            )
            self.env[handlers["email"]]._relance_send(unheld)
        # A handler may send a replacement (a letter when there is no email).
        events.invalidate_recordset(["dispatch_ids"])
        dispatches |= events.dispatch_ids
        self._relance_settle_events(events, dispatches)
        self._relance_log_chatter(dispatches)
        self._relance_close_validation_activities(events)
        return dispatches

    @api.model
    def _relance_call_first(self, partner, events, channels):
        """Does the email of these events wait for the call? For a customer
        who prefers the phone, on courtesy and reminder steps that call."""
        return partner.relance_preferred_channel == "phone" and all(
            event.kind in CALL_FIRST_KINDS and "phone" in channels[event]
            for event in events
        )

    @api.model
    def _relance_hold_date(self, company):
        """Day the email of a call-first customer goes when the call planned
        now is not logged: the call day + 2 call days (a call on Thursday
        leaves Thursday and Friday to call, the email goes on Monday)."""
        call_day, _slots = company._relance_call_day()
        return company._relance_next_call_day(call_day, CALL_FIRST_WAIT_DAYS)

    @api.model
    def _relance_lock_held(self, today, closed=None, skip_partners=None):
        """Lock the waiting emails whose day has come (not on a closed day,
        not for a customer with unmatched payments); emails locked by another
        run are left to it, so none goes twice."""
        domain = [("state", "=", "held"), ("date", "<=", today)]
        if closed:
            domain.append(("company_id", "not in", closed.ids))
        if skip_partners:
            domain.append(("partner_id", "not in", list(skip_partners)))
        query = self.env["relance.dispatch"]._search(domain)
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM relance_dispatch WHERE id IN (%s)
                   ORDER BY id FOR UPDATE SKIP LOCKED""",
                query.subselect(),
            )
        )
        return self.env["relance.dispatch"].browse(row[0] for row in rows)

    @api.model
    def _relance_send_held(self, today, closed=None, skip_partners=None):
        """Send the emails that waited for a call not logged in time (a
        logged call cancels them at once, see ``_relance_cancel_held``). An
        invoice paid, paused or excluded meanwhile, or already at a later
        step, is left out of the email; nothing goes when none is left."""
        held = self._relance_lock_held(today, closed, skip_partners)
        if not held:
            return held
        held.event_ids.move_id.invalidate_recordset()
        to_send, cancelled = held.browse(), held.browse()
        for dispatch in held:
            dropped = {}
            for event in dispatch.event_ids:
                reason = self._relance_held_drop_reason(event, today)
                if reason:
                    dropped[event] = reason
            for event, reason in dropped.items():
                # nothing went to the customer after the step's day
                event.write(
                    {
                        "note": "\n".join(filter(None, [event.note, reason])),
                        "message_date": False,
                    }
                )
            left = dispatch.event_ids.filtered(lambda e, d=dropped: e not in d)
            if not left:
                dispatch.write(
                    {
                        "state": "cancelled",
                        "note": "\n".join(sorted(set(dropped.values()))),
                    }
                )
                cancelled |= dispatch
                continue
            if dropped:
                dispatch.event_ids = [fields.Command.unlink(e.id) for e in dropped]
            to_send |= dispatch
        if to_send:
            events = to_send.event_ids
            # the emails state the penalties: read the reconciliations of all
            # the invoices at once, not line by line while rendering
            events.move_id.line_ids.filtered(
                lambda ln: ln.display_type == "payment_term"
            ).fetch(["matched_credit_ids"])
            to_send.write({"state": "draft", "date": today, "note": False})
            self.env[self._relance_channel_handlers()["email"]]._relance_send(to_send)
            # and the letters that replaced emails without address
            to_send |= self.env["relance.dispatch"].search(
                [
                    ("event_ids", "in", events.ids),
                    ("date", "=", today),
                    ("channel", "=", "letter"),
                    ("id", "not in", to_send.ids),
                ]
            )
            self._relance_settle_held(events, to_send, today)
        self._relance_log_chatter(to_send | cancelled)
        return held

    @api.model
    def _relance_held_drop_reason(self, event, today):
        """Why the invoice of ``event`` is left out of its waiting email."""
        move = event.move_id
        if not move._relance_is_open():
            return self.env._("Email not sent: the invoice was paid meanwhile.")
        if not move._relance_can_remind(today):
            return self.env._(
                "Email not sent: the invoice was excluded, disputed or paused "
                "meanwhile."
            )
        if event.plan_line_id != move._relance_plan_line():
            # a payment plan agreed (or an instalment paid) since the call
            return self.env._(
                "Email not sent: a payment plan changed the dates meanwhile."
            )
        later = move.relance_event_ids.filtered(
            lambda e: e.id > event.id
            and e.state == "sent"
            and e.level_id._relance_is_customer_facing()
        )
        if later:
            return self.env._(
                "Email not sent: the invoice is at %(step)s since.",
                step=later[-1].level_id.name,
            )
        return False

    @api.model
    def _relance_settle_held(self, events, dispatches, today):
        """Steps whose waiting email went: the email (or what replaced it)
        is now their message; the step was sent with the call already."""
        by_event = {}
        for dispatch in dispatches:
            for event in dispatch.event_ids:
                by_event.setdefault(event, []).append(dispatch)
        for event in events:
            event_dispatches = by_event.get(event, [])
            main = next(
                (
                    d
                    for d in event_dispatches
                    if d.state == "sent" and d.channel in CUSTOMER_CHANNELS
                ),
                None,
            )
            notes = [event.note]
            if main and main.channel == "email":
                notes.append(
                    self.env._(
                        "Email sent on %(date)s: the call was not logged.",
                        date=fields.Date.to_string(today),
                    )
                )
            notes += [d.note for d in event_dispatches if d.state == "failed"]
            vals = {"message_date": today, "note": "\n".join(filter(None, notes))}
            if main:
                vals.update(dispatch_id=main.id, mail_id=main.mail_id.id)
            event.write(vals)

    @api.model
    def _relance_cancel_held(self, partners, reason):
        """The call was logged: the customer's waiting emails never go, and
        the history says why."""
        # A run sending these emails right now holds their rows: wait for it,
        # then the transaction is retried and finds them sent.
        query = self.env["relance.dispatch"]._search(
            [("partner_id", "in", partners.ids), ("state", "=", "held")]
        )
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM relance_dispatch WHERE id IN (%s) FOR UPDATE",
                query.subselect(),
            )
        )
        held = self.env["relance.dispatch"].browse(row[0] for row in rows)
        if not held:
            return held
        held.write({"state": "cancelled", "note": reason})
        for event in held.event_ids:
            # the gap counts from the step's day again: nothing was sent later
            event.write(
                {
                    "note": "\n".join(filter(None, [event.note, reason])),
                    "message_date": False,
                }
            )
        self._relance_log_chatter(held)
        return held

    @api.model
    def _relance_event_channels(self, event, silent):
        """Channels of an event's step for its customer: a customer who
        prefers letters gets a letter instead of the email, one who prefers
        the phone (or who did not answer the last email) gets a call too;
        the email of a phone-first customer then waits for the call (see
        ``_relance_call_first``)."""
        return self._relance_step_channels(event.level_id, event.partner_id, silent)

    @api.model
    def _relance_step_channels(self, level, partner, silent):
        """Channels of ``level`` for ``partner`` (the rule of
        ``_relance_event_channels``, also used by the preview)."""
        channels = level._relance_channels(partner)
        preferred = partner.relance_preferred_channel
        if preferred == "letter" and "email" in channels:
            channels = [c for c in channels if c != "email"]
            if "letter" not in channels:
                channels.append("letter")
        wants_call = preferred == "phone" or partner in silent
        if wants_call and "phone" not in channels and "email" in channels:
            channels.append("phone")
        return channels

    @api.model
    def _relance_silent_customers(self, partners):
        """Customers who neither paid nor answered in the N days since their
        last reminder email (company setting): the next step adds a call."""
        last_emails = dict(
            self.env["relance.dispatch"]._read_group(
                [
                    ("partner_id", "in", partners.ids),
                    ("channel", "=", "email"),
                    ("state", "=", "sent"),
                ],
                ["partner_id"],
                ["date:max"],
            )
        )
        if not last_emails:
            return partners.browse()
        answers = dict(
            self.env["mail.message"]._read_group(
                [
                    (
                        "author_id.commercial_partner_id",
                        "in",
                        list(p.id for p in last_emails),
                    ),
                    ("message_type", "in", ("email", "comment")),
                    ("model", "in", ("account.move", "res.partner")),
                    ("date", ">=", min(last_emails.values())),
                ],
                ["author_id"],
                ["date:max"],
            )
        )
        answered = {
            author.commercial_partner_id: day for author, day in answers.items()
        }
        today = fields.Date.context_today(self)
        silent = partners.browse()
        for partner, day in last_emails.items():
            days = (
                partner.company_id.relance_silence_days
                or self.env.company.relance_silence_days
            )
            answer = answered.get(partner)
            if (
                days
                and (today - day).days >= days
                and not (answer and answer.date() >= day)
            ):
                silent |= partner
        return silent

    @api.model
    def _prepare_dispatch_vals(
        self, partner, company, currency, channel, events, recipients
    ):
        highest = events.level_id.sorted(
            lambda lvl: (lvl.sequence, lvl.offset_days, lvl.id)
        )[-1]
        return {
            "partner_id": partner.id,
            "recipient_id": recipients[partner].id,
            "company_id": company.id,
            "currency_id": currency.id,
            "channel": channel,
            "level_id": highest.id,
            "date": fields.Date.context_today(self),
            "user_id": events[:1].user_id.id,
            "event_ids": [fields.Command.set(events.ids)],
        }

    @api.model
    def _relance_recipients(self, partners):
        """{commercial partner: contact receiving reminders}, in one query."""
        invoice_contacts = self.env["res.partner"].search(
            [("parent_id", "in", partners.ids), ("type", "=", "invoice")], order="id"
        )
        first_contact = {}
        for contact in invoice_contacts:
            first_contact.setdefault(contact.parent_id, contact)
        return {
            partner: partner.relance_contact_id or first_contact.get(partner) or partner
            for partner in partners
        }

    @api.model
    def _relance_settle_events(self, events, dispatches):
        """An event is sent when a message of its step reached the customer
        (or its internal action was done), failed otherwise, with the reasons."""
        by_event = {}
        for dispatch in dispatches:
            for event in dispatch.event_ids:
                by_event.setdefault(event, []).append(dispatch)
        sent, failed_notes = self.env["relance.event"], {}
        for event in events:
            event_dispatches = by_event.get(event, [])
            # An email waiting for the call is not sent yet, nor failed.
            held = [d for d in event_dispatches if d.state == "held"]
            active = [d for d in event_dispatches if d.state != "held"]
            customer = [d for d in active if d.channel in CUSTOMER_CHANNELS]
            deciding = customer or active
            main = next((d for d in deciding if d.state == "sent"), None)
            if not main and held:
                # the call made the step; its message follows
                main = next((d for d in active if d.state == "sent"), None)
            event.dispatch_id = main or (deciding[0] if deciding else False)
            event.mail_id = event.dispatch_id.mail_id
            if held:
                event.message_date = max(d.date for d in held)
            if main:
                sent |= event
                # What could not go out, what was done instead, what waits.
                notes = [
                    d.note for d in event_dispatches if d.state in ("failed", "held")
                ]
                if any(notes):
                    event.note = "\n".join(note for note in notes if note)
            else:
                notes = [d.note for d in event_dispatches if d.note]
                failed_notes[event] = "\n".join(notes) or self.env._(
                    "No channel of this step could be used."
                )
        sent.write({"state": "sent"})
        for event, note in failed_notes.items():
            event.write({"state": "failed", "note": note})

    @api.model
    def _relance_log_chatter(self, dispatches):
        """A note on every invoice and customer concerned, in one batch each."""
        move_bodies, partner_bodies = {}, {}
        for dispatch in dispatches:
            line = dispatch._relance_log_line()
            for move in dispatch.event_ids.move_id:
                move_bodies.setdefault(move.id, []).append(line)
            partner_bodies.setdefault(dispatch.partner_id.id, []).append(line)
        join = self.env["relance.dispatch"]._relance_join_lines
        if move_bodies:
            self.env["account.move"].browse(move_bodies).sudo()._message_log_batch(
                {res_id: join(lines) for res_id, lines in move_bodies.items()}
            )
        if partner_bodies:
            self.env["res.partner"].browse(partner_bodies).sudo()._message_log_batch(
                {res_id: join(lines) for res_id, lines in partner_bodies.items()}
            )

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------
    @api.model
    def _relance_request_validation(self, events):
        """Steps that wait for an accountant: an activity per customer."""
        self.env["relance.channel.validation"]._relance_request(events)

    @api.model
    def _relance_close_validation_activities(self, events):
        """Once no step of a customer waits any more, its validation
        activity is done."""
        partners = events.partner_id
        if not partners:
            return
        still_waiting = (
            self.env["relance.event"]
            .search([("partner_id", "in", partners.ids), ("state", "=", "draft")])
            .partner_id
        )
        done = partners - still_waiting
        if done:
            activity_type = self.env.ref(
                "relance_facture.mail_activity_type_relance_validate"
            )
            activities = self.env["mail.activity"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", done.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
            activities.action_feedback(
                feedback=self.env._("Dunning steps validated or cancelled.")
            )
