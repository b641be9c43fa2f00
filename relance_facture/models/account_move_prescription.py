# pylint: disable=consider-merging-classes-inherited
"""Prescription of customer invoices: the last day the claim can be brought
to court, per unpaid instalment, restarted by an acknowledgement of debt.
The dates follow tools/prescription.py (where the articles are cited)."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import prescription
from .relance_access import check_relance_user


class AccountMove(models.Model):
    _inherit = "account.move"

    relance_debt_acknowledged_date = fields.Date(
        string="Debt Acknowledged On",
        copy=False,
        tracking=True,
        help="Date the customer acknowledged this debt (C. civ. 2240): the "
        "prescription period starts again from that day (C. civ. 2231).",
        groups="base.group_user",
    )
    relance_prescription_date = fields.Date(
        string="Claim Expires On",
        compute="_compute_relance_prescription_date",
        store=True,
        help="Last day to interrupt prescription, for the earliest unpaid "
        "instalment: 5 years from its due date for a professional customer, 2 "
        "years from the invoice date (or the due date if earlier) for a consumer, "
        "or from the "
        "acknowledgement of debt if later. A reminder or a formal notice does "
        "not interrupt it.",
        groups="base.group_user",
    )
    relance_prescription_warned_date = fields.Date(
        copy=False,
        readonly=True,
        help="The expiry date the last prescription warning was about.",
        groups="base.group_user",
    )
    # True while the warning sent matches the current date: an instalment
    # paid or an acknowledgement recorded moves the date, and the new date
    # gets its own warning.
    relance_prescription_warned = fields.Boolean(
        compute="_compute_relance_prescription_warned",
        store=True,
        groups="base.group_user",
    )

    @api.depends(
        "move_type",
        "state",
        "invoice_date",
        "line_ids.display_type",
        "line_ids.date_maturity",
        "line_ids.reconciled",
        "relance_debt_acknowledged_date",
        "commercial_partner_id.relance_is_consumer",
    )
    def _compute_relance_prescription_date(self):
        for move in self:
            if move.move_type != "out_invoice" or move.state != "posted":
                move.relance_prescription_date = False
                continue
            unpaid = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term" and not line.reconciled
            )
            move.relance_prescription_date = (
                prescription.claim_expiry(
                    unpaid.mapped("date_maturity"),
                    invoice_date=move.invoice_date,
                    consumer=move.commercial_partner_id.relance_is_consumer,
                    acknowledged=move.relance_debt_acknowledged_date,
                )
                or False
            )

    @api.depends("relance_prescription_date", "relance_prescription_warned_date")
    def _compute_relance_prescription_warned(self):
        for move in self:
            move.relance_prescription_warned = bool(
                move.relance_prescription_date
            ) and (
                move.relance_prescription_warned_date == move.relance_prescription_date
            )

    @api.constrains("relance_debt_acknowledged_date")
    def _check_relance_debt_acknowledged_date(self):
        today = fields.Date.context_today(self)
        for move in self:
            acknowledged = move.relance_debt_acknowledged_date
            if acknowledged and acknowledged > today:
                raise ValidationError(
                    self.env._(
                        "The acknowledgement of debt of %(invoice)s is dated "
                        "%(date)s, after today: enter the date the customer "
                        "acknowledged the debt.",
                        invoice=move.display_name,
                        date=fields.Date.to_string(acknowledged),
                    )
                )

    def write(self, vals):
        # EXTENDS account: an acknowledgement moves the claim's expiry, a
        # dunning decision
        if "relance_debt_acknowledged_date" not in vals:
            return super().write(vals)
        check_relance_user(self.env)
        res = super().write(vals)
        if vals["relance_debt_acknowledged_date"]:
            # the warning asked for this: done (a date still close is warned
            # again by the next daily run)
            acknowledged = fields.Date.to_date(vals["relance_debt_acknowledged_date"])
            self.activity_feedback(
                ["relance_facture.mail_activity_type_relance_prescription"],
                feedback=self.env._(
                    "Debt acknowledged on %(date)s.",
                    date=fields.Date.to_string(acknowledged),
                ),
            )
        return res
