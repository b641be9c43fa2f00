from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount, formatLang

from ..tools import ladder, penalty

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
    relance_dispute_type = fields.Selection(
        [
            ("quality", "Quality or quantity"),
            ("price", "Price or invoicing error"),
            ("delivery", "Not delivered or not received"),
            ("other", "Other"),
        ],
        string="Dispute Type",
        copy=False,
    )
    relance_dispute_reason = fields.Char(string="Dispute Reason", copy=False)
    relance_resume_one_step = fields.Boolean(
        copy=False,
        help="Set when dunning resumes after a dispute or a promise: the next run "
        "sends the next step only, not a catch-up to the highest.",
    )
    relance_promise_broken = fields.Date(
        string="Promise Not Kept",
        copy=False,
        readonly=True,
        help="Date of the last promise to pay that was not kept.",
    )
    relance_dispute_date = fields.Date(
        string="Disputed Since",
        compute="_compute_relance_dispute_date",
        store=True,
        copy=False,
        help="Day the dispute was recorded; the workspace lists new disputes.",
    )
    relance_promise_date = fields.Date(
        string="Promised Payment Date",
        copy=False,
        tracking=True,
        help="Dunning pauses until this date plus the grace period.",
    )
    relance_event_ids = fields.One2many(
        "relance.event", "move_id", string="Dunning History", copy=False
    )
    relance_plan_id = fields.Many2one(
        "relance.payment.plan",
        string="Payment Plan",
        copy=False,
        readonly=True,
        index="btree_not_null",
        tracking=True,
        help="The payment plan agreed for this invoice: dunning follows the "
        "dates of its instalments.",
    )
    relance_plan_line_ids = fields.One2many(
        related="relance_plan_id.line_ids", string="Instalments"
    )
    relance_plan_state = fields.Selection(related="relance_plan_id.state")
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
    relance_penalty_amount = fields.Monetary(
        string="Late-Payment Penalties",
        compute="_compute_relance_penalty_amount",
        help="Penalties to today (or to the payment date), L441-10 C. com.; "
        "legal interest from the formal notice for consumers.",
    )
    relance_indemnity_amount = fields.Monetary(
        string="Recovery Indemnity",
        compute="_compute_relance_penalty_amount",
        help="40 EUR per invoice paid late, professionals only (D441-5 C. com.).",
    )
    relance_penalty_note = fields.Char(
        string="Penalty Basis", compute="_compute_relance_penalty_amount"
    )
    relance_prescription_date = fields.Date(
        string="Claim Expires On",
        compute="_compute_relance_prescription_date",
        store=True,
        help="5 years from the due date for professionals, 2 years for consumers.",
    )
    relance_penalty_invoice_id = fields.Many2one(
        "account.move",
        string="Penalty Invoice",
        copy=False,
        readonly=True,
        help="The invoice of the penalties and indemnity of this invoice.",
    )
    relance_penalty_origin_ids = fields.One2many(
        "account.move",
        "relance_penalty_invoice_id",
        string="Penalised Invoices",
        readonly=True,
    )
    relance_prescription_warned = fields.Boolean(copy=False, readonly=True)
    relance_thanked = fields.Boolean(copy=False, readonly=True)
    relance_answer_ids = fields.Many2many(
        "mail.message",
        compute="_compute_relance_answer_ids",
        string="Customer Answers",
        help="What the customer wrote about this invoice (emails, portal).",
    )
    relance_payment_term_warning = fields.Char(
        compute="_compute_relance_payment_term_warning"
    )
    relance_partner_chronic = fields.Boolean(
        related="commercial_partner_id.relance_chronic", string="Chronic Late Payer"
    )
    relance_partner_reason = fields.Char(
        related="commercial_partner_id.relance_profile_reason"
    )
    relance_state = fields.Selection(
        RELANCE_STATES,
        string="Dunning Status",
        compute="_compute_relance_state",
        store=True,
        index=True,
    )
    relance_pay_url = fields.Char(
        compute="_compute_relance_pay_url",
        string="Pay Online Link",
        help="The link of reminders: Odoo's payment page of the invoice when a "
        "payment provider accepts its payment, else the invoice on the customer "
        "portal (with its access token).",
    )
    relance_pay_online = fields.Boolean(
        compute="_compute_relance_pay_url",
        string="Payable Online",
        help="A payment provider accepts the payment of this invoice on the "
        "customer portal.",
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
        "relance_plan_id.next_line_id",
        "commercial_partner_id.relance_excluded",
    )
    def _compute_relance_next(self):
        today = fields.Date.context_today(self)
        plans = self._relance_plan(today)
        for move in self:
            plan = plans.get(move) or ladder.Plan()
            move.relance_next_level_id = plan.next_step and plan.next_step.key
            move.relance_next_date = plan.next_date or move._relance_resume_date(today)

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

    def _relance_mark_broken_promises(self, today):
        """Promises whose date and grace are over while the invoice is still
        open: written in the chatter, then dunning resumes one step at a time."""
        broken = self.filtered(
            lambda m: m.relance_promise_date
            and not m._relance_is_paused(today)
            and m._relance_is_open()
        )
        if not broken:
            return broken
        bodies = {
            move.id: self.env._(
                "Promise to pay of %(date)s not kept: dunning resumes.",
                date=fields.Date.to_string(move.relance_promise_date),
            )
            for move in broken
        }
        broken.sudo()._message_log_batch(bodies)
        for move in broken:
            move.relance_promise_broken = move.relance_promise_date
        broken.write({"relance_promise_date": False, "relance_resume_one_step": True})
        return broken

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
        "relance_plan_id.next_line_id",
        "commercial_partner_id.relance_excluded",
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

    def _compute_relance_penalty_amount(self):
        details = self._relance_penalty_details()
        for move in self:
            detail = details[move]
            move.relance_penalty_amount = detail["penalty"]
            move.relance_indemnity_amount = detail["indemnity"]
            move.relance_penalty_note = "; ".join(detail["notes"]) or False

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

    @api.depends("invoice_date_due", "commercial_partner_id.relance_is_consumer")
    def _compute_relance_prescription_date(self):
        for move in self:
            if move.move_type != "out_invoice" or not move.invoice_date_due:
                move.relance_prescription_date = False
                continue
            years = 2 if move.commercial_partner_id.relance_is_consumer else 5
            move.relance_prescription_date = fields.Date.add(
                move.invoice_date_due, years=years
            )

    @api.depends("invoice_date", "invoice_date_due", "move_type", "partner_id")
    def _compute_relance_payment_term_warning(self):
        for move in self:
            move.relance_payment_term_warning = move._relance_payment_term_excess()

    @api.depends(
        "access_token",
        "state",
        "payment_state",
        "amount_residual",
        "partner_id",
        "currency_id",
        "company_id",
    )
    def _compute_relance_pay_url(self):
        invoices = self.filtered(lambda m: isinstance(m.id, int))
        # get_portal_url() would write the missing tokens invoice by invoice
        self.env["relance.channel.email"]._relance_ensure_access_tokens(invoices)
        payable = invoices._relance_payable_online()
        for move in self:
            if move not in invoices:
                move.relance_pay_url = False
                move.relance_pay_online = False
                continue
            move.relance_pay_online = move in payable
            # The link of Odoo's "Pay Now" button of the portal: the invoice
            # page with the payment form open. The payment.link.wizard link
            # cannot be made outside an HTTP request (its token signs with
            # request.env) and it fixes the amount, which a partial payment
            # made after a letter was printed would make wrong.
            url = (
                move.get_portal_url(anchor="portal_pay", query_string="&payment=True")
                if move.relance_pay_online
                else move.get_portal_url()
            )
            move.relance_pay_url = move.get_base_url() + url

    def _relance_payable_online(self):
        """The invoices whose portal page takes an online payment, by the
        rules of Odoo's portal: the invoice is to be paid (``_has_to_be_paid``:
        posted, open, portal payment enabled, no pending transaction) and a
        published provider of its company, in test or enabled mode, accepts
        its customer, amount and currency with at least one payment method.

        Providers depend on the customer through its country only, and a
        provider that takes an amount takes any smaller one: they are asked
        once per company, country and currency, not per invoice."""
        Provider = self.env["payment.provider"].sudo()
        if not self or not Provider.search_count(
            [
                ("company_id", "in", self.company_id.ids),
                ("state", "in", ("enabled", "test")),
                ("is_published", "=", True),
            ],
            limit=1,
        ):
            return self.browse()
        Method = self.env["payment.method"].sudo()
        answers = {}

        def can_pay(move, amount):
            key = (move.company_id, move.partner_id.country_id, move.currency_id)
            if (*key, amount) not in answers:
                # The customer opens the link logged out: only published
                # providers are offered (Odoo filters them for portal users).
                providers = Provider._get_compatible_providers(
                    move.company_id.id,
                    move.partner_id.id,
                    amount,
                    currency_id=move.currency_id.id,
                ).filtered("is_published")
                answers[(*key, amount)] = bool(
                    providers
                    and Method._get_compatible_payment_methods(
                        providers.ids,
                        move.partner_id.id,
                        currency_id=move.currency_id.id,
                    )
                )
            return answers[(*key, amount)]

        to_pay = self.sudo().filtered(lambda m: m._has_to_be_paid())
        payable = self.browse()
        for group in to_pay.grouped(
            lambda m: (m.company_id, m.partner_id.country_id, m.currency_id)
        ).values():
            amounts = group.mapped("amount_total")
            if can_pay(group[0], max(amounts)):
                payable |= group
            elif can_pay(group[0], min(amounts)):
                # a provider's maximum amount lies between the two
                payable |= group.filtered(lambda m: can_pay(m, m.amount_total))
        return payable.with_env(self.env)

    def _relance_payment_term_excess(self):
        """Warn (L441-10 I) when a professional is given more than the legal
        cap: 60 days from the invoice date, or 45 days end of month."""
        self.ensure_one()
        company = self.company_id
        if (
            self.move_type != "out_invoice"
            or not company.relance_fr_rules
            or not (self.invoice_date and self.invoice_date_due)
            or self.commercial_partner_id.relance_is_consumer
        ):
            return False
        if company.relance_payment_term_cap == "45_eom":
            cap = fields.Date.end_of(
                fields.Date.add(self.invoice_date, days=45), "month"
            )
        else:
            cap = fields.Date.add(self.invoice_date, days=60)
        if self.invoice_date_due <= cap:
            return False
        return self.env._(
            "The due date %(due)s exceeds the legal payment term for professionals "
            "(%(cap)s at the latest, L441-10 C. com.).",
            due=fields.Date.to_string(self.invoice_date_due),
            cap=fields.Date.to_string(cap),
        )

    def _relance_invoice_legal_mention(self):
        """Late-payment mentions of an invoice to a professional (L441-9 C.
        com.): the penalty rate in force and the 40 EUR recovery indemnity,
        in the context language; False when none is due."""
        self.ensure_one()
        company = self.company_id
        if (
            self.move_type != "out_invoice"
            or not company.relance_fr_rules
            or not company.relance_invoice_mentions
            or self.commercial_partner_id.relance_is_consumer
        ):
            return False
        return self.env._(
            "Late payment: penalties at the annual rate of %(rate)s %% are due from "
            "the day after the due date (article L441-10 of the French Commercial "
            "Code), plus a fixed recovery indemnity of %(indemnity)s (article D441-5 "
            "of the French Commercial Code).",
            rate=formatLang(self.env, self._relance_mention_rate(), digits=2),
            indemnity=format_amount(
                self.env,
                float(penalty.RECOVERY_INDEMNITY),
                self.env.ref("base.EUR"),
            ),
        )

    def _relance_mention_rate(self):
        """The contractual rate (customer's, else company's) when it respects
        the legal floor, else the B2B rate of the due date's semester."""
        self.ensure_one()
        day = self.invoice_date_due or self.invoice_date
        Rate = self.env["relance.rate"]
        rate, _fallback = Rate._relance_lookup(
            Rate._relance_table(), day or fields.Date.context_today(self)
        )
        contractual = (
            self.commercial_partner_id.relance_penalty_rate
            or self.company_id.relance_penalty_rate
        )
        if contractual and (
            not rate or penalty.legal_floor_ok(contractual, rate.legal_rate_other)
        ):
            return contractual
        return rate.b2b_rate

    def _relance_penalty_details(self, on_date=None):
        """Penalties and indemnity of each invoice up to ``on_date`` (today by
        default), from its real reconciliations.

        :return: {move: {"penalty": float, "indemnity": float, "kind": "b2b" |
            "b2c" | False, "rate": float, "first_day", "last_day", "days_late":
            int, "segments": [(start, end, days, balance, rate)], "notes": [str]}}
        """
        on_date = on_date or fields.Date.context_today(self)
        Rate = self.env["relance.rate"]
        table = Rate._relance_table()
        notice_acks = self._relance_notice_ack_dates()
        result = {}
        for move in self:
            result[move] = move._relance_penalty_detail(
                on_date, Rate, table, notice_acks
            )
        return result

    def _relance_notice_ack_dates(self):
        """{move: acknowledgement date of its formal notice}, in one search."""
        dispatches = self.env["relance.dispatch"].search(
            [
                ("event_ids.move_id", "in", self.ids),
                ("channel", "=", "formal_notice"),
                ("ack_date", "!=", False),
            ],
            order="ack_date",
        )
        acks = {}
        for dispatch in dispatches:
            for move in dispatch.event_ids.move_id:
                acks.setdefault(move, dispatch.ack_date)
        return acks

    def _relance_penalty_detail(self, on_date, Rate, table, notice_acks):
        self.ensure_one()
        empty = {
            "penalty": 0.0,
            "indemnity": 0.0,
            "kind": False,
            "rate": 0.0,
            "first_day": False,
            "last_day": False,
            "days_late": 0,
            "segments": [],
            "notes": [],
        }
        if (
            self.move_type != "out_invoice"
            or self.state != "posted"
            or not self.company_id.relance_fr_rules
            or not self.invoice_date_due
        ):
            return empty
        partner = self.commercial_partner_id
        consumer = partner.relance_is_consumer
        notes = []
        contractual = (
            partner.relance_penalty_rate or self.company_id.relance_penalty_rate
        )

        def rate_for(day):
            rate, fallback = Rate._relance_lookup(table, day)
            if fallback and rate:
                note = self.env._(
                    "no published rate for the semester of %(day)s: the rate of "
                    "%(semester)s is used",
                    day=fields.Date.to_string(day),
                    semester=rate.name,
                )
                if note not in notes:
                    notes.append(note)
            if consumer:
                return rate.legal_rate_other
            if contractual:
                if not penalty.legal_floor_ok(contractual, rate.legal_rate_other):
                    note = self.env._(
                        "contractual rate %(rate)s %% below 3 × the legal rate: "
                        "legal default applied",
                        rate=contractual,
                    )
                    if note not in notes:
                        notes.append(note)
                    return rate.b2b_rate
                return contractual
            return rate.b2b_rate

        total = penalty.Decimal(0)
        segments = []
        first_days, last_days = [], []
        late = False
        for line in self.line_ids.filtered(
            lambda ln: ln.display_type == "payment_term"
        ):
            due = line.date_maturity or self.invoice_date_due
            balance, payments = self._relance_line_timeline(line)
            paid_on = max((d for d, _a in payments), default=None)
            fully_paid = self.currency_id.is_zero(line.amount_residual_currency)
            last_day = paid_on if fully_paid and paid_on else on_date
            last_day = min(last_day, on_date)
            if last_day > due and balance > 0:
                late = True
            if consumer:
                ack = notice_acks.get(self)
                if not ack:
                    continue
                first_day = max(ack + timedelta(days=1), due + timedelta(days=1))
            else:
                first_day = due + timedelta(days=1)
            line_segments = penalty.interest_segments(
                first_day=first_day,
                last_day=last_day,
                balance=balance,
                payments=payments,
                rate_for=rate_for,
            )
            segments += line_segments
            total += penalty.late_interest_unrounded(
                first_day=first_day,
                last_day=last_day,
                balance=balance,
                payments=payments,
                rate_for=rate_for,
                basis=self.company_id.relance_penalty_basis or 365,
            )
            first_days.append(first_day)
            last_days.append(last_day)
        indemnity = 0.0
        if late and not consumer:
            if partner.relance_collective_proceedings:
                notes.append(
                    self.env._("collective proceedings: no recovery indemnity")
                )
            else:
                indemnity = float(penalty.RECOVERY_INDEMNITY)
        return {
            "penalty": float(penalty.round_half_up(total)),
            "indemnity": indemnity,
            "kind": "b2c" if consumer else "b2b",
            "rate": segments[-1][4] if segments else 0.0,
            "first_day": min(first_days, default=False),
            "last_day": max(last_days, default=False),
            "days_late": sum(seg[2] for seg in segments),
            "segments": segments,
            "notes": notes,
        }

    def _relance_create_penalty_invoices(self, on_date=None):
        """Draft customer invoices (one per customer and currency) claiming
        the penalties and indemnities of these invoices, without VAT."""
        details = self._relance_penalty_details(on_date)
        todo = self.filtered(
            lambda m: not m.relance_penalty_invoice_id
            and (details[m]["penalty"] or details[m]["indemnity"])
        )
        if not todo:
            raise UserError(
                self.env._(
                    "No penalty or indemnity to invoice: the invoices are not late, "
                    "already invoiced for penalties, or French rules are off."
                )
            )
        invoices = self.browse()
        for (partner, currency, company), moves in todo.grouped(
            lambda m: (m.commercial_partner_id, m.currency_id, m.company_id)
        ).items():
            lines = []
            for move in moves:
                lines += move._prepare_relance_penalty_lines(details[move])
            invoice = self.create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "currency_id": currency.id,
                    "company_id": company.id,
                    "invoice_origin": ", ".join(moves.mapped("name")),
                    "invoice_line_ids": lines,
                }
            )
            moves.relance_penalty_invoice_id = invoice
            invoices |= invoice
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        if len(invoices) == 1:
            action.update({"views": [(False, "form")], "res_id": invoices.id})
        else:
            action["domain"] = [("id", "in", invoices.ids)]
        return action

    def _prepare_relance_penalty_lines(self, detail):
        self.ensure_one()
        product = self.company_id.relance_penalty_product_id
        base = {"quantity": 1, "tax_ids": [Command.clear()]}
        if product:
            base["product_id"] = product.id
        lines = []
        if detail["penalty"]:
            lines.append(
                Command.create(
                    {
                        **base,
                        "name": self.env._(
                            "Late-payment penalties on %(invoice)s from %(first)s to "
                            "%(last)s (art. L441-10 C. com.)",
                            invoice=self.name,
                            first=fields.Date.to_string(detail["first_day"]),
                            last=fields.Date.to_string(detail["last_day"]),
                        ),
                        "price_unit": detail["penalty"],
                    }
                )
            )
        if detail["indemnity"]:
            lines.append(
                Command.create(
                    {
                        **base,
                        "name": self.env._(
                            "Fixed recovery indemnity on %(invoice)s "
                            "(art. D441-5 C. com.)",
                            invoice=self.name,
                        ),
                        "price_unit": detail["indemnity"],
                    }
                )
            )
        return lines

    def _relance_line_timeline(self, line):
        """Balance owed on a receivable line at its due date, and the payments
        after it: a credit note that reverses the invoice reduces the base from
        the due date; any other credit counts as a payment on its date."""
        balance = penalty.Decimal(str(line.amount_currency))
        payments = []
        for partial in line.matched_credit_ids:
            counterpart = partial.credit_move_id
            amount = penalty.Decimal(str(partial.debit_amount_currency))
            if counterpart.move_id.reversed_entry_id == self:
                balance -= amount
            else:
                payments.append((counterpart.date, amount))
        return balance, payments

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
            events = move._relance_cycle_events()
            done_keys, one_step = move._relance_done_levels(profile)
            one_step = one_step or move.relance_resume_one_step
            sent = move.relance_event_ids.filtered(
                lambda e: e.state == "sent" and e.level_id._relance_is_customer_facing()
            )
            steps = steps_cache[profile]
            if move._relance_plan_line():
                # the customer agreed on the dates: no courtesy reminder
                steps = [step for step in steps if step.kind != ladder.PRE_DUE]
            plan = ladder.plan(
                steps,
                due_date=move.relance_due_date,
                today=today,
                done_keys=done_keys,
                one_step=one_step,
                pending=any(e.state == "draft" for e in events),
                last_message_date=max(
                    (e.message_date or e.date for e in sent), default=None
                ),
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

    def _relance_done_levels(self, profile):
        """Steps of ``profile`` behind this invoice. After a change of profile,
        the steps done under the old one count for the steps of the same rank
        of the new one (nothing is sent again), and until a first step of the
        new profile is done the invoice moves one step at a time."""
        self.ensure_one()
        events = self._relance_cycle_events()
        done = events.level_id
        foreign = events.filtered(
            lambda e: e.state != "cancelled" and e.level_id.profile_id != profile
        )
        if not foreign:
            return done.ids, False
        reached = max(
            ladder.rank(e.level_id.kind, e.level_id.reminder_number) for e in foreign
        )
        carried = profile.level_ids.filtered(
            lambda lvl: ladder.rank(lvl.kind, lvl.reminder_number) <= reached
        )
        own = events.filtered(lambda e: e.level_id.profile_id == profile)
        return (done | carried).ids, not own

    def _relance_plan_line(self):
        """The instalment dunning follows: the first unpaid one of a running
        payment plan (empty without a running plan)."""
        self.ensure_one()
        plan = self.relance_plan_id
        if plan.state != "running":
            return self.env["relance.payment.plan.line"]
        return plan.next_line_id

    def _relance_cycle_events(self):
        """The events of the ladder the invoice is on: those of the current
        instalment under a payment plan, those of its own due date otherwise."""
        self.ensure_one()
        instalment = self._relance_plan_line()
        return self.relance_event_ids.filtered(lambda e: e.plan_line_id == instalment)

    def action_relance_payment_plan(self):
        """Agree a payment plan for these invoices."""
        return self.env["relance.payment.schedule"]._relance_open_for(
            self.filtered(lambda m: m.move_type == "out_invoice")
        )

    def action_relance_open_payment_plan(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "relance.payment.plan",
            "res_id": self.relance_plan_id.id,
            "view_mode": "form",
        }

    def action_relance_call_outcome(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relance_facture.relance_call_outcome_action"
        )
        action["context"] = {"active_model": "account.move", "active_ids": self.ids}
        return action

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
