from odoo import models


class QueueJob(models.Model):
    _inherit = "queue.job"

    def related_action_relance_customers(self):
        """Related action of a dunning batch: its customers."""
        self.ensure_one()
        partner_ids = self.args[0] if self.args else []
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers of the Batch"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("id", "in", partner_ids)],
        }
