from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount, format_date

from .relance_access import check_relance_user


class RelancePaymentPlan(models.Model):
    """A payment plan (échéancier) agreed with a customer: the balance of
    some invoices split into dated instalments. While it runs, dunning
    follows the instalments' dates instead of the invoices' due dates."""

    _name = "relance.payment.plan"
    _description = "Payment Plan"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    move_ids = fields.Many2many(
        "account.move",
        "relance_payment_plan_move_rel",
        "plan_id",
        "move_id",
        string="Invoices",
        check_company=True,
        help="The invoices whose balance the instalments pay.",
    )
    line_ids = fields.One2many(
        "relance.payment.plan.line", "plan_id", string="Instalments"
    )
    note = fields.Text(help="How and with whom the plan was agreed.")
    cancelled = fields.Boolean(readonly=True, copy=False)
    state = fields.Selection(
        [("running", "Running"), ("done", "Paid"), ("cancelled", "Cancelled")],
        compute="_compute_amounts",
        store=True,
        index=True,
        tracking=True,
    )
    amount_total = fields.Monetary(
        string="Agreed Amount", compute="_compute_amounts", store=True
    )
    amount_paid = fields.Monetary(string="Paid", compute="_compute_amounts", store=True)
    amount_residual = fields.Monetary(
        string="Left to Pay", compute="_compute_amounts", store=True
    )
    next_line_id = fields.Many2one(
        "relance.payment.plan.line",
        string="Next Instalment",
        compute="_compute_next_line_id",
        store=True,
    )
    next_date = fields.Date(
        string="Next Instalment Date", related="next_line_id.date", store=True
    )
    next_amount = fields.Monetary(
        string="Next Instalment Due", related="next_line_id.amount_residual"
    )
    is_late = fields.Boolean(
        string="Instalment Missed",
        compute="_compute_is_late",
        search="_search_is_late",
    )
    event_ids = fields.One2many(
        "relance.event", "plan_id", string="Dunning of the Instalments"
    )

    @api.model_create_multi
    def create(self, vals_list):
        # The plan's company and currency are those of its invoices.
        plans = super().create(vals_list)
        for plan in plans.filtered("move_ids"):
            if plan.currency_id != plan.move_ids.currency_id[:1]:
                plan.currency_id = plan.move_ids.currency_id[:1]
            if plan.company_id != plan.move_ids.company_id[:1]:
                plan.company_id = plan.move_ids.company_id[:1]
        return plans

    @api.depends("cancelled", "line_ids.amount", "move_ids.amount_residual")
    def _compute_amounts(self):
        for plan in self:
            total = sum(plan.line_ids.mapped("amount"))
            # What is still owed on the invoices is what is left of the plan;
            # payments (and credit notes) settle the instalments in date order.
            left = min(max(sum(plan.move_ids.mapped("amount_residual")), 0.0), total)
            plan.amount_total = total
            plan.amount_residual = left
            plan.amount_paid = total - left
            if plan.cancelled:
                plan.state = "cancelled"
            elif plan.line_ids and plan.currency_id.is_zero(left):
                plan.state = "done"
            else:
                plan.state = "running"

    @api.depends("state", "line_ids.date", "line_ids.amount_residual")
    def _compute_next_line_id(self):
        for plan in self:
            unpaid = plan.line_ids.filtered(lambda line: not line.is_paid)
            plan.next_line_id = (
                plan.state == "running" and unpaid.sorted(lambda x: (x.date, x.id))[:1]
            )

    def _compute_is_late(self):
        today = fields.Date.context_today(self)
        for plan in self:
            plan.is_late = bool(
                plan.state == "running" and plan.next_date and plan.next_date < today
            )

    def _search_is_late(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on missed instalments."))
        today = fields.Date.context_today(self)
        domain = [("state", "=", "running"), ("next_date", "<", today)]
        return domain if (operator == "=") == value else ["!", *domain]

    @api.depends("partner_id", "line_ids")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = self.env._(
                "%(customer)s: %(count)s instalments",
                customer=plan.partner_id.name or "",
                count=len(plan.line_ids),
            )

    def _relance_schedule_html(self):
        """The instalments as a short list, for the chatter."""
        self.ensure_one()
        items = Markup().join(
            Markup("<li>%s: %s</li>")
            % (
                format_date(self.env, line.date),
                format_amount(self.env, line.amount, self.currency_id),
            )
            for line in self.line_ids.sorted("date")
        )
        return Markup("<ul>%s</ul>") % items

    def action_cancel(self):
        """The plan is over (renegotiated or abandoned): the invoices go back
        to their own due dates, one dunning step at a time."""
        check_relance_user(self.env)
        running = self.filtered(lambda p: p.state == "running")
        if running != self:
            raise UserError(self.env._("Only running payment plans can be cancelled."))
        for plan in self:
            moves = plan.move_ids.filtered(lambda m, p=plan: m.relance_plan_id == p)
            moves.write({"relance_plan_id": False, "relance_resume_one_step": True})
            body = self.env._(
                "Payment plan cancelled: dunning follows the invoice's due date again."
            )
            moves._message_log_batch(dict.fromkeys(moves.ids, body))
        self.write({"cancelled": True})
        return True

    def action_open_invoices(self):
        self.ensure_one()
        return self.move_ids._relance_list_action()
