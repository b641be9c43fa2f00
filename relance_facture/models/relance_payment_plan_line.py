from odoo import api, fields, models
from odoo.tools.misc import format_date


class RelancePaymentPlanLine(models.Model):
    """One dated instalment of a payment plan. A missed instalment starts
    the dunning ladder again, with the instalment's date as J."""

    _name = "relance.payment.plan.line"
    _description = "Payment Plan Instalment"
    _order = "plan_id, date, id"

    plan_id = fields.Many2one(
        "relance.payment.plan", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(related="plan_id.partner_id")
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(
        string="Paid", compute="_compute_amount_paid", store=True
    )
    amount_residual = fields.Monetary(
        string="Left to Pay", compute="_compute_amount_paid", store=True
    )
    is_paid = fields.Boolean(compute="_compute_amount_paid", store=True)
    state = fields.Selection(
        [
            ("paid", "Paid"),
            ("partial", "Partly paid"),
            ("to_pay", "To pay"),
            ("late", "Missed"),
            ("cancelled", "Cancelled"),
        ],
        compute="_compute_state",
    )

    _sql_constraints = [
        (
            "amount_positive",
            "CHECK(amount > 0)",
            "An instalment must be a positive amount.",
        )
    ]

    @api.depends("amount", "date", "plan_id.amount_paid", "plan_id.line_ids.amount")
    def _compute_amount_paid(self):
        for plan in self.plan_id:
            paid = plan.amount_paid
            for line in plan.line_ids.sorted(lambda x: (x.date, x.id)):
                line_paid = min(line.amount, max(paid, 0.0))
                paid -= line_paid
                if line in self:
                    line.amount_paid = line_paid
                    line.amount_residual = line.amount - line_paid
                    line.is_paid = plan.currency_id.is_zero(line.amount_residual)
        for line in self.filtered(lambda x: not x.plan_id):
            line.amount_paid = 0.0
            line.amount_residual = line.amount
            line.is_paid = False

    @api.depends("is_paid", "amount_paid", "date", "plan_id.state")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for line in self:
            if line.is_paid:
                line.state = "paid"
            elif line.plan_id.state == "cancelled":
                line.state = "cancelled"
            elif line.date and line.date < today:
                line.state = "late"
            elif line.amount_paid:
                line.state = "partial"
            else:
                line.state = "to_pay"

    @api.depends("plan_id", "date")
    def _compute_display_name(self):
        for line in self:
            line.display_name = self.env._(
                "Instalment of %(date)s", date=format_date(self.env, line.date)
            )
