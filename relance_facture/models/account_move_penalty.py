# pylint: disable=consider-merging-classes-inherited
"""French law on customer invoices: late-payment penalties and recovery
indemnity, the invoice legal mention and the payment-term cap."""

from datetime import timedelta

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount, formatLang

from ..tools import penalty, proceedings
from .relance_access import check_relance_manager


class _MissingRate(Exception):
    """A late day falls in a semester without a published rate."""

    def __init__(self, semester):
        super().__init__(semester)
        self.semester = semester


class AccountMove(models.Model):
    _inherit = "account.move"

    relance_penalty_amount = fields.Monetary(
        string="Late-Payment Penalties",
        compute="_compute_relance_penalty_amount",
        help="Penalties to today (or to the payment date), L441-10 C. com.; "
        "legal interest from the formal notice for consumers.",
        groups="base.group_user",
    )
    relance_indemnity_amount = fields.Monetary(
        string="Recovery Indemnity",
        compute="_compute_relance_penalty_amount",
        help="40 EUR per invoice paid late, professionals only (D441-5 C. com.).",
        groups="base.group_user",
    )
    relance_penalty_note = fields.Char(
        string="Penalty Basis",
        compute="_compute_relance_penalty_amount",
        groups="base.group_user",
    )

    def _compute_relance_penalty_amount(self):
        details = self._relance_penalty_details()
        for move in self:
            detail = details[move]
            move.relance_penalty_amount = detail["penalty"]
            move.relance_indemnity_amount = detail["indemnity"]
            move.relance_penalty_note = "; ".join(detail["notes"]) or False

    # ---- Penalties and recovery indemnity ----
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
        # 40 EUR in each (currency, company, date): one rate query for all
        # (env.ref() checks that the record exists: once, not per invoice)
        conversions = {"euro": self.env.ref("base.EUR")}
        result = {}
        for move in self:
            result[move] = move._relance_penalty_detail(
                on_date, Rate, table, notice_acks, conversions
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

    def _relance_rate_function(self, Rate, table, lateness, notes):
        """``day -> annual rate`` of this invoice's lateness: consumers' legal
        rate, a public buyer's ECB + 8 points, the contractual rate when above
        the legal floor, else ECB + 10 points. Raises ``_MissingRate`` for a
        semester without a published rate."""
        partner = self.commercial_partner_id
        consumer = partner.relance_is_consumer
        contractual = (
            partner.relance_penalty_rate or self.company_id.relance_penalty_rate
        )
        public_buyer = partner.relance_public_buyer and not consumer

        def rate_for(day):
            if public_buyer:
                # R2192-31 CCP: the ECB rate of the semester in which the
                # interest started to run, plus 8 points, for the whole period
                day = lateness["first_day"]
            rate, missing = Rate._relance_lookup(table, day)
            if missing:
                raise _MissingRate(Rate._relance_semester_label(day))
            if public_buyer:
                return rate.ecb_rate + 8.0
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

        return rate_for

    def _relance_penalty_detail(
        self, on_date, Rate, table, notice_acks, conversions=None
    ):
        self.ensure_one()
        empty = {
            "rate_missing": False,
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
        lateness = {}
        rate_for = self._relance_rate_function(Rate, table, lateness, notes)

        total = penalty.Decimal(0)
        rate_missing = False
        segments = []
        first_days, last_days = [], []
        late = False
        # a claim born before an opening judgment: penalties stop at it
        opening = self._relance_in_proceedings() and partner.relance_proceedings_date
        for line in self.line_ids.filtered(
            lambda ln: ln.display_type == "payment_term"
        ):
            due = line.date_maturity or self.invoice_date_due
            balance, payments = self._relance_line_timeline(line)
            paid_on = max((d for d, _a in payments), default=None)
            fully_paid = self.currency_id.is_zero(line.amount_residual_currency)
            last_day = paid_on if fully_paid and paid_on else on_date
            last_day = min(last_day, on_date)
            if opening:
                last_day = proceedings.penalty_last_day(last_day, opening)
            if last_day > due and balance > 0:
                late = True
            if consumer:
                ack = notice_acks.get(self)
                if not ack:
                    continue
                first_day = max(ack + timedelta(days=1), due + timedelta(days=1))
            else:
                first_day = due + timedelta(days=1)
            lateness["first_day"] = first_day
            try:
                line_segments = penalty.interest_segments(
                    first_day=first_day,
                    last_day=last_day,
                    balance=balance,
                    payments=payments,
                    rate_for=rate_for,
                )
            except _MissingRate as missing:
                # never another semester's rate: nothing rather than wrong
                rate_missing = missing.semester
                line_segments = []
            segments += line_segments
            total += penalty.segments_interest(
                line_segments, basis=self.company_id.relance_penalty_basis or 365
            )
            first_days.append(first_day)
            last_days.append(last_day)
        indemnity = 0.0
        if late and not consumer:
            # late before the judgment only: no indemnity when the proceedings
            # forbid the payment at the due date (L441-10 II)
            indemnity = self._relance_recovery_indemnity(notes, conversions)
        if opening:
            notes.append(
                self.env._(
                    "collective proceedings opened on %(date)s: penalties stop at "
                    "the judgment (L622-28 C. com.), no recovery indemnity for an "
                    "invoice falling due after it (L441-10 II C. com.)",
                    date=fields.Date.to_string(opening),
                )
            )
        if rate_missing:
            total = penalty.Decimal(0)
            notes.append(
                self.env._(
                    "no published rate for %(semester)s: penalties not computed "
                    "(add the rate in Accounting › Configuration › Late-Payment Rates)",
                    semester=rate_missing,
                )
            )
        return {
            "rate_missing": rate_missing,
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

    def _relance_recovery_indemnity(self, notes, conversions=None):
        """40 euros (D441-5), in the invoice's currency: converted at the
        invoice's rate date, never 40 units of another currency.
        ``conversions`` memoizes the amounts of a batch."""
        self.ensure_one()
        if conversions is None:
            conversions = {"euro": self.env.ref("base.EUR")}
        euro = conversions["euro"]
        amount = float(penalty.RECOVERY_INDEMNITY)
        if self.currency_id == euro:
            return amount
        day = self.invoice_date or self.date
        key = (self.currency_id, self.company_id, day)
        if key not in conversions:
            conversions[key] = euro._convert(amount, *key)
        converted = conversions[key]
        if self.currency_id.compare_amounts(converted, amount) == 0:
            return converted
        notes.append(
            self.env._(
                "recovery indemnity: 40 EUR = %(amount)s at the rate of %(date)s",
                amount=format_amount(self.env, converted, self.currency_id),
                date=fields.Date.to_string(day),
            )
        )
        return converted

    def _relance_create_penalty_invoices(self, on_date=None):
        """Draft customer invoices (one per customer and currency) claiming
        the penalties and indemnities of these invoices, without VAT."""
        check_relance_manager(self.env)
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

    # ---- Invoice legal mention ----
    def _relance_invoice_legal_mention(self):
        """Mentions of an invoice to a professional (L441-9 C. com.): the
        early-payment discount terms, the penalty rate and the 40 EUR recovery
        indemnity, in the context language; False when none is due."""
        self.ensure_one()
        company = self.company_id
        if (
            self.move_type != "out_invoice"
            or not company.relance_fr_rules
            or not company.relance_invoice_mentions
            or self.commercial_partner_id.relance_is_consumer
        ):
            return False
        rate = self._relance_mention_rate()
        if rate is False:
            rate_text = self.env._(
                "the European Central Bank's refinancing rate plus 10 points"
            )
        else:
            rate_text = formatLang(self.env, rate, digits=2) + " %"
        discount = company.relance_discount_terms or self.env._(
            "No discount for early payment."
        )
        if self.commercial_partner_id.relance_public_buyer:
            return " ".join(
                [
                    discount,
                    self.env._(
                        "Late payment: interest at the European Central Bank's "
                        "refinancing rate plus 8 points (article R2192-31 of the "
                        "French Public Procurement Code) and a fixed recovery "
                        "indemnity (article L2192-13).",
                    ),
                ]
            )
        return " ".join(
            [
                discount,
                self.env._(
                    "Late payment: penalties at the annual rate of %(rate)s are due "
                    "from the day after the due date (article L441-10 of the French "
                    "Commercial Code), plus a fixed recovery indemnity of "
                    "%(indemnity)s (article D441-5 of the French Commercial Code).",
                    rate=rate_text,
                    indemnity=format_amount(
                        self.env,
                        float(penalty.RECOVERY_INDEMNITY),
                        self.env.ref("base.EUR"),
                    ),
                ),
            ]
        )

    def _relance_mention_rate(self):
        """The contractual rate (customer's, else company's) when it respects
        the legal floor, else the B2B rate in force on the first day of
        lateness (the day after the due date: a 30 June due date takes the
        second semester's rate); False when that semester has no rate yet."""
        self.ensure_one()
        due = self.invoice_date_due or self.invoice_date
        day = (due or fields.Date.context_today(self)) + timedelta(days=1)
        Rate = self.env["relance.rate"]
        rate, _missing = Rate._relance_lookup(Rate._relance_table(), day)
        contractual = (
            self.commercial_partner_id.relance_penalty_rate
            or self.company_id.relance_penalty_rate
        )
        if contractual and (
            not rate or penalty.legal_floor_ok(contractual, rate.legal_rate_other)
        ):
            return contractual
        return rate.b2b_rate if rate else False

    # ---- Payment term cap ----
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
