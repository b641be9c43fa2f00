# pylint: disable=consider-merging-classes-inherited
"""Buttons of customer invoices: payment plan, call outcome, send the next
dunning step now."""

from odoo import fields, models
from odoo.exceptions import UserError

from .relance_access import check_relance_user


class AccountMove(models.Model):
    _inherit = "account.move"

    # ---- Actions ----
    def action_relance_payment_plan(self):
        """Agree a payment plan for these invoices."""
        return self.env["relance.payment.schedule"]._relance_open_for(
            self.filtered(lambda m: m.move_type == "out_invoice")
        )

    def action_relance_open_payment_plan(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "relance.payment.plan",
            "res_id": self.relance_plan_id.id,
            "view_mode": "form",
        }

    def action_relance_call_outcome(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relance_facture.relance_call_outcome_action"
        )
        action["context"] = {"active_model": "account.move", "active_ids": self.ids}
        return action

    def action_relance_force_send_now(self):
        """Send now even when the minimum gap since the last message is not
        reached (the user confirmed)."""
        return self.with_context(relance_force_send=True).action_relance_send_now()

    def action_relance_send_now(self):
        """Run the next dunning step of these invoices now, through the engine.

        A customer already reminded today is left out (one message per
        customer, channel and day); a step closer than the minimum gap to the
        last message is refused unless sent with "Force Send Now"."""
        self.check_access("read")
        check_relance_user(self.env)
        invoices = self.filtered(lambda m: m.move_type == "out_invoice")
        if not invoices:
            raise UserError(self.env._("Select customer invoices to remind."))
        today = fields.Date.context_today(self)
        engine = self.env["relance.engine"]
        reminded = invoices.search(
            [
                ("id", "in", invoices.ids),
                ("commercial_partner_id", "in", engine._relance_reminded_today(today)),
            ]
        )
        invoices -= reminded
        if not invoices:
            raise UserError(
                self.env._(
                    "%(customers)s already received a reminder today: the next "
                    "step can go tomorrow.",
                    customers=", ".join(reminded.commercial_partner_id.mapped("name")),
                )
            )
        if not self.env.context.get("relance_force_send"):
            too_soon = self.env["relance.planner"]._relance_gap_refusals(
                invoices, today
            )
            if too_soon:
                lines = [
                    self.env._(
                        "%(invoice)s: last message on %(date)s",
                        invoice=move.name,
                        date=fields.Date.to_string(day),
                    )
                    for move, day in too_soon.items()
                ]
                raise UserError(
                    self.env._(
                        "Too soon after the last reminder (minimum %(days)s days "
                        "between two messages):\n%(invoices)s\nUse Force Send Now "
                        "to send anyway.",
                        days=invoices.company_id[:1].relance_min_gap_days,
                        invoices="\n".join(lines),
                    )
                )
        # the engine writes the history, which users only read
        events = engine.sudo()._relance_run_moves(invoices.sudo(), force=True)
        if not events:
            raise UserError(
                self.env._(
                    "Nothing to send: the selected invoices are paid, excluded, "
                    "paused, or have gone through every step of their profile."
                )
            )
        sent = events.filtered(lambda e: e.state == "sent")
        waiting = events.filtered(lambda e: e.state == "draft")
        failed = events.filtered(lambda e: e.state == "failed")
        message = self.env._(
            "%(sent)s step(s) sent, %(waiting)s waiting for validation, "
            "%(failed)s failed.",
            sent=len(sent),
            waiting=len(waiting),
            failed=len(failed),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Dunning"),
                "message": message,
                "type": "warning" if failed else "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _relance_list_action(self):
        """The list of these customer invoices (from an answer, a plan)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.ids)]
        action["context"] = {"create": False}
        return action
