from odoo import api, models

from .html_once import pop_html, store_html


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS mail: a dunning email's body is sanitized once (html_once),
        # not three times (its message's column and cache, its own cache)
        if not self.env.context.get("relance_sanitize_once"):
            return super().create(vals_list)
        bodies = pop_html(vals_list, "body")
        mails = super().create(vals_list)
        messages = self.env["mail.message"].concat(
            *(mail.mail_message_id for mail in mails)
        )
        store_html(messages, "body", bodies)
        mails.invalidate_recordset(["body"])
        return mails

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
