"""What a customer answered to a reminder: from the reminder's link (already
paid, a promise, a dispute, a payment plan request) or by replying to its
email. Each answer drives the ladder like the matching call outcome and gives
the person in charge an activity."""

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from .relance_access import check_relance_user

ANSWER_KINDS = [
    ("paid", "Already paid"),
    ("promise", "Promise to pay"),
    ("dispute", "Dispute"),
    ("plan", "Payment plan request"),
    ("reply", "Reply to a reminder"),
]

# Days an answer counts as recent on the workspace.
RECENT_ANSWER_DAYS = 7


class RelanceAnswer(models.Model):
    _name = "relance.answer"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Customer Answer"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["partner_id", "move_ids"]

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    move_ids = fields.Many2many(
        "account.move",
        "relance_answer_move_rel",
        "answer_id",
        "move_id",
        string="Invoices",
        readonly=True,
        check_company=True,
    )
    kind = fields.Selection(ANSWER_KINDS, required=True, readonly=True)
    source = fields.Selection(
        [("portal", "Reminder's link"), ("email", "Email reply")],
        required=True,
        readonly=True,
    )
    date = fields.Datetime(
        string="Received On", required=True, default=fields.Datetime.now, readonly=True
    )
    state = fields.Selection(
        [("new", "To handle"), ("done", "Handled")],
        required=True,
        default="new",
        index=True,
        tracking=True,
    )
    user_id = fields.Many2one("res.users", string="Person in Charge", readonly=True)
    paid_date = fields.Date(string="Paid On", readonly=True)
    payment_ref = fields.Char(string="Payment Reference", readonly=True)
    promise_date = fields.Date(string="Promised Payment Date", readonly=True)
    dispute_type = fields.Selection(
        selection=lambda self: self.env["account.move"]
        ._fields["relance_dispute_type"]
        ._description_selection(self.env),
        readonly=True,
    )
    instalment_count = fields.Integer(string="Instalments Asked", readonly=True)
    comment = fields.Text(string="Customer's Words", readonly=True)
    attachment_ids = fields.Many2many(
        "ir.attachment", string="Files", readonly=True, copy=False
    )
    dispatch_id = fields.Many2one(
        "relance.dispatch",
        string="Reminder Answered",
        readonly=True,
        index="btree_not_null",
        help="The reminder email the customer replied to.",
    )
    message_answer_id = fields.Many2one(
        "mail.message", string="Reply", readonly=True, ondelete="set null"
    )
    summary = fields.Char(compute="_compute_summary")

    @api.depends("kind", "partner_id")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for answer in self:
            answer.display_name = (
                f"{kinds.get(answer.kind, '')} - {answer.partner_id.display_name}"
            )

    @api.depends(
        "kind",
        "paid_date",
        "payment_ref",
        "promise_date",
        "dispute_type",
        "instalment_count",
        "move_ids",
    )
    def _compute_summary(self):
        for answer in self:
            answer.summary = answer._relance_summary()

    def _relance_summary(self):
        """One line saying what the customer answered, for the chatter."""
        self.ensure_one()
        kind = dict(self._fields["kind"]._description_selection(self.env))
        parts = [kind.get(self.kind, "")]
        if self.kind == "paid" and self.paid_date:
            parts.append(
                self.env._(
                    "paid on %(date)s", date=format_date(self.env, self.paid_date)
                )
            )
            if self.payment_ref:
                parts.append(self.payment_ref)
        elif self.kind == "promise" and self.promise_date:
            parts.append(
                self.env._(
                    "payment promised on %(date)s",
                    date=format_date(self.env, self.promise_date),
                )
            )
        elif self.kind == "dispute" and self.dispute_type:
            types = dict(self._fields["dispute_type"]._description_selection(self.env))
            parts.append(types.get(self.dispute_type, ""))
        elif self.kind == "plan" and self.instalment_count:
            parts.append(
                self.env._("%(count)s instalments", count=self.instalment_count)
            )
        if self.move_ids:
            parts.append(", ".join(self.move_ids.mapped("name")))
        return " - ".join(p for p in parts if p)

    # ---- Recording ----
    @api.model
    def _relance_record(self, vals):
        """Create an answer (as the system: the customer has no user) and
        apply it to the ladder. ``vals`` holds the answer's fields."""
        # the system records it: the page's visitor is the public user
        answer = (
            self.with_user(SUPERUSER_ID)
            .with_context(mail_create_nosubscribe=True)
            .create(vals)
        )
        answer._relance_apply()
        return answer

    def _relance_apply(self):
        """The rules of the matching call outcome: a promise pauses until its
        date plus grace, a dispute pauses, "already paid" and a reply pause for
        the days set in the settings; then the chatter and the person in charge."""
        today = fields.Date.context_today(self)
        for answer in self:
            moves = answer.move_ids.sudo()
            company = answer.company_id
            if answer.kind == "promise":
                moves.write({"relance_promise_date": answer.promise_date})
            elif answer.kind == "dispute":
                moves.write(
                    {
                        "relance_dispute": True,
                        "relance_dispute_type": answer.dispute_type,
                        "relance_dispute_reason": (answer.comment or "")[:250],
                    }
                )
            elif answer.kind == "paid":
                moves._relance_pause(
                    fields.Date.add(today, days=company.relance_paid_claim_days)
                )
            elif answer.kind == "reply":
                open_moves = (
                    self.env["account.move"]
                    .sudo()
                    .search(
                        [
                            ("commercial_partner_id", "=", answer.partner_id.id),
                            ("company_id", "=", company.id),
                            *self.env["account.move"]._relance_open_domain(),
                        ]
                    )
                )
                open_moves._relance_pause(
                    fields.Date.add(today, days=company.relance_reply_pause_days)
                )
            answer._relance_log()
            answer._relance_schedule_activity()

    def _relance_log(self):
        """The answer in the chatter of its invoices and of its customer."""
        self.ensure_one()
        body = self.env._(
            "Customer answer (%(origin)s): %(summary)s",
            origin=dict(self._fields["source"]._description_selection(self.env))[
                self.source
            ],
            summary=self._relance_summary(),
        )
        if self.comment:
            body = Markup("%s<br/>%s") % (body, self.comment)
        moves = self.move_ids.sudo()
        # written by the customer (the contact who replied, else the customer)
        author = self.message_answer_id.author_id or self.partner_id
        if moves:
            moves._message_log_batch(
                {move.id: body for move in moves}, author_id=author.id
            )
        self.partner_id.sudo()._message_log_batch(
            {self.partner_id.id: body}, author_id=author.id
        )

    def _relance_schedule_activity(self):
        """An activity for the person in charge: Odoo notifies the assignee."""
        self.ensure_one()
        user = self.partner_id._relance_responsible(self.company_id)
        summaries = {
            "paid": self.env._("Find the payment the customer says was made"),
            "promise": self.env._("Note the customer's promise to pay"),
            "dispute": self.env._("Look into the customer's dispute"),
            "plan": self.env._("Agree a payment plan with the customer"),
            "reply": self.env._("Answer the customer's reply"),
        }
        self.sudo().write({"user_id": user.id})
        self.sudo().activity_schedule(
            "relance_facture.mail_activity_type_relance_answer",
            user_id=user.id,
            summary=summaries[self.kind],
            note=self._relance_summary(),
        )

    # ---- Actions ----
    def action_relance_done(self):
        """Mark the answers handled; their activities are done with them."""
        check_relance_user(self.env)
        self.check_access("write")
        self.sudo().activity_ids.action_feedback(feedback=self.env._("Answer handled."))
        self.sudo().write({"state": "done"})
        return True

    def action_relance_agree_plan(self):
        """The payment plan wizard for the answer's invoices still open."""
        self.ensure_one()
        check_relance_user(self.env)
        moves = self.move_ids.filtered(lambda m: m._relance_is_open())
        if not moves:
            raise UserError(
                self.env._("The invoices of this answer are no longer open.")
            )
        action = self.env["relance.payment.schedule"]._relance_open_for(moves)
        if self.instalment_count:
            action["context"]["default_instalment_count"] = self.instalment_count
        return action

    def action_relance_open_invoices(self):
        self.ensure_one()
        return self.move_ids._relance_list_action()

    def _relance_activities_done(self):
        """Called when the answers' last activity is done: they are handled."""
        pending = self.filtered(lambda a: a.state == "new" and not a.activity_ids)
        pending.sudo().write({"state": "done"})
