from odoo import api, models
from odoo.tools import SQL


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model_create_multi
    def create(self, vals_list):
        """EXTENDS mail: the body of a dunning email is sanitized once.

        Creating an email converts its message body three times (the
        message's column and cache, and the email's cache of the inherited
        field), each a full pass of the HTML sanitizer: a tenth of a daily
        run. With ``relance_sanitize_once`` in the context (the email
        channel), the emails are created without their message body, which
        is then converted once by the field itself, as Odoo would store it,
        and written in one statement. Bodies with embedded images take
        Odoo's path: the message turns those into attachments."""
        if not self.env.context.get("relance_sanitize_once"):
            return super().create(vals_list)
        bodies = [
            vals.pop("body")
            if vals.get("body") and "data:image" not in vals["body"]
            else None
            for vals in vals_list
        ]
        mails = super().create(vals_list)
        pending = [
            (mail.mail_message_id, body)
            for mail, body in zip(mails, bodies, strict=True)
            if body is not None
        ]
        if pending:
            field = self.env["mail.message"]._fields["body"]
            messages = self.env["mail.message"].concat(*(m for m, _b in pending))
            self.env.execute_query(
                SQL(
                    """UPDATE mail_message SET body = bodies.body
                       FROM (SELECT unnest(%s::int[]) AS id,
                                    unnest(%s::text[]) AS body) bodies
                       WHERE mail_message.id = bodies.id""",
                    messages.ids,
                    [field.convert_to_column(body, m) for m, body in pending],
                )
            )
            messages.invalidate_recordset(["body"])
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
