from odoo import fields, models


class RelancePaymentScheduleLine(models.TransientModel):
    _name = "relance.payment.schedule.line"
    _description = "Agree a Payment Plan: Instalment"
    _order = "date, id"

    schedule_id = fields.Many2one(
        "relance.payment.schedule", required=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="schedule_id.currency_id")
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
