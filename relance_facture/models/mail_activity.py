from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def action_relance_call_outcome(self):
        """Record the outcome of a dunning call from the list of calls to make."""
        self.ensure_one()
        partner = self.env[self.res_model].browse(self.res_id)
        return partner.action_relance_call_outcome()

    def _action_done(self, feedback=False, attachment_ids=None):
        # EXTENDS mail: a dunning call marked done was made, so the emails
        # waiting for it never go. The call outcome wizard decides itself
        # (a call without answer does not count).
        call_type = self.env.ref(
            "relance_facture.mail_activity_type_relance_call", raise_if_not_found=False
        )
        called = self.env["res.partner"]
        if call_type and "relance_call_outcome" not in self.env.context:
            called = self.env["res.partner"].browse(
                self.filtered(
                    lambda a: a.activity_type_id == call_type
                    and a.res_model == "res.partner"
                ).mapped("res_id")
            )
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if called:
            self.env["relance.engine"].sudo()._relance_cancel_held(
                called,
                self.env._(
                    "Email not sent: the call was marked done on %(date)s.",
                    date=fields.Date.to_string(fields.Date.context_today(self)),
                ),
            )
        return result
