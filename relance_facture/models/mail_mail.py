from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def write(self, vals):
        # EXTENDS mail: the dunning message of an email follows its state. An
        # email that could not be sent (SMTP down, refused address) fails its
        # message and steps, with the reason; once Odoo's queue sends it after
        # a retry, they are sent again. Nothing is re-created.
        res = super().write(vals)
        if vals.get("state") not in ("exception", "sent"):
            return res
        dispatches = (
            self.env["relance.dispatch"]
            .sudo()
            .search([("mail_id", "in", self.ids), ("channel", "=", "email")])
        )
        if not dispatches:
            return res
        if vals["state"] == "exception":
            for mail in self.filtered(lambda m: m.state == "exception"):
                dispatches.filtered(
                    lambda d, m=mail: d.mail_id == m
                )._relance_mark_failed(
                    self.env._(
                        "Email not sent: %(reason)s",
                        reason=mail.failure_reason or mail.failure_type or "",
                    )
                )
        else:
            dispatches.filtered(lambda d: d.state == "failed")._relance_mark_sent()
        return res
