# pylint: disable=consider-merging-classes-inherited
"""Customer commitments on invoices: promises to pay, which pause dunning until
their date plus grace, and payment plans, whose instalments dunning follows."""

from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # ---- Promises to pay ----
    def _relance_mark_broken_promises(self, today):
        """Promises whose date and grace are over while the invoice is still
        open: written in the chatter, then dunning resumes one step at a time."""
        broken = self.filtered(
            lambda m: m.relance_promise_date
            and not m._relance_is_paused(today)
            and m._relance_is_open()
        )
        if not broken:
            return broken
        bodies = {
            move.id: self.env._(
                "Promise to pay of %(date)s not kept: dunning resumes.",
                date=fields.Date.to_string(move.relance_promise_date),
            )
            for move in broken
        }
        broken.sudo()._message_log_batch(bodies)
        for move in broken:
            move.relance_promise_broken = move.relance_promise_date
        broken.write({"relance_promise_date": False, "relance_resume_one_step": True})
        return broken

    def _relance_resume_date(self, today):
        """A promise to pay pauses dunning until its date plus the grace
        period: the day after, the daily run takes the invoice up again."""
        self.ensure_one()
        if self.relance_dispute or not self._relance_is_open():
            return False
        resumes = []
        if self.relance_promise_date:
            grace = self.company_id.relance_promise_grace_days
            resumes.append(fields.Date.add(self.relance_promise_date, days=grace + 1))
        if self.relance_paused_until:
            resumes.append(fields.Date.add(self.relance_paused_until, days=1))
        resume = max(resumes, default=False)
        return resume if resume and resume > today else False

    # ---- Planning ----
    def _relance_plan_line(self):
        """The instalment dunning follows: the first unpaid one of a running
        payment plan (empty without a running plan)."""
        self.ensure_one()
        plan = self.relance_plan_id
        if plan.state != "running":
            return self.env["relance.payment.plan.line"]
        return plan.next_line_id

    def _relance_cycle_events(self):
        """The events of the ladder the invoice is on: those of the current
        instalment under a payment plan, those of its own due date otherwise."""
        self.ensure_one()
        instalment = self._relance_plan_line()
        return self.relance_event_ids.filtered(lambda e: e.plan_line_id == instalment)
