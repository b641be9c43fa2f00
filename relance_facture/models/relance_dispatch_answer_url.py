# pylint: disable=consider-merging-classes-inherited
"""The link of every reminder to the customer's answer page."""

from odoo import api, fields, models


class RelanceDispatch(models.Model):
    _inherit = "relance.dispatch"

    relance_answer_url = fields.Char(
        compute="_compute_relance_answer_url",
        string="Answer Link",
        help="The page where the customer says the invoices of this message "
        "are already paid, promises a date, disputes them or asks for a payment "
        "plan (no login: the invoices' access tokens open it).",
        groups="base.group_user",
    )
    relance_answer_sms_url = fields.Char(
        compute="_compute_relance_answer_url",
        string="Answer Link of the SMS",
        help="The answer page of the first invoice only: an SMS keeps one "
        "short link, as it does for the payment link.",
        groups="base.group_user",
    )

    @api.depends("event_ids.move_id.access_token")
    def _compute_relance_answer_url(self):
        moves = self.event_ids.move_id.filtered(lambda m: isinstance(m.id, int))
        # one statement for the missing tokens of the whole batch
        self.env["relance.channel.email"]._relance_ensure_access_tokens(moves)
        Answer = self.env["relance.answer"]
        for dispatch in self:
            reminded = dispatch.move_ids.filtered(lambda m: isinstance(m.id, int))
            dispatch.relance_answer_url = Answer._relance_portal_url(reminded)
            dispatch.relance_answer_sms_url = Answer._relance_portal_url(reminded[:1])
