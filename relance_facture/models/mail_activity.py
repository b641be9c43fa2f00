from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def action_relance_call_outcome(self):
        """Record the outcome of a dunning call from the list of calls to make."""
        self.ensure_one()
        partner = self.env[self.res_model].browse(self.res_id)
        return partner.action_relance_call_outcome()
