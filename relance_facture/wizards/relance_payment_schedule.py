from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount

from ..models.relance_access import check_relance_user


class RelancePaymentSchedule(models.TransientModel):
    """Agree a payment plan: split the balance of a customer's invoices into
    dated instalments, then dunning follows those dates."""

    _name = "relance.payment.schedule"
    _description = "Agree a Payment Plan"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    company_id = fields.Many2one("res.company", required=True)
    currency_id = fields.Many2one("res.currency", required=True)
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id),"
        " ('company_id', '=', company_id), ('currency_id', '=', currency_id),"
        " ('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('payment_state', 'in', ('not_paid', 'partial')),"
        " ('relance_plan_id', '=', False)]",
    )
    amount_total = fields.Monetary(
        string="Balance to Split", compute="_compute_amount_total"
    )
    instalment_count = fields.Integer(string="Instalments", default=3)
    first_date = fields.Date(
        string="First Instalment",
        required=True,
        default=lambda self: fields.Date.context_today(self) + relativedelta(months=1),
    )
    interval = fields.Selection(
        [("weekly", "Every week"), ("monthly", "Every month")],
        string="Frequency",
        required=True,
        default="monthly",
    )
    line_ids = fields.One2many(
        "relance.payment.schedule.line",
        "schedule_id",
        string="Instalments Agreed",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
    )
    lines_total = fields.Monetary(compute="_compute_amount_total")
    note = fields.Text(
        string="Agreement", help="How and with whom the plan was agreed."
    )

    @api.model
    def _relance_open_for(self, moves):
        """The wizard for these invoices, or for every open invoice of the
        customer when called from the customer."""
        if not moves:
            raise UserError(self.env._("Select open customer invoices."))
        moves.check_access("read")
        partners = moves.commercial_partner_id
        if len(partners) > 1 or len(moves.company_id) > 1:
            raise UserError(
                self.env._(
                    "A payment plan is agreed with one customer of one company: "
                    "select the invoices of a single customer."
                )
            )
        if len(moves.currency_id) > 1:
            raise UserError(
                self.env._("The invoices of a payment plan must share one currency.")
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Agree a Payment Plan"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": partners.id,
                "default_company_id": moves.company_id.id,
                "default_currency_id": moves.currency_id.id,
                "default_move_ids": [Command.set(moves.ids)],
            },
        }

    @api.depends("move_ids", "line_ids.amount")
    def _compute_amount_total(self):
        for schedule in self:
            schedule.amount_total = sum(schedule.move_ids.mapped("amount_residual"))
            schedule.lines_total = sum(schedule.line_ids.mapped("amount"))

    @api.depends("move_ids", "instalment_count", "first_date", "interval")
    def _compute_line_ids(self):
        for schedule in self:
            schedule.line_ids = [Command.clear()] + [
                Command.create({"date": day, "amount": amount})
                for day, amount in schedule._relance_split()
            ]

    def _relance_split(self):
        """Equal instalments, the rounding difference on the last one."""
        self.ensure_one()
        count = self.instalment_count
        total = sum(self.move_ids.mapped("amount_residual"))
        if count <= 0 or not self.first_date or total <= 0:
            return []
        currency = self.currency_id or self.env.company.currency_id
        part = currency.round(total / count)
        step = (
            relativedelta(weeks=1)
            if self.interval == "weekly"
            else relativedelta(months=1)
        )
        result = []
        for index in range(count):
            amount = part if index < count - 1 else currency.round(total - part * index)
            result.append((self.first_date + step * index, amount))
        return result

    def _relance_check(self):
        self.ensure_one()
        moves = self.move_ids
        currency = self.currency_id
        if not moves:
            raise UserError(self.env._("Select the invoices the plan pays."))
        # the client sends the invoices: only those this user may read, all
        # of the plan's customer, company and currency
        moves.check_access("read")
        foreign = moves.filtered(
            lambda m: m.commercial_partner_id != self.partner_id.commercial_partner_id
            or m.company_id != self.company_id
            or m.currency_id != currency
        )
        if foreign:
            raise UserError(
                self.env._(
                    "A payment plan pays invoices of its customer, company and "
                    "currency only; not %(names)s.",
                    names=", ".join(foreign.mapped("name")),
                )
            )
        not_open = moves.filtered(lambda m: not m._relance_is_open())
        if not_open:
            raise UserError(
                self.env._(
                    "These invoices are not open customer invoices: %(names)s.",
                    names=", ".join(not_open.mapped("name")),
                )
            )
        planned = moves.filtered("relance_plan_id")
        if planned:
            raise UserError(
                self.env._(
                    "These invoices already follow a payment plan: %(names)s. "
                    "Cancel it first.",
                    names=", ".join(planned.mapped("name")),
                )
            )
        if not self.line_ids:
            raise UserError(self.env._("Add at least one instalment."))
        if any(currency.compare_amounts(line.amount, 0) <= 0 for line in self.line_ids):
            raise UserError(self.env._("Every instalment must be a positive amount."))
        dates = self.line_ids.mapped("date")
        if not all(dates) or len(set(dates)) != len(dates):
            raise UserError(self.env._("Each instalment needs its own date."))
        if min(dates) < fields.Date.context_today(self):
            raise UserError(self.env._("An instalment cannot be dated in the past."))
        if currency.compare_amounts(self.lines_total, self.amount_total):
            raise UserError(
                self.env._(
                    "The instalments add up to %(lines)s but the invoices' balance "
                    "is %(total)s: they must be equal.",
                    lines=format_amount(self.env, self.lines_total, currency),
                    total=format_amount(self.env, self.amount_total, currency),
                )
            )

    def action_confirm(self):
        self.ensure_one()
        check_relance_user(self.env)
        self._relance_check()
        moves = self.move_ids
        plan = self.env["relance.payment.plan"].create(
            {
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                "currency_id": self.currency_id.id,
                "move_ids": [Command.set(moves.ids)],
                "note": self.note,
                "line_ids": [
                    Command.create({"date": line.date, "amount": line.amount})
                    for line in self.line_ids.sorted("date")
                ],
            }
        )
        # Steps waiting for validation would contradict the agreement.
        waiting = moves.relance_event_ids.filtered(lambda e: e.state == "draft")
        if waiting:
            # the history is written by the dunning actions only (users read it)
            waiting.sudo().write(
                {"state": "cancelled", "note": self.env._("Payment plan agreed.")}
            )
            self.env["relance.engine"].sudo()._relance_close_validation_activities(
                waiting.sudo()
            )
        moves.write({"relance_plan_id": plan.id, "relance_promise_date": False})
        body = Markup("%s%s") % (
            self.env._("Payment plan agreed:"),
            plan._relance_schedule_html(),
        )
        moves._message_log_batch(dict.fromkeys(moves.ids, body))
        self.partner_id._message_log(body=body)
        plan._message_log(body=body)
        return {
            "type": "ir.actions.act_window",
            "res_model": "relance.payment.plan",
            "res_id": plan.id,
            "view_mode": "form",
        }
