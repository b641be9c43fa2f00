from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from .relance_access import check_relance_manager, check_relance_user, check_user_writes
from .relance_level import STEP_KINDS

CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("letter", "Letter"),
    ("phone", "Phone call"),
    ("formal_notice", "Formal notice"),
    ("escalation", "Escalation"),
]


class RelanceEvent(models.Model):
    """One dunning step done (or waiting, or failed) for one invoice.

    The history of dunning: one record per (invoice, step), enforced by the
    database, so that no step is ever sent twice for an invoice.
    """

    _name = "relance.event"
    _description = "Dunning Event"
    _order = "date desc, id desc"
    _check_company_auto = True

    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True
    )
    level_id = fields.Many2one(
        "relance.level", string="Step", required=True, ondelete="restrict"
    )
    # The step as it was when the event was recorded (the history keeps it
    # when the profile is edited later), given by the planner, computed for
    # other creators. Not readonly: Odoo keeps values given at creation for
    # editable computed fields only (it recomputes readonly ones, or builds
    # a record per event for precomputed ones). Users never write them
    # (write() below).
    profile_id = fields.Many2one(
        "relance.profile",
        string="Profile",
        compute="_compute_step",
        store=True,
        readonly=False,
    )
    kind = fields.Selection(
        STEP_KINDS, compute="_compute_step", store=True, readonly=False
    )
    reminder_number = fields.Integer(
        compute="_compute_step",
        store=True,
        readonly=False,
        help="1 for the first reminder after the due date, 2 for the second...",
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True)
    channel = fields.Selection(CHANNELS, required=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    state = fields.Selection(
        [
            ("draft", "To validate"),
            ("sent", "Sent"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="draft",
        index=True,
    )
    dispatch_ids = fields.Many2many(
        "relance.dispatch",
        "relance_dispatch_event_rel",
        "event_id",
        "dispatch_id",
        string="Messages",
    )
    dispatch_id = fields.Many2one(
        "relance.dispatch",
        string="Message",
        index=True,
        help="The message to the customer that carried this step.",
    )
    mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null")
    recipient_id = fields.Many2one(related="dispatch_id.recipient_id")
    user_id = fields.Many2one("res.users", string="Person in Charge")
    amount_residual = fields.Monetary(
        string="Amount Claimed", help="Balance of the invoice when the step ran."
    )
    due_date = fields.Date(help="The due date (J) the step was computed from.")
    days_late = fields.Integer()
    note = fields.Text(help="Why a step failed, or what was done instead.")
    plan_line_id = fields.Many2one(
        "relance.payment.plan.line",
        string="Instalment",
        ondelete="restrict",
        help="The missed instalment of a payment plan this step is about.",
    )
    plan_id = fields.Many2one(
        "relance.payment.plan",
        string="Plan",
        compute="_compute_plan_id",
        store=True,
        readonly=False,
        index="btree_not_null",
    )
    message_date = fields.Date(
        help="Day the step's message goes to the customer when it is not the "
        "step's day (an email waiting for a call): the minimum gap between two "
        "messages counts from it.",
    )

    def init(self):
        # Never twice: one event per (invoice, step), and per instalment when
        # a payment plan restarts the ladder for a missed instalment.
        tools.create_unique_index(
            self.env.cr,
            "relance_event_move_level_instalment_uniq",
            self._table,
            ["move_id", "level_id", "COALESCE(plan_line_id, 0)"],
        )

    @api.depends("level_id")
    def _compute_step(self):
        for event in self:
            event.profile_id = event.level_id.profile_id
            event.kind = event.level_id.kind
            event.reminder_number = event.level_id.reminder_number

    @api.depends("plan_line_id")
    def _compute_plan_id(self):
        for event in self:
            event.plan_id = event.plan_line_id.plan_id

    @api.depends("move_id.name", "level_id.name")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.move_id.name} - {event.level_id.name}"

    def write(self, vals):
        check_user_writes(self, vals, ("note",))
        return super().write(vals)

    def _relance_check_may_send(self):
        """Formal notices and escalations go out by a Dunning Manager only."""
        check_relance_user(self.env)
        if any(
            e.kind in ("formal_notice", "escalation") or not e.level_id.auto_send
            for e in self
        ):
            check_relance_manager(self.env)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_history(self):
        raise UserError(
            self.env._("Dunning history is never deleted: cancel the event instead.")
        )

    def action_validate(self):
        """Send steps that waited for validation, through the daily engine."""
        self.check_access("read")
        check_relance_manager(self.env)
        drafts = self.filtered(lambda e: e.state == "draft")
        if drafts != self:
            raise UserError(
                self.env._("Only steps waiting for validation can be validated.")
            )
        self.env["relance.engine"].sudo()._relance_validate_events(drafts.sudo())
        return True

    def action_cancel(self):
        """Do not send this step; it stays in the history and is not proposed again."""
        if any(e.state == "sent" for e in self):
            raise UserError(self.env._("A step already sent cannot be cancelled."))
        self.check_access("read")
        self._relance_check_may_send()
        self.sudo().write({"state": "cancelled"})
        self.env["relance.engine"].sudo()._relance_close_validation_activities(
            self.sudo()
        )
        return True

    def action_relance_case_file(self):
        """Download the case file of these steps' customer (escalation)."""
        check_relance_user(self.env)
        partner = self.partner_id[:1]
        CaseFile = self.env["relance.case.file"]
        moves = (
            CaseFile._relance_default_moves(partner, self.company_id[:1]) | self.move_id
        )
        attachment = CaseFile._relance_build(partner, moves)
        return CaseFile._relance_download_action(attachment)

    def action_relance_notice_tracking(self):
        """Record the registered letter of this step's formal notice."""
        self.ensure_one()
        notice = self.dispatch_ids.filtered(lambda d: d.channel == "formal_notice")
        if not notice:
            raise UserError(self.env._("This step has no formal notice letter."))
        return notice[:1].action_relance_notice_tracking()

    def action_relance_retry(self):
        """Send failed steps again, on the channels of their step."""
        failed = self.filtered(lambda e: e.state == "failed")
        if failed != self or not failed:
            raise UserError(self.env._("Only failed steps can be sent again."))
        self.check_access("read")
        failed._relance_check_may_send()
        self.env["relance.engine"].sudo()._relance_retry_events(failed.sudo())
        still = failed.filtered(lambda e: e.state == "failed")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Dunning"),
                "message": self.env._(
                    "%(sent)s step(s) sent, %(failed)s failed again.",
                    sent=len(failed - still),
                    failed=len(still),
                ),
                "type": "warning" if still else "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
