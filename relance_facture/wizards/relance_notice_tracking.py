from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from ..models.relance_access import check_relance_user


class RelanceNoticeTracking(models.TransientModel):
    """How a formal notice was sent (LRAR, LRE, commissaire de justice), its
    tracking number and, later, the acknowledgement of receipt: they stay on
    the message and are logged in the invoices' and customer's history."""

    _name = "relance.notice.tracking"
    _description = "Formal Notice Tracking"

    dispatch_id = fields.Many2one(
        "relance.dispatch",
        string="Formal Notice",
        required=True,
        readonly=True,
        ondelete="cascade",
        domain=[("channel", "=", "formal_notice")],
    )
    sending_mode = fields.Selection(
        selection=lambda self: self.env["relance.dispatch"]
        ._fields["sending_mode"]
        ._description_selection(self.env),
        required=True,
        default="lrar",
    )
    tracking_ref = fields.Char(string="Tracking Number")
    ack_date = fields.Date(
        string="Acknowledgement Date",
        help="Day the customer received the letter (date on the AR): the "
        "payment deadline runs from it.",
    )
    deadline_date = fields.Date(
        string="Payment Deadline", compute="_compute_deadline_date"
    )
    ack_file = fields.Binary(
        string="Scanned Acknowledgement",
        help="The signed acknowledgement of receipt, kept in the history.",
    )
    ack_filename = fields.Char()

    @api.depends("ack_date", "dispatch_id")
    def _compute_deadline_date(self):
        for wizard in self:
            wizard.deadline_date = (
                wizard.dispatch_id._relance_notice_deadline(wizard.ack_date)
                if wizard.ack_date and wizard.dispatch_id
                else wizard.dispatch_id.deadline_date
            )

    @api.model
    def _relance_open(self, dispatch):
        if dispatch.channel != "formal_notice":
            raise UserError(
                self.env._("Only a formal notice is sent by registered letter.")
            )
        wizard = self.create(
            {
                "dispatch_id": dispatch.id,
                "sending_mode": dispatch.sending_mode or "lrar",
                "tracking_ref": dispatch.tracking_ref,
                "ack_date": dispatch.ack_date,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Registered Letter"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_apply(self):
        self.ensure_one()
        dispatch = self.dispatch_id
        dispatch.check_access("read")
        check_relance_user(self.env)
        if dispatch.state != "sent":
            raise UserError(self.env._("This formal notice has not been sent."))
        if self.ack_date and self.ack_date < dispatch.date:
            raise UserError(
                self.env._("The letter cannot be received before it was written.")
            )
        vals = {
            "sending_mode": self.sending_mode,
            "tracking_ref": self.tracking_ref,
            "ack_date": self.ack_date,
        }
        if self.ack_date:
            vals["deadline_date"] = dispatch._relance_notice_deadline(self.ack_date)
        changed = any(dispatch[fname] != value for fname, value in vals.items())
        # the tracking fields are the only ones of a sent message a user
        # records, and only here (the history is otherwise read-only)
        if self.ack_file:
            vals["ack_attachment_id"] = self._relance_store_ack(dispatch).id
            changed = True
        dispatch.sudo().write(vals)
        if changed:
            self._relance_log(dispatch)
        return {"type": "ir.actions.act_window_close"}

    def _relance_store_ack(self, dispatch):
        """The scanned acknowledgement, attached to the formal notice (its
        company rule applies)."""
        name = self.ack_filename or self.env._(
            "Acknowledgement of receipt %(date)s.pdf",
            date=fields.Date.to_string(self.ack_date or dispatch.date),
        )
        return self.env["ir.attachment"].create(
            {
                "name": name,
                "datas": self.ack_file,
                "res_model": dispatch._name,
                "res_id": dispatch.id,
            }
        )

    def _relance_log(self, dispatch):
        """A line in the history of the invoices and of the customer."""
        mode = dict(self._fields["sending_mode"]._description_selection(self.env))[
            dispatch.sending_mode
        ]
        parts = [
            self.env._(
                "Formal notice of %(date)s for %(invoices)s sent by %(mode)s",
                date=format_date(self.env, dispatch.date),
                invoices=", ".join(dispatch.move_ids.mapped("name")),
                mode=mode,
            )
        ]
        if dispatch.tracking_ref:
            parts.append(
                self.env._("tracking number %(ref)s", ref=dispatch.tracking_ref)
            )
        if dispatch.ack_date:
            parts.append(
                self.env._(
                    "received on %(ack)s (acknowledgement of receipt), payment "
                    "deadline %(deadline)s",
                    ack=format_date(self.env, dispatch.ack_date),
                    deadline=format_date(self.env, dispatch.deadline_date),
                )
            )
        body = Markup("<p>%s.</p>") % ", ".join(parts)
        moves = dispatch.move_ids
        moves.sudo()._message_log_batch({move.id: body for move in moves})
        dispatch.partner_id.sudo()._message_log(body=body)
