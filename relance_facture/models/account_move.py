from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import create_index

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
    ("proceedings", "In collective proceedings"),
    ("paused", "Paused"),
    ("plan", "Payment plan"),
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
    "relance_dispute_date": "date",
    # empty (False) is right for every invoice that is not open
    "relance_prescription_date": "date",
    "relance_prescription_warned": "bool",
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
        check_company=True,
        help="The customer's profile when the invoice entered dunning; can be "
        "changed for this invoice only.",
        groups="base.group_user",
    )
    relance_excluded = fields.Boolean(
        string="Excluded from Dunning",
        copy=False,
        tracking=True,
        groups="base.group_user",
    )
    relance_dispute = fields.Boolean(
        string="Disputed",
        copy=False,
        tracking=True,
        help="Dunning stops for this invoice until the dispute is cleared.",
        groups="base.group_user",
    )
    relance_dispute_type = fields.Selection(
        [
            ("quality", "Quality or quantity"),
            ("price", "Price or invoicing error"),
            ("delivery", "Not delivered or not received"),
            ("other", "Other"),
        ],
        string="Dispute Type",
        copy=False,
        groups="base.group_user",
    )
    relance_dispute_reason = fields.Char(
        string="Dispute Reason", copy=False, groups="base.group_user"
    )
    relance_resume_one_step = fields.Boolean(
        copy=False,
        help="Set when dunning resumes after a dispute or a promise: the next run "
        "sends the next step only, not a catch-up to the highest.",
        groups="base.group_user",
    )
    relance_promise_broken = fields.Date(
        string="Promise Not Kept",
        copy=False,
        readonly=True,
        help="Date of the last promise to pay that was not kept.",
        groups="base.group_user",
    )
    relance_dispute_date = fields.Date(
        string="Disputed Since",
        compute="_compute_relance_dispute_date",
        store=True,
        copy=False,
        help="Day the dispute was recorded; the workspace lists new disputes.",
        groups="base.group_user",
    )
    relance_paused_until = fields.Date(
        string="Dunning Paused Until",
        copy=False,
        tracking=True,
        help="Dunning waits until this day included: set by a customer's answer "
        "(already paid, a reply to a reminder) while the person in charge looks "
        "into it.",
        groups="base.group_user",
    )
    relance_promise_date = fields.Date(
        string="Promised Payment Date",
        copy=False,
        tracking=True,
        help="Dunning pauses until this date plus the grace period.",
        groups="base.group_user",
    )
    relance_event_ids = fields.One2many(
        "relance.event",
        "move_id",
        string="Dunning History",
        copy=False,
        groups="base.group_user",
    )
    relance_plan_id = fields.Many2one(
        "relance.payment.plan",
        string="Payment Plan",
        copy=False,
        readonly=True,
        check_company=True,
        index="btree_not_null",
        tracking=True,
        help="The payment plan agreed for this invoice: dunning follows the "
        "dates of its instalments.",
        groups="base.group_user",
    )
    relance_plan_line_ids = fields.One2many(
        related="relance_plan_id.line_ids",
        string="Instalments",
        groups="base.group_user",
    )
    relance_plan_state = fields.Selection(
        related="relance_plan_id.state", groups="base.group_user"
    )
    relance_due_date = fields.Date(
        string="Dunning Due Date",
        compute="_compute_relance_due_date",
        store=True,
        help="J: the due date of the earliest unpaid instalment.",
        groups="base.group_user",
    )
    relance_level_id = fields.Many2one(
        "relance.level",
        string="Last Dunning Step",
        compute="_compute_relance_level_id",
        store=True,
        groups="base.group_user",
    )
    relance_last_date = fields.Date(
        string="Last Dunning Date",
        compute="_compute_relance_level_id",
        store=True,
        groups="base.group_user",
    )
    relance_next_level_id = fields.Many2one(
        "relance.level",
        string="Next Dunning Step",
        compute="_compute_relance_next",
        store=True,
        groups="base.group_user",
    )
    relance_next_date = fields.Date(
        string="Next Dunning Date",
        compute="_compute_relance_next",
        store=True,
        index=True,
        groups="base.group_user",
    )
    relance_penalty_invoice_id = fields.Many2one(
        "account.move",
        string="Penalty Invoice",
        copy=False,
        readonly=True,
        help="The invoice of the penalties and indemnity of this invoice.",
        groups="base.group_user",
    )
    relance_penalty_origin_ids = fields.One2many(
        "account.move",
        "relance_penalty_invoice_id",
        string="Penalised Invoices",
        readonly=True,
        groups="base.group_user",
    )
    relance_thanked = fields.Boolean(
        copy=False, readonly=True, groups="base.group_user"
    )
    relance_answer_ids = fields.Many2many(
        "mail.message",
        compute="_compute_relance_answer_ids",
        string="Customer Answers",
        help="What the customer wrote about this invoice (emails, portal).",
        groups="base.group_user",
    )
    relance_payment_term_warning = fields.Char(
        compute="_compute_relance_payment_term_warning", groups="base.group_user"
    )
    relance_partner_chronic = fields.Boolean(
        related="commercial_partner_id.relance_chronic",
        string="Chronic Late Payer",
        groups="base.group_user",
    )
    relance_partner_reason = fields.Char(
        related="commercial_partner_id.relance_profile_reason", groups="base.group_user"
    )
    relance_state = fields.Selection(
        RELANCE_STATES,
        string="Dunning Status",
        compute="_compute_relance_state",
        store=True,
        index=True,
        groups="base.group_user",
    )

    def init(self):
        res = super().init()
        # a batch of the daily run reads its customers' due invoices only
        create_index(
            self.env.cr,
            indexname="account_move_relance_customer_next_idx",
            tablename=self._table,
            expressions=["commercial_partner_id", "relance_next_date"],
            where="relance_next_date IS NOT NULL",
        )
        # a customer's open invoices, read for every message (the other
        # open invoices it summarises) and by the statistics: Odoo has no
        # index on the commercial partner, and a scan grows with the book
        create_index(
            self.env.cr,
            indexname="account_move_relance_customer_invoice_idx",
            tablename=self._table,
            expressions=["commercial_partner_id"],
            where="move_type = 'out_invoice'",
        )
        return res

    # ---- Computes ----
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

    @api.depends("relance_dispute")
    def _compute_relance_dispute_date(self):
        today = fields.Date.context_today(self)
        for move in self:
            if not move.relance_dispute:
                move.relance_dispute_date = False
            elif not move.relance_dispute_date:
                move.relance_dispute_date = today

    @api.depends(
        "line_ids.date_maturity",
        "line_ids.reconciled",
        "invoice_date_due",
        "relance_plan_id.next_date",
    )
    def _compute_relance_due_date(self):
        for move in self:
            # a running payment plan: J is the date of the unpaid instalment
            instalment = move._relance_plan_line()
            if instalment:
                move.relance_due_date = instalment.date
                continue
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
        "relance_event_ids.message_date",
        "relance_excluded",
        "relance_dispute",
        "relance_promise_date",
        "relance_paused_until",
        "relance_plan_id.next_line_id",
        "commercial_partner_id.relance_excluded",
        "commercial_partner_id.relance_proceedings_date",
    )
    def _compute_relance_next(self):
        today = fields.Date.context_today(self)
        plans = self.env["relance.planner"]._relance_plan_invoices(self, today)
        for move in self:
            plan = plans.get(move) or ladder.Plan()
            move.relance_next_level_id = plan.next_step and plan.next_step.key
            move.relance_next_date = plan.next_date or move._relance_resume_date(today)

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
        "relance_paused_until",
        "relance_plan_id.next_line_id",
        "commercial_partner_id.relance_excluded",
        "commercial_partner_id.relance_proceedings_date",
    )
    def _compute_relance_state(self):
        today = fields.Date.context_today(self)
        for move in self:
            move.relance_state = move._relance_current_state(today)
        # The customers' stages follow; a recompute scheduled by the daily
        # run (not by a change of a dependency) would not trigger them.
        partners = self.filtered(lambda m: isinstance(m.id, int)).commercial_partner_id
        if partners:
            self.env.add_to_compute(partners._fields["relance_stage"], partners)

    def _compute_relance_answer_ids(self):
        messages = self.env["mail.message"].search(
            [
                ("model", "=", "account.move"),
                ("res_id", "in", self.ids),
                ("message_type", "in", ("email", "comment")),
                (
                    "author_id.commercial_partner_id",
                    "in",
                    self.commercial_partner_id.ids,
                ),
            ]
        )
        by_move = messages.grouped("res_id")
        for move in self:
            move.relance_answer_ids = by_move.get(move.id, messages.browse())

    @api.depends("invoice_date", "invoice_date_due", "move_type", "partner_id")
    def _compute_relance_payment_term_warning(self):
        for move in self:
            move.relance_payment_term_warning = move._relance_payment_term_excess()

    # ---- CRUD ----
    @api.ondelete(at_uninstall=False)
    def _unlink_except_relance_history(self):
        # the dunning history of an invoice is kept: cancel the invoice instead
        reminded = (
            self.env["relance.event"]
            .sudo()
            .search([("move_id", "in", self.ids)])
            .move_id
        )
        if reminded:
            raise UserError(
                self.env._(
                    "%(invoices)s went through dunning: cancel the invoice instead of "
                    "deleting it, the dunning history is kept.",
                    invoices=", ".join(reminded.mapped("display_name")),
                )
            )

    def write(self, vals):
        # EXTENDS account: clearing a dispute resumes dunning one step at a time
        if vals.get("relance_dispute") is False:
            disputed = self.filtered("relance_dispute")
            res = super().write(vals)
            if disputed:
                disputed.with_context(tracking_disable=True).write(
                    {"relance_resume_one_step": True}
                )
            return res
        return super().write(vals)

    # ---- Dunning state ----
    def _relance_current_state(self, today):
        self.ensure_one()
        if self.move_type != "out_invoice" or self.state != "posted":
            return False
        if self.payment_state in ("paid", "reversed"):
            return "paid"
        if self.payment_state == "in_payment":
            return "in_payment"
        if self._relance_in_proceedings():
            return "proceedings"
        if self.relance_excluded or self.commercial_partner_id.relance_excluded:
            return "excluded"
        if self._relance_is_paused(today):
            return "paused"
        events = self._relance_cycle_events()
        if any(e.state == "draft" for e in events):
            return "to_validate"
        level = self.relance_level_id
        if self._relance_plan_line():
            if not self._relance_is_late(today):
                return "plan"
            # a missed instalment: the steps of its own ladder
            done = events.filtered(lambda e: e.state in ("sent", "failed"))
            level = done.sorted(lambda e: (e.date, e.level_id.sequence, e.id))[
                -1:
            ].level_id
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
        """Dispute, a pause after a customer's answer, or a promise to pay
        whose date plus grace is not yet over."""
        self.ensure_one()
        if self.relance_dispute:
            return True
        if self.relance_paused_until and today <= self.relance_paused_until:
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
            # amount_residual is in the company's currency (read through the
            # company: the related company_currency_id costs a compute)
            and self.company_id.currency_id.compare_amounts(self.amount_residual, 0) > 0
        )

    def _relance_can_remind(self, today):
        """Open, not excluded, not paused, with a profile that has steps."""
        self.ensure_one()
        return (
            self._relance_is_open()
            and not self.relance_excluded
            and not self.commercial_partner_id.relance_excluded
            and not self._relance_in_proceedings()
            and not self._relance_is_paused(today)
            and bool(self.relance_profile_id.level_ids)
            and bool(self.relance_due_date)
        )
