from odoo import fields, models

from .relance_preview import PREVIEW_CHANNELS


class RelancePreviewLine(models.TransientModel):
    _name = "relance.preview.line"
    _description = "Dunning Run Preview Line"

    preview_id = fields.Many2one("relance.preview", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    recipient_id = fields.Many2one("res.partner", string="Recipient", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    channel = fields.Selection(PREVIEW_CHANNELS, readonly=True)
    state = fields.Selection(
        [("planned", "Planned"), ("held", "Waiting for the Call")],
        readonly=True,
        help="Waiting for the Call: the email goes on its date unless the call "
        "is logged before.",
    )
    date = fields.Date(readonly=True, help="Day the message goes.")
    level_names = fields.Char(string="Steps", readonly=True)
    move_ids = fields.Many2many("account.move", string="Invoices", readonly=True)
    amount_residual = fields.Monetary(string="Amount Claimed", readonly=True)
    warning = fields.Char(readonly=True)
