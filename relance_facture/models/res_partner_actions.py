# pylint: disable=consider-merging-classes-inherited
"""Buttons of customers: send now, penalty invoice, payment plan, call
outcome, and the lists they open (overdue invoices, history, plans)."""

from odoo import fields, models
from odoo.exceptions import UserError

from .relance_access import check_relance_user


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_relance_send_now(self):
        """Send now the next dunning step of every open invoice of these customers."""
        moves = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "in", self.env.companies.ids),
                *self.env["account.move"]._relance_open_domain(),
            ]
        )
        return moves.action_relance_send_now()

    def action_relance_create_penalty_invoice(self):
        """Invoice the penalties and indemnities of this customer's late
        invoices that have not been invoiced for penalties yet."""
        moves = self.env["account.move"].search(
            [
                *self._relance_late_moves_domain(),
                ("relance_penalty_invoice_id", "=", False),
            ]
        )
        return moves._relance_create_penalty_invoices()

    def action_relance_payment_plan(self):
        """Agree a payment plan on every open invoice of this customer that
        does not follow one yet."""
        self.ensure_one()
        moves = self.env["account.move"].search(
            [
                *self.env["account.move"]._relance_open_domain(),
                ("commercial_partner_id", "=", self.commercial_partner_id.id),
                ("company_id", "=", self.env.company.id),
                ("relance_plan_id", "=", False),
            ]
        )
        if not moves:
            raise UserError(
                self.env._(
                    "%(customer)s has no open invoice to plan.", customer=self.name
                )
            )
        currency = moves.currency_id[:1]
        return self.env["relance.payment.schedule"]._relance_open_for(
            moves.filtered(lambda m: m.currency_id == currency)
        )

    def action_relance_open_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relance_facture.relance_payment_plan_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_relance_call_outcome(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relance_facture.relance_call_outcome_action"
        )
        action["context"] = {"active_model": "res.partner", "active_ids": self.ids}
        return action

    def action_relance_open_overdue(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            *self.env["account.move"]._relance_open_domain(),
            ("invoice_date_due", "<", fields.Date.context_today(self)),
        ]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    def action_relance_open_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relance_facture.relance_event_action"
        )
        # the steps the button counts; the filter removed, the whole history
        action["domain"] = [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", self.env.company.id),
        ]
        action["context"] = {"search_default_sent": 1}
        return action

    def action_relance_case_file(self):
        """Download the case file (invoices, reminders, formal notices)."""
        self.ensure_one()
        check_relance_user(self.env)
        CaseFile = self.env["relance.case.file"]
        attachment = CaseFile._relance_build(self)
        return CaseFile._relance_download_action(attachment)
