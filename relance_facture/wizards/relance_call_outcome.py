from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.relance_access import check_relance_user


class RelanceCallOutcome(models.TransientModel):
    """What came of a dunning call: recorded on the invoices and the
    customer, and acted upon (promise, dispute, new attempt)."""

    _name = "relance.call.outcome"
    _description = "Dunning Call Outcome"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        domain="[('commercial_partner_id', '=', partner_id),"
        " ('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    outcome = fields.Selection(
        [
            ("reached", "Reached"),
            ("promise", "Promise to pay"),
            ("dispute", "Dispute"),
            ("no_answer", "No answer"),
            ("wrong_number", "Wrong number"),
        ],
        required=True,
        default="reached",
    )
    promise_date = fields.Date(string="Promised Payment Date")
    dispute_type = fields.Selection(
        selection=lambda self: self.env["account.move"]
        ._fields["relance_dispute_type"]
        ._description_selection(self.env)
    )
    dispute_reason = fields.Char()
    note = fields.Text()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "account.move" and ids:
            moves = self.env["account.move"].browse(ids)
            values["partner_id"] = moves.commercial_partner_id[:1].id
            values["move_ids"] = [fields.Command.set(moves.ids)]
        elif model == "res.partner" and ids:
            partner = self.env["res.partner"].browse(ids[:1]).commercial_partner_id
            moves = self.env["account.move"].search(
                [
                    ("commercial_partner_id", "=", partner.id),
                    *self.env["account.move"]._relance_open_domain(),
                ]
            )
            values["partner_id"] = partner.id
            values["move_ids"] = [fields.Command.set(moves.ids)]
        return values

    def action_confirm(self):
        self.ensure_one()
        # the client sends the customer and the invoices: act only on what
        # this user may read, and only on that customer's invoices
        self.partner_id.check_access("read")
        self.move_ids.check_access("read")
        check_relance_user(self.env)
        if self.partner_id != self.partner_id.commercial_partner_id or any(
            move.commercial_partner_id != self.partner_id for move in self.move_ids
        ):
            raise UserError(
                self.env._("The invoices of a call must be those of its customer.")
            )
        moves = self.move_ids
        if self.outcome == "promise":
            if not self.promise_date or self.promise_date < fields.Date.context_today(
                self
            ):
                raise UserError(
                    self.env._("Give the date the customer promised to pay.")
                )
            # a Dunning User records it without the right to edit invoices
            moves.sudo().write({"relance_promise_date": self.promise_date})
        elif self.outcome == "dispute":
            if not moves or not self.dispute_type:
                raise UserError(
                    self.env._("Choose the disputed invoices and the type of dispute.")
                )
            moves.sudo().write(
                {
                    "relance_dispute": True,
                    "relance_dispute_type": self.dispute_type,
                    "relance_dispute_reason": self.dispute_reason,
                }
            )
        body = self._relance_summary()
        if moves:
            moves.sudo()._message_log_batch({move.id: body for move in moves})
        self.partner_id.sudo()._message_log_batch({self.partner_id.id: body})
        self._relance_close_call(body)
        return {"type": "ir.actions.act_window_close"}

    def _relance_summary(self):
        outcome = dict(self._fields["outcome"]._description_selection(self.env))[
            self.outcome
        ]
        parts = [self.env._("Dunning call: %(outcome)s", outcome=outcome)]
        if self.outcome == "promise":
            parts.append(
                self.env._(
                    "payment promised on %(date)s",
                    date=fields.Date.to_string(self.promise_date),
                )
            )
        if self.outcome == "dispute":
            kind = dict(self._fields["dispute_type"]._description_selection(self.env))
            parts.append(kind.get(self.dispute_type, ""))
            if self.dispute_reason:
                parts.append(self.dispute_reason)
        if self.move_ids:
            parts.append(", ".join(self.move_ids.mapped("name")))
        if self.note:
            parts.append(self.note)
        return " - ".join(p for p in parts if p)

    def _relance_close_call(self, feedback):
        """The call activity is done; a customer reached gets none of the
        emails that waited for the call; no answer schedules another attempt
        on the next day with call hours (the waiting emails still go on their
        day), a wrong number asks to fix the contact."""
        call_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        # a call is made for one company: the other companies' calls and
        # waiting emails of this shared customer are theirs
        company = self.move_ids[:1].company_id or self.env.company
        calls = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.partner_id.id),
                ("activity_type_id", "=", call_type.id),
                ("relance_company_id", "in", [company.id, False]),
            ]
        )
        user = calls[:1].user_id or self.env.user
        calls.with_context(relance_call_outcome=self.outcome).action_feedback(
            feedback=feedback
        )
        if self.outcome in ("reached", "promise", "dispute"):
            outcome = dict(self._fields["outcome"]._description_selection(self.env))
            self.env["relance.engine"].sudo()._relance_cancel_held(
                self.partner_id,
                self.env._(
                    "Email not sent: the call of %(date)s was logged (%(outcome)s).",
                    date=fields.Date.to_string(fields.Date.context_today(self)),
                    outcome=outcome[self.outcome],
                ),
                company=company,
            )
        phone = self.env["relance.channel.phone"]
        if self.outcome == "no_answer" and phone._relance_call_limit_reached(
            self.partner_id, company
        ):
            self.partner_id.sudo()._message_log_batch(
                {
                    self.partner_id.id: self.env._(
                        "No new call attempt: the limit of calls in 30 days is reached."
                    )
                }
            )
        elif self.outcome in ("no_answer", "wrong_number"):
            # a new attempt on the next day with call hours, like any call
            day, slots = company._relance_call_day(next_day=True)
            hours = company._relance_call_hours_text(slots)
            summary = (
                self.env._("Call again")
                if self.outcome == "no_answer"
                else self.env._("Find the right phone number, then call")
            )
            self.partner_id.activity_schedule(
                "relance_facture.mail_activity_type_relance_call",
                date_deadline=day,
                user_id=user.id,
                summary=f"{summary}, {hours}" if hours else summary,
                relance_company_id=company.id,
            )
