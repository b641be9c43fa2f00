from odoo import api, models


class RelanceChannelSms(models.AbstractModel):
    """SMS channel: the step's SMS template rendered per message, queued in
    Odoo's SMS queue; only to a mobile number."""

    _name = "relance.channel.sms"
    _inherit = "relance.channel"
    _description = "Dunning Channel: SMS"

    @api.model
    def _relance_send(self, dispatches):
        numbers = {d: d.recipient_id.mobile or d.partner_id.mobile for d in dispatches}
        without = dispatches.filtered(lambda d: not numbers[d])
        for dispatch in without:
            dispatch.write(
                {
                    "state": "failed",
                    "note": self.env._(
                        "No mobile number for %(recipient)s: no SMS.",
                        recipient=dispatch.recipient_id.display_name,
                    ),
                }
            )
        to_send = dispatches - without
        if not to_send:
            return
        self.env["relance.channel.email"]._relance_ensure_access_tokens(
            to_send.event_ids.move_id
        )
        vals_list = []
        for template, group in to_send.grouped(
            lambda d: d.level_id.sms_template_id
        ).items():
            bodies = template._render_field("body", group.ids, compute_lang=True)
            vals_list += [
                {
                    "number": numbers[dispatch],
                    "body": bodies[dispatch.id],
                    "partner_id": dispatch.recipient_id.id,
                    "relance_dispatch_id": dispatch.id,
                }
                for dispatch in group
            ]
        self.env["sms.sms"].sudo().create(vals_list)
        to_send.write({"state": "sent"})
