# pylint: disable=consider-merging-classes-inherited
"""Replies to reminder emails. A reminder email is a message of its dispatch:
with the dispatch a mail thread, Odoo's mail gateway files the customer's
reply in the dispatch's chatter (In-Reply-To threading), where it pauses the
customer's dunning and gives the person in charge an activity."""

from odoo import api, fields, models
from odoo.tools import html2plaintext

# The reply's text kept on the answer (the whole email stays in the chatter).
REPLY_TEXT_CHARS = 2000


class RelanceDispatch(models.Model):
    _name = "relance.dispatch"
    _inherit = ["relance.dispatch", "mail.thread"]

    reply_ids = fields.One2many(
        "relance.answer", "dispatch_id", string="Replies", readonly=True
    )

    @api.model_create_multi
    def create(self, vals_list):
        # the daily run's records: no creation message, no follower
        return (
            super(RelanceDispatch, self.with_context(tracking_disable=True))
            .create(vals_list)
            .with_env(self.env)
        )

    def _message_get_suggested_recipients(self):
        # EXTENDS mail: answer the contact the reminder went to
        result = super()._message_get_suggested_recipients()
        if self.recipient_id:
            self._message_add_suggested_recipient(
                result,
                partner=self.recipient_id,
                reason=self.env._("Recipient of the reminder"),
            )
        return result

    def _message_post_after_hook(self, message, msg_values):
        # EXTENDS mail: an email from outside is the customer's reply; a
        # message sent to the customer from the chatter answers the replies
        res = super()._message_post_after_hook(message, msg_values)
        author_users = message.author_id.sudo().user_ids
        internal_author = any(not user.share for user in author_users)
        if (
            message.message_type == "email"
            and not internal_author
            and not self.env.context.get("relance_auto_reply")
        ):
            self._relance_record_reply(message)
        elif (
            message.message_type == "comment"
            and internal_author
            and not message.subtype_id.internal
        ):
            self.reply_ids.filtered(lambda a: a.state == "new").sudo().write(
                {"state": "done"}
            )
            self.reply_ids.sudo().activity_ids.action_feedback(
                feedback=self.env._("Answered from the reminder's chatter.")
            )
        return res

    def _relance_record_reply(self, message):
        self.ensure_one()
        text = html2plaintext(message.body or "").strip()
        return self.env["relance.answer"]._relance_record(
            {
                "kind": "reply",
                "source": "email",
                "partner_id": self.partner_id.commercial_partner_id.id,
                "company_id": self.company_id.id,
                "move_ids": [fields.Command.set(self.move_ids.ids)],
                "dispatch_id": self.id,
                "message_answer_id": message.id,
                "comment": text[:REPLY_TEXT_CHARS],
                "attachment_ids": [fields.Command.set(message.attachment_ids.ids)],
            }
        )
