from odoo import fields, models


class SmsSms(models.Model):
    _inherit = "sms.sms"

    relance_dispatch_id = fields.Many2one(
        "relance.dispatch", string="Dunning Message", index="btree_not_null"
    )

    def write(self, vals):
        # EXTENDS sms: an SMS that cannot be sent (no credit, no account...)
        # fails its dunning message, with the reason, in the history.
        res = super().write(vals)
        if vals.get("state") == "error":
            failed = self.filtered("relance_dispatch_id")
            for sms in failed:
                labels = dict(
                    self._fields["failure_type"]._description_selection(self.env)
                )
                sms.relance_dispatch_id.sudo()._relance_mark_failed(
                    self.env._(
                        "SMS not sent: %(reason)s",
                        reason=labels.get(sms.failure_type, sms.failure_type or ""),
                    )
                )
        return res
