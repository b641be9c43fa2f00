from odoo import api, models

from .html_once import pop_html, store_html


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS mail: the daily run's chatter notes are sanitized once
        # (html_once), not twice
        if not self.env.context.get("relance_sanitize_once"):
            return super().create(vals_list)
        bodies = pop_html(vals_list, "body")
        messages = super().create(vals_list)
        store_html(messages, "body", bodies)
        return messages
