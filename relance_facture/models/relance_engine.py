"""The daily dunning run: the day's plan, then its sending, customer by customer.

``relance.planner`` writes the day's plan as records (events and planned
dispatches); this engine locks the work, has it planned, and sends planned
dispatches through the channel handlers (``relance.channel.<channel>``, one
contract: ``relance.channel``). Everything that sends a reminder (the
scheduled action, "Send now", the validation of a formal notice, a retry)
goes through ``_relance_send_dispatches`` and ``_relance_settle_events`` so
that the history, the "never twice" guarantee and the chatter logs are the
same. One customer's failure is
recorded on its dispatches and events and never stops the others.
"""

import logging

from odoo import api, fields, models

from .relance_planner import CUSTOMER_CHANNELS

_logger = logging.getLogger(__name__)

# Batches of customers tried when another transaction holds a batch.
LOCK_ROUNDS = 5

# Event states that count as "the step is behind us".
DONE_STATES = ("sent", "failed", "cancelled")
# Longest error text kept in the history.
ERROR_NOTE_SIZE = 500
# Stored fields of invoices computed from their events.
EVENT_FOLLOWERS = (
    "relance_level_id",
    "relance_last_date",
    "relance_next_level_id",
    "relance_next_date",
    "relance_state",
)
# Day whose serial work a cron worker's first call did.
DAY_STARTED_PARAM = "relance_facture.day_started"


class RelanceEngine(models.AbstractModel):
    _name = "relance.engine"
    _description = "Dunning Engine"

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------
    @api.model
    def _cron_run_daily(self, batch_size=200):
        """Do the whole day's dunning: the day's serial work, then the
        customers with due invoices, batch after batch.

        The cron worker (``cron_id`` in the context) commits after each
        ``_notify_progress`` and calls again while work remains; a manual run
        ("Run manually", tests) loops here until the day is done.
        """
        # the scheduler runs as OdooBot; whoever triggers it, the engine
        # writes the history, which users only read
        self = self.sudo()  # pylint: disable=self-cls-assignment
        today = fields.Date.context_today(self)
        filters = self._relance_day_start(
            today, housekeeping=not self._relance_day_started(today)
        )
        self._relance_run_day(today, batch_size=batch_size, filters=filters)

    @api.model
    def _relance_day_started(self, today):
        """Is this a cron worker's later call of a day whose housekeeping is
        done? The worker calls once per batch; the housekeeping runs at its
        first call only (committed with the first batch), so that its cost
        does not come back with every batch (the statistics of the customers
        reminded in earlier batches, whose invoices the run wrote, were
        refreshed again at each call). A manual run always does it."""
        if not self.env.context.get("cron_id"):
            return False
        params = self.env["ir.config_parameter"].sudo()
        day = fields.Date.to_string(today)
        if params.get_param(DAY_STARTED_PARAM) == day:
            return True
        params.set_param(DAY_STARTED_PARAM, day)
        return False

    @api.model
    def _relance_day_start(self, today, housekeeping=True):
        """The day's serial work before the customers' batches: the
        housekeeping (statistics, statuses, prescription warnings, thank-you
        emails, drafts of closed invoices), then the messages held or failed
        earlier; returns the day's filters, ``(closed, unmatched)`` of
        ``_relance_day_filters``."""
        if housekeeping:
            for company in self.env["res.company"].search([]):
                self.env["relance.partner.stat"]._relance_refresh_touched(
                    company, today
                )
            self._relance_refresh_states(today)
            self._relance_warn_prescriptions(today)
            self._relance_thank_payers()
            self._relance_cancel_closed_drafts()
        closed, unmatched = self._relance_day_filters(today)
        self._relance_send_held(today, closed=closed, skip_partners=unmatched)
        self._relance_retry_failed(today, closed=closed, skip_partners=unmatched)
        return closed, unmatched

    @api.model
    def _relance_run_day(self, today, batch_size=200, filters=None):
        """The day's customers, ``batch_size`` at a time, in this
        transaction: the step a job queue replaces (``relance_facture_queue``).

        Batches follow the customers' ids: each takes the customers after the
        last one of the previous batch. Customers another transaction holds
        are passed over and tried once more at the end; what still remains
        is reported to the cron worker, whose next call (or tomorrow's run)
        takes it. With ``cron_id`` in the context (the worker commits after
        each call) a call returns after the first batch that did some work.
        """
        if filters is None:
            filters = self._relance_day_filters(today)
        closed, unmatched = filters
        one_batch = bool(self.env.context.get("cron_id"))
        after, passed, idle = 0, [], 0
        while True:
            partner_ids = self._relance_day_customers(
                today, filters, after=after, limit=batch_size
            )
            last = not partner_ids
            if last:
                partner_ids, passed = passed, []
            else:
                after = partner_ids[-1]
            moves = self._relance_run_customers(partner_ids, today, filters=filters)
            done = set(moves.commercial_partner_id.ids)
            passed += [
                partner_id for partner_id in partner_ids if partner_id not in done
            ]
            remaining = self._relance_count_due_moves(
                today,
                closed=closed,
                skip_partners=unmatched,
                after=after,
                passed=passed,
            )
            self.env["ir.cron"]._notify_progress(done=len(moves), remaining=remaining)
            idle = 0 if moves else idle + 1
            if last or not remaining:
                return
            if one_batch and (moves or idle >= LOCK_ROUNDS):
                return

    @api.model
    def _relance_run_customers(self, partner_ids, today, filters=None):
        """Plan and send today's steps of the customers ``partner_ids``
        (commercial partners' ids): their due invoices are locked, rows held
        by another transaction skipped (``_relance_lock_due_moves``), then
        processed. Returns the invoices processed.

        The day's loop and the jobs of ``relance_facture_queue`` call it;
        ``filters`` (``_relance_day_filters``) are computed when not given.
        """
        self = self.sudo()  # pylint: disable=self-cls-assignment
        if not partner_ids:
            return self.env["account.move"]
        if filters is None:
            filters = self._relance_day_filters(today)
        closed, unmatched = filters
        moves = self._relance_lock_due_moves(
            today,
            len(partner_ids),
            closed=closed,
            skip_partners=unmatched,
            partner_ids=partner_ids,
        )
        if moves:
            self._relance_process_moves(moves, today)
        return moves

    # ------------------------------------------------------------------
    # Plan and send
    # ------------------------------------------------------------------
    @api.model
    def _relance_process_moves(self, moves, today):
        """Plan today's steps of the locked invoices, then send the plan;
        returns the new events."""
        # The invoices' dunning fields follow their events: they are computed
        # once, after the sending, rather than after the plan (events in
        # draft) and again after the sending.
        followers = [moves._fields[fname] for fname in EVENT_FOLLOWERS]
        with self.env.protecting(followers, moves):
            events, dispatches = self._relance_plan_isolated(moves, today)
            self._relance_deliver(events, dispatches, replan=False)
        self._relance_replan(moves)
        return events

    @api.model
    def _relance_plan_isolated(self, moves, today):
        """The planner on the whole batch; if it raises, customer by customer,
        so that one customer's bad data never stops the plan of the others
        (its invoices keep their due date and come back tomorrow)."""
        Planner = self.env["relance.planner"]
        try:
            with self.env.cr.savepoint():
                return Planner._relance_plan_moves(moves, today)
        except Exception:  # pylint: disable=broad-except
            _logger.warning(
                "Dunning plan failed for a batch; planning customer by customer.",
                exc_info=True,
            )
        events = self.env["relance.event"]
        dispatches = self.env["relance.dispatch"]
        for partner, group in moves.grouped("commercial_partner_id").items():
            try:
                with self.env.cr.savepoint():
                    new_events, new_dispatches = Planner._relance_plan_moves(
                        group, today
                    )
            except Exception as error:  # pylint: disable=broad-except
                _logger.warning(
                    "Dunning plan failed for customer %s", partner.id, exc_info=True
                )
                self._relance_log_plan_failure(group, error)
                continue
            events |= new_events
            dispatches |= new_dispatches
        return events, dispatches

    @api.model
    def _relance_log_plan_failure(self, moves, error):
        body = self.env._(
            "Dunning could not plan this invoice's next step: %(error)s",
            error=self._relance_error_text(error),
        )
        try:
            with self.env.cr.savepoint():
                moves.sudo()._message_log_batch({move.id: body for move in moves})
        except Exception:  # pylint: disable=broad-except
            _logger.warning("Dunning: could not log the plan failure", exc_info=True)

    @api.model
    def _relance_deliver(self, events, dispatches, replan=True):
        """Send planned ``dispatches`` of the new ``events`` and record the
        outcome: validation requests for the steps that wait, the events'
        states, the chatter notes."""
        waiting = events.filtered(
            lambda e: e.state == "draft" and not e.level_id.auto_send
        )
        if waiting:
            self._relance_per_customer(
                waiting, "partner_id", self._relance_request_validation
            )
        self._relance_send_dispatches(dispatches)
        self._relance_settle_events(events - waiting, dispatches)
        self._relance_per_customer(dispatches, "partner_id", self._relance_log_chatter)
        self._relance_per_customer(
            events - waiting, "partner_id", self._relance_close_validation_activities
        )
        if replan:
            self._relance_replan(events.move_id)
        return dispatches

    @api.model
    def _relance_per_customer(self, records, customer_field, function):
        """``function(records)`` for the batch, or customer by customer when
        it raises: activities and chatter notes of one customer (another
        transaction subscribing the same follower...) never stop the run.
        What still fails is left out, and logged."""
        if not records:
            return
        try:
            with self.env.cr.savepoint():
                function(records)
            return
        except Exception:  # pylint: disable=broad-except
            _logger.warning(
                "Dunning: %s failed for a batch; customer by customer.",
                function.__name__,
                exc_info=True,
            )
        for partner, group in records.grouped(customer_field).items():
            try:
                with self.env.cr.savepoint():
                    function(group)
            except Exception:  # pylint: disable=broad-except
                _logger.warning(
                    "Dunning: %s failed for customer %s",
                    function.__name__,
                    partner.id,
                    exc_info=True,
                )

    @api.model
    def _relance_send_dispatches(self, dispatches):
        """Send the planned ``dispatches``, each customer's in its own
        savepoint: a customer whose message raises gets its dispatches
        ``failed`` with the error, and the others go on.

        The batch is tried in one savepoint first (channels render a
        batch's emails together, much faster), and customer by customer
        only when it raised."""
        planned = dispatches.filtered(lambda d: d.state == "planned")
        if not planned:
            return dispatches
        try:
            with self.env.cr.savepoint():
                self._relance_send_channels(planned)
        except Exception:  # pylint: disable=broad-except
            _logger.warning(
                "Dunning send failed for a batch; sending customer by customer.",
                exc_info=True,
            )
            for partner, group in planned.grouped("partner_id").items():
                try:
                    with self.env.cr.savepoint():
                        self._relance_send_channels(group)
                except Exception as error:  # pylint: disable=broad-except
                    _logger.warning(
                        "Dunning send failed for customer %s", partner.id, exc_info=True
                    )
                    self.env["relance.channel"]._relance_fail(
                        group,
                        self.env._(
                            "Not sent: %(error)s",
                            error=self._relance_error_text(error),
                        ),
                    )
        for attempts, group in (
            planned.filtered(lambda d: d.state == "failed")
            .grouped("attempt_count")
            .items()
        ):
            group.attempt_count = attempts + 1
        return dispatches

    @api.model
    def _relance_send_channels(self, dispatches):
        """Hand each channel its planned dispatches (the channel contract)."""
        handlers = self._relance_channel_handlers()
        for channel, group in dispatches.grouped("channel").items():
            if channel not in handlers:
                self.env["relance.channel"]._relance_fail(
                    group,
                    self.env._(
                        "The %(channel)s channel is not installed.", channel=channel
                    ),
                )
                continue
            self.env[handlers[channel]]._relance_send(group)
        unreported = dispatches.filtered(lambda d: d.state == "planned")
        if unreported:
            raise RuntimeError(
                f"channel handlers left dispatches {unreported.ids} planned"
            )

    @api.model
    def _relance_error_text(self, error):
        text = str(error.args[0]) if getattr(error, "args", None) else str(error)
        text = text.strip() or error.__class__.__name__
        return text[:ERROR_NOTE_SIZE]

    @api.model
    def _relance_settle_events(self, events, dispatches):
        """An event is sent when a message of its step reached the customer
        (or its internal action was done), failed otherwise, with the
        reasons; its channel is the one that carried it."""
        by_event = {}
        for dispatch in dispatches:
            for event in dispatch.event_ids:
                by_event.setdefault(event, []).append(dispatch)
        sent_ids = []
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
            dispatch = main or (deciding[0] if deciding else None)
            notes = [event.note] + [d.note for d in event_dispatches]
            note = "\n".join(dict.fromkeys(n for n in notes if n)) or False
            # field by field, only what changes: one UPDATE per field for the
            # batch at flush, not one write (and its triggers) per event
            if dispatch and event.dispatch_id != dispatch:
                event.dispatch_id = dispatch
            if dispatch and event.mail_id != dispatch.mail_id:
                event.mail_id = dispatch.mail_id
            if held:
                event.message_date = max(d.date for d in held)
            if dispatch and event.channel != dispatch.channel:
                event.channel = dispatch.channel
            if main:
                sent_ids.append(event.id)
                if note != (event.note or False):
                    event.note = note
            else:
                event.write(
                    {
                        "state": "failed",
                        "note": note
                        or self.env._("No channel of this step could be used."),
                    }
                )
        events.browse(sent_ids).write({"state": "sent"})

    @api.model
    def _relance_replan(self, moves):
        """Recompute next step and status now (the day may have changed
        what the stored plan said)."""
        for fname in EVENT_FOLLOWERS:
            self.env.add_to_compute(moves._fields[fname], moves)
        moves.flush_recordset(list(EVENT_FOLLOWERS))

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

    # ------------------------------------------------------------------
    # Chatter
    # ------------------------------------------------------------------
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
        # notes sanitized once (html_once)
        env = self.sudo().with_context(relance_sanitize_once=True).env
        if move_bodies:
            env["account.move"].browse(move_bodies)._message_log_batch(
                {res_id: join(lines) for res_id, lines in move_bodies.items()}
            )
        if partner_bodies:
            env["res.partner"].browse(partner_bodies)._message_log_batch(
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
        """Once no step of a customer waits any more in a company, that
        company's validation activity is done (another company's steps keep
        theirs)."""
        keys = set(events.grouped(lambda e: (e.partner_id, e.company_id)))
        if not keys:
            return
        still_waiting = set(
            self.env["relance.event"]
            .search(
                [
                    ("partner_id", "in", events.partner_id.ids),
                    ("company_id", "in", events.company_id.ids),
                    ("state", "=", "draft"),
                ]
            )
            .grouped(lambda e: (e.partner_id, e.company_id))
        )
        done = keys - still_waiting
        if done:
            activity_type = self.env.ref(
                "relance_facture.mail_activity_type_relance_validate"
            )
            activities = (
                self.env["mail.activity"]
                .search(
                    [
                        ("res_model", "=", "res.partner"),
                        ("res_id", "in", [partner.id for partner, _c in done]),
                        ("activity_type_id", "=", activity_type.id),
                        (
                            "relance_company_id",
                            "in",
                            [company.id for _p, company in done],
                        ),
                    ]
                )
                .filtered(
                    lambda a: (
                        a.env["res.partner"].browse(a.res_id),
                        a.relance_company_id,
                    )
                    in done
                )
            )
            activities.action_feedback(
                feedback=self.env._("Dunning steps validated or cancelled.")
            )
