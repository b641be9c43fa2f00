from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import ladder

RELANCE_STATES = [
    ("not_due", "Not due"),
    ("courtesy", "Courtesy reminder sent"),
    ("overdue", "Overdue"),
    ("reminder_1", "Reminder 1"),
    ("reminder_2", "Reminder 2"),
    ("reminder_3", "Reminder 3"),
    ("to_validate", "Waiting for validation"),
    ("formal_notice", "Formal notice sent"),
    ("escalated", "Escalated"),
    ("paused", "Paused"),
    ("excluded", "Excluded"),
    ("in_payment", "In payment"),
    ("paid", "Paid"),
]

# Fields the daily run plans with; pre-created by the pre_init_hook so that
# installing on a large book does not compute them for every past invoice.
RELANCE_STORED_COMPUTES = {
    "relance_profile_id": "int4",
    "relance_due_date": "date",
    "relance_level_id": "int4",
    "relance_last_date": "date",
    "relance_next_level_id": "int4",
    "relance_next_date": "date",
    "relance_state": "varchar",
}


class AccountMove(models.Model):
    _inherit = "account.move"

    relance_profile_id = fields.Many2one(
        "relance.profile",
        string="Dunning Profile",
        compute="_compute_relance_profile_id",
        store=True,
        readonly=False,
        copy=False,
        help="The customer's profile when the invoice entered dunning; can be "
        "changed for this invoice only.",
    )
    relance_excluded = fields.Boolean(
        string="Excluded from Dunning", copy=False, tracking=True
    )
    relance_dispute = fields.Boolean(
        string="Disputed",
        copy=False,
        tracking=True,
        help="Dunning stops for this invoice until the dispute is cleared.",
    )
    relance_dispute_reason = fields.Char(string="Dispute Reason", copy=False)
    relance_promise_date = fields.Date(
        string="Promised Payment Date",
        copy=False,
        tracking=True,
        help="Dunning pauses until this date plus the grace period.",
    )
    relance_event_ids = fields.One2many(
        "relance.event", "move_id", string="Dunning History", copy=False
    )
    relance_due_date = fields.Date(
        string="Dunning Due Date",
        compute="_compute_relance_due_date",
        store=True,
        help="J: the due date of the earliest unpaid instalment.",
    )
    relance_level_id = fields.Many2one(
        "relance.level",
        string="Last Dunning Step",
        compute="_compute_relance_level_id",
        store=True,
    )
    relance_last_date = fields.Date(
        string="Last Dunning Date", compute="_compute_relance_level_id", store=True
    )
    relance_next_level_id = fields.Many2one(
        "relance.level",
        string="Next Dunning Step",
        compute="_compute_relance_next",
        store=True,
    )
    relance_next_date = fields.Date(
        string="Next Dunning Date",
        compute="_compute_relance_next",
        store=True,
        index=True,
    )
    relance_state = fields.Selection(
        RELANCE_STATES,
        string="Dunning Status",
        compute="_compute_relance_state",
        store=True,
        index=True,
    )

    @api.depends(
        "commercial_partner_id.relance_profile_mode",
        "commercial_partner_id.relance_profile_manual_id",
        "commercial_partner_id.relance_profile_auto_id",
    )
    def _compute_relance_profile_id(self):
        for move in self:
            # The profile is frozen once the invoice has entered dunning.
            if move.relance_event_ids and move.relance_profile_id:
                continue
            if move.move_type != "out_invoice" or not move.commercial_partner_id:
                move.relance_profile_id = False
                continue
            partner = move.commercial_partner_id.with_company(move.company_id)
            move.relance_profile_id = partner.relance_profile_id

    @api.depends("line_ids.date_maturity", "line_ids.reconciled", "invoice_date_due")
    def _compute_relance_due_date(self):
        for move in self:
            open_terms = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
                and not line.reconciled
                and line.date_maturity
            )
            move.relance_due_date = (
                min(open_terms.mapped("date_maturity"))
                if open_terms
                else move.invoice_date_due
            )

    @api.depends("relance_event_ids.state", "relance_event_ids.date")
    def _compute_relance_level_id(self):
        for move in self:
            done = move.relance_event_ids.filtered(
                lambda e: e.state in ("sent", "failed")
            )
            last = done.sorted(lambda e: (e.date, e.level_id.sequence, e.id))[-1:]
            move.relance_level_id = last.level_id
            move.relance_last_date = last.date

    @api.depends(
        "state",
        "move_type",
        "payment_state",
        "amount_residual",
        "relance_due_date",
        "relance_profile_id.level_ids",
        "relance_profile_id.level_ids.offset_days",
        "relance_profile_id.level_ids.sequence",
        "relance_profile_id.level_ids.auto_send",
        "relance_event_ids.state",
        "relance_event_ids.date",
        "relance_excluded",
        "relance_dispute",
        "relance_promise_date",
        "commercial_partner_id.relance_excluded",
    )
    def _compute_relance_next(self):
        today = fields.Date.context_today(self)
        plans = self._relance_plan(today)
        for move in self:
            plan = plans.get(move) or ladder.Plan()
            move.relance_next_level_id = plan.next_step and plan.next_step.key
            move.relance_next_date = plan.next_date or move._relance_resume_date(today)

    def _relance_resume_date(self, today):
        """A promise to pay pauses dunning until its date plus the grace
        period: the day after, the daily run takes the invoice up again."""
        self.ensure_one()
        if (
            self.relance_dispute
            or not self.relance_promise_date
            or not self._relance_is_open()
        ):
            return False
        grace = self.company_id.relance_promise_grace_days
        resume = fields.Date.add(self.relance_promise_date, days=grace + 1)
        return resume if resume > today else False

    @api.depends(
        "state",
        "move_type",
        "payment_state",
        "relance_due_date",
        "relance_level_id",
        "relance_event_ids.state",
        "relance_excluded",
        "relance_dispute",
        "relance_promise_date",
        "commercial_partner_id.relance_excluded",
    )
    def _compute_relance_state(self):
        today = fields.Date.context_today(self)
        for move in self:
            move.relance_state = move._relance_current_state(today)

    def _relance_current_state(self, today):
        self.ensure_one()
        if self.move_type != "out_invoice" or self.state != "posted":
            return False
        if self.payment_state in ("paid", "reversed"):
            return "paid"
        if self.payment_state == "in_payment":
            return "in_payment"
        if self.relance_excluded or self.commercial_partner_id.relance_excluded:
            return "excluded"
        if self._relance_is_paused(today):
            return "paused"
        if any(e.state == "draft" for e in self.relance_event_ids):
            return "to_validate"
        level = self.relance_level_id
        if level.kind == ladder.PRE_DUE and not self._relance_is_late(today):
            return "courtesy"
        if level.kind == ladder.REMINDER:
            return f"reminder_{min(level.reminder_number, 3) or 1}"
        if level.kind == ladder.FORMAL_NOTICE:
            return "formal_notice"
        if level.kind == ladder.ESCALATION:
            return "escalated"
        return "overdue" if self._relance_is_late(today) else "not_due"

    def _relance_is_late(self, today):
        self.ensure_one()
        return bool(self.relance_due_date and self.relance_due_date < today)

    def _relance_is_paused(self, today):
        """Dispute, or a promise to pay whose date plus grace is not yet over."""
        self.ensure_one()
        if self.relance_dispute:
            return True
        if self.relance_promise_date:
            grace = self.company_id.relance_promise_grace_days
            return today <= fields.Date.add(self.relance_promise_date, days=grace)
        return False

    @api.model
    def _relance_open_domain(self):
        """Customer invoices that can be reminded (before the dunning filters)."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("amount_residual", ">", 0),
        ]

    def _relance_is_open(self):
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state in ("not_paid", "partial")
            and self.company_currency_id.compare_amounts(self.amount_residual, 0) > 0
        )

    def _relance_can_remind(self, today):
        """Open, not excluded, not paused, with a profile that has steps."""
        self.ensure_one()
        return (
            self._relance_is_open()
            and not self.relance_excluded
            and not self.commercial_partner_id.relance_excluded
            and not self._relance_is_paused(today)
            and bool(self.relance_profile_id.level_ids)
            and bool(self.relance_due_date)
        )

    def _relance_plan(self, today, force=False):
        """Plan every invoice of ``self`` for ``today``: {move: ladder.Plan}.

        ``force`` ("send now") takes the next step even if its day or the
        minimum gap has not come yet.
        """
        result = {}
        steps_cache = {}
        for move in self:
            if not move._relance_can_remind(today):
                continue
            profile = move.relance_profile_id
            if profile not in steps_cache:
                steps_cache[profile] = [
                    lvl._relance_step() for lvl in profile.level_ids
                ]
            events = move.relance_event_ids
            sent = events.filtered(
                lambda e: e.state == "sent" and e.level_id._relance_is_customer_facing()
            )
            plan = ladder.plan(
                steps_cache[profile],
                due_date=move.relance_due_date,
                today=today,
                done_keys=events.level_id.ids,
                pending=any(e.state == "draft" for e in events),
                last_message_date=max(sent.mapped("date"), default=None),
                min_gap_days=move.company_id.relance_min_gap_days,
                residual=move.amount_residual_signed,
                small_threshold=profile._relance_small_amount_threshold(
                    move.company_id
                ),
            )
            if force and not plan.due_step and plan.next_step:
                plan = ladder.Plan(plan.next_step, plan.next_step, today)
            result[move] = plan
        return result

    def action_relance_send_now(self):
        """Run the next dunning step of these invoices now, through the engine."""
        invoices = self.filtered(lambda m: m.move_type == "out_invoice")
        if not invoices:
            raise UserError(self.env._("Select customer invoices to remind."))
        events = self.env["relance.engine"]._relance_run_moves(invoices, force=True)
        if not events:
            raise UserError(
                self.env._(
                    "Nothing to send: the selected invoices are paid, excluded, "
                    "paused, or have gone through every step of their profile."
                )
            )
        sent = events.filtered(lambda e: e.state == "sent")
        waiting = events.filtered(lambda e: e.state == "draft")
        failed = events.filtered(lambda e: e.state == "failed")
        message = self.env._(
            "%(sent)s step(s) sent, %(waiting)s waiting for validation, "
            "%(failed)s failed.",
            sent=len(sent),
            waiting=len(waiting),
            failed=len(failed),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Dunning"),
                "message": message,
                "type": "warning" if failed else "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
