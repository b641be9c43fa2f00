# pylint: disable=consider-merging-classes-inherited
"""Failed messages tried again, steps validated or cancelled, "Send now":
the same planner and sender as the daily run."""

from odoo import api, fields, models
from odoo.tools import SQL

from .relance_planner import CUSTOMER_CHANNELS


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    # ------------------------------------------------------------------
    # Retries, validation, "send now"
    # ------------------------------------------------------------------
    @api.model
    def _relance_retry_failed(self, today, closed=None, skip_partners=None):
        """Send again the dispatches that failed lately, at most the
        company's number of attempts; what went out is never sent again."""
        domain = [
            ("state", "=", "failed"),
            ("date", ">=", fields.Date.subtract(today, days=30)),
        ]
        failed = self._relance_lock_dispatches(domain, closed, skip_partners)
        failed = failed.filtered(
            lambda d: d.attempt_count < d.company_id.relance_max_attempts
        )
        return self._relance_retry_dispatches(failed, today)

    @api.model
    def _relance_retry_dispatches(self, dispatches, today):
        """Re-check the invoices of failed ``dispatches`` (the paid ones are
        left out) and send them again, as of ``today``."""
        if not dispatches:
            return dispatches
        dispatches.event_ids.move_id.invalidate_recordset()
        messaged = self.env["relance.planner"]._relance_messaged_today(
            dispatches.event_ids, today
        )
        to_send = dispatches.browse()
        for dispatch in dispatches:
            key = (
                dispatch.partner_id,
                dispatch.company_id,
                dispatch.currency_id,
                dispatch.channel,
            )
            if dispatch.channel in CUSTOMER_CHANNELS and key in messaged:
                continue  # tomorrow: one message per customer, channel and day
            closed_events = dispatch.event_ids.filtered(
                lambda e: not e.move_id._relance_is_open()
            )
            if closed_events == dispatch.event_ids:
                dispatch.write(
                    {
                        "state": "cancelled",
                        "note": self.env._(
                            "Not sent again: the invoices were paid meanwhile."
                        ),
                    }
                )
                continue
            if closed_events:
                dispatch.event_ids = [
                    fields.Command.unlink(e.id) for e in closed_events
                ]
            to_send |= dispatch
        if not to_send:
            return to_send
        for dispatch in to_send:
            # the error of the last attempt stays in the history, as such
            error = dispatch.note or ""
            earlier = self.env._(
                "Attempt %(count)s failed: %(reason)s",
                count=dispatch.attempt_count,
                reason=error,
            )
            dispatch.write({"state": "planned", "date": today, "note": earlier})
            for event in dispatch.event_ids.filtered(
                lambda e, err=error: err and err in (e.note or "")
            ):
                event.note = event.note.replace(error, earlier)
        events = to_send.event_ids
        self._relance_send_dispatches(to_send)
        self._relance_settle_events(events, events.dispatch_ids)
        self._relance_log_chatter(to_send)
        self._relance_replan(events.move_id)
        return to_send

    @api.model
    def _relance_cancel_closed_drafts(self):
        """A step waiting for validation whose invoice was paid, credited or
        cancelled meanwhile is cancelled, with the reason."""
        drafts = self.env["relance.event"].search(
            [
                ("state", "=", "draft"),
                "|",
                ("move_id.state", "!=", "posted"),
                ("move_id.payment_state", "not in", ("not_paid", "partial")),
            ]
        )
        if drafts:
            self._relance_cancel_events(
                drafts,
                self.env._(
                    "Cancelled: the invoice was paid, credited or cancelled before "
                    "validation."
                ),
            )
        return drafts

    @api.model
    def _relance_cancel_events(self, events, reason):
        for event in events:
            event.write(
                {
                    "state": "cancelled",
                    "note": "\n".join(filter(None, [event.note, reason])),
                }
            )
        self._relance_close_validation_activities(events)
        self._relance_replan(events.move_id)

    @api.model
    def _relance_validate_events(self, events):
        """Send steps an accountant validated: the invoices paid meanwhile
        are left out (their step is cancelled), the others are planned and
        sent like the daily run's."""
        today = fields.Date.context_today(self)
        events.move_id.invalidate_recordset()
        closed = events.filtered(lambda e: not e.move_id._relance_is_open())
        if closed:
            self._relance_cancel_events(
                closed,
                self.env._(
                    "Cancelled: the invoice was paid, credited or cancelled before "
                    "validation."
                ),
            )
        events -= closed
        if not events:
            return self.env["relance.dispatch"]
        self._relance_check_events(events)
        dispatches = self.env["relance.planner"]._relance_plan_dispatches(events, today)
        self._relance_send_dispatches(dispatches)
        self._relance_settle_events(events, dispatches)
        self._relance_log_chatter(dispatches)
        self._relance_close_validation_activities(events)
        self._relance_replan(events.move_id)
        return dispatches

    @api.model
    def _relance_retry_events(self, events):
        """ "Retry" of failed steps: their failed messages are sent again;
        a step that had no message is planned anew. Paid invoices are left
        out."""
        today = fields.Date.context_today(self)
        events.move_id.invalidate_recordset()
        failed = events.dispatch_ids.filtered(lambda d: d.state == "failed")
        self._relance_retry_dispatches(failed, today)
        fresh = events.filtered(
            lambda e: e.state == "failed"
            and not e.dispatch_ids
            and e.move_id._relance_is_open()
        )
        if fresh:
            self._relance_check_events(fresh)
            dispatches = self.env["relance.planner"]._relance_plan_dispatches(
                fresh, today
            )
            self._relance_send_dispatches(dispatches)
            self._relance_settle_events(fresh, dispatches)
            self._relance_log_chatter(dispatches)
            self._relance_replan(fresh.move_id)
        return events

    @api.model
    def _relance_run_moves(self, moves, force=False):
        """ "Send now": lock the invoices, then plan and send them like the
        daily run. A customer reminded today on a channel is not reminded
        again on it today (see ``relance.planner``)."""
        today = fields.Date.context_today(self)
        if moves:
            self.env.execute_query(
                SQL(
                    "SELECT id FROM account_move WHERE id IN %s FOR UPDATE",
                    tuple(moves.ids),
                )
            )
        events, dispatches = self.env["relance.planner"]._relance_plan_moves(
            moves, today, force=force
        )
        self._relance_deliver(events, dispatches)
        return events
