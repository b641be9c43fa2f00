# pylint: disable=consider-merging-classes-inherited
"""Emails of phone-first customers that wait for the call: sent on their
day unless the call was logged, with the invoices still to remind."""

from odoo import api, fields, models
from odoo.tools import SQL

from .relance_planner import CUSTOMER_CHANNELS


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    # ------------------------------------------------------------------
    # Emails waiting for a call
    # ------------------------------------------------------------------
    @api.model
    def _relance_lock_held(self, today, closed=None, skip_partners=None):
        """Lock the waiting emails whose day has come (not on a closed day,
        not for a customer with unmatched payments); emails locked by another
        run are left to it, so none goes twice."""
        return self._relance_lock_dispatches(
            [("state", "=", "held"), ("date", "<=", today)], closed, skip_partners
        )

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
            to_send.write({"state": "planned", "date": today, "note": False})
            self._relance_send_dispatches(to_send)
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
    def _relance_cancel_held(self, partners, reason, company=None):
        """The call was logged: the customer's waiting emails never go, and
        the history says why. Only those of ``company`` when given: a call
        made for one company says nothing of the invoices of another."""
        domain = [("partner_id", "in", partners.ids), ("state", "=", "held")]
        if company:
            domain.append(("company_id", "=", company.id))
        # A run sending these emails right now holds their rows: wait for it,
        # then the transaction is retried and finds them sent.
        query = self.env["relance.dispatch"]._search(domain)
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
