from datetime import date, datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import formatLang

from ..tools import call_hours, holidays, penalty

# How far ahead a call day is looked for (a long annual closure included).
CALL_HORIZON_DAYS = 62


class ResCompany(models.Model):
    _inherit = "res.company"

    def _default_relance_call_calendar_id(self):
        return self.env.ref(
            "relance_facture.resource_calendar_relance_call", raise_if_not_found=False
        )

    relance_min_gap_days = fields.Integer(
        string="Minimum Days Between Two Reminders",
        default=5,
        help="Two messages to a customer about the same invoice are never closer "
        "than this; a step that comes too soon waits.",
    )
    relance_default_profile_id = fields.Many2one(
        "relance.profile",
        check_company=True,
        string="Default Dunning Profile",
        help="Profile of the customers in automatic mode.",
    )
    relance_default_user_id = fields.Many2one(
        "res.users",
        string="Default Person in Charge",
        help="Receives the call and validation activities of customers who have "
        "no person in charge of their own.",
    )
    relance_small_amount = fields.Float(
        string="Small Amount Threshold",
        default=150.0,
        help="Below this balance, an invoice gets a single reminder after its due "
        "date, then its formal notice waits for validation.",
    )
    relance_attach_invoice = fields.Boolean(
        string="Attach Invoice PDFs",
        help="Attach the invoice PDFs to reminder emails (the stored PDF when "
        "there is one). The portal link is always in the email.",
    )
    relance_promise_grace_days = fields.Integer(
        string="Grace After a Promise to Pay", default=3
    )
    relance_promise_max_days = fields.Integer(
        string="Latest Promise Date",
        default=30,
        help="A customer answering a reminder may promise to pay at most this "
        "many days ahead.",
    )
    relance_paid_claim_days = fields.Integer(
        string="Pause When Said Paid",
        default=5,
        help="Days dunning waits when a customer says an invoice is already "
        "paid, while the person in charge looks for the payment.",
    )
    relance_reply_pause_days = fields.Integer(
        string="Pause After a Reply",
        default=7,
        help="Days the customer's dunning waits after a reply to a reminder email.",
    )
    relance_answer_daily_limit = fields.Integer(
        string="Answers per Invoice and Day",
        default=3,
        help="How many answers a customer may give on one invoice in one day "
        "from the reminder's link.",
    )

    relance_fr_rules = fields.Boolean(
        string="French Late-Payment Rules",
        compute="_compute_relance_fr_rules",
        store=True,
        readonly=False,
        help="Late-payment penalties (L441-10 C. com.), the 40 EUR recovery "
        "indemnity (D441-5) and the legal mentions on invoices.",
    )
    relance_penalty_rate = fields.Float(
        string="Contractual Penalty Rate (%)",
        digits=(5, 2),
        help="Annual rate of your terms and conditions; empty uses the legal "
        "default (ECB rate + 10 points). May not be below 3 times the legal rate.",
    )
    relance_penalty_basis = fields.Integer(
        string="Day-Count Basis", default=365, help="Days in a year for penalties."
    )
    relance_invoice_mentions = fields.Boolean(
        string="Late-Payment Mentions on Invoices",
        default=True,
        help="Invoices to professionals state the penalty rate and the 40 EUR "
        "recovery indemnity (L441-9 C. com.).",
    )
    relance_discount_terms = fields.Char(
        string="Early-Payment Discount Terms",
        translate=True,
        help="Printed on invoices to professionals (L441-9 C. com.); empty "
        "prints 'No discount for early payment.'",
    )
    relance_payment_term_cap = fields.Selection(
        [
            ("60_days", "60 days from the invoice date"),
            ("45_eom", "45 days end of month"),
        ],
        string="Legal Payment Term Cap",
        default="60_days",
    )
    relance_notice_deadline_days = fields.Integer(
        string="Formal Notice Deadline (days)",
        default=8,
        help="Days the customer has to pay after receiving the formal notice.",
    )
    relance_notice_delivery_days = fields.Integer(
        string="Formal Notice Delivery Margin (days)",
        default=0,
        help="The deadline runs from receipt. When set, the letter also gives "
        "the date by which to pay if it arrives within this many days of its "
        "date (a registered letter may wait 15 days at the post office); 0 "
        "prints the period only.",
    )
    relance_signatory_id = fields.Many2one(
        "res.users",
        string="Formal Notice Signatory",
        help="Signs the formal notices; empty uses the person in charge.",
    )
    relance_legal_form = fields.Char(
        string="Legal Form",
        help="Printed on formal notices after the company name, e.g. 'SAS'.",
    )
    relance_share_capital = fields.Monetary(
        string="Share Capital",
        currency_field="currency_id",
        help="Printed on formal notices when set.",
    )
    relance_rcs_city = fields.Char(
        string="RCS City",
        help="City of the trade register (RCS) the company is registered at, "
        "printed as 'RCS <city>'.",
    )
    relance_penalty_product_id = fields.Many2one(
        "product.product",
        check_company=True,
        string="Penalty Product",
        help="Product of the penalty invoices' lines (its income account is used).",
    )

    relance_new_months = fields.Integer(
        string="New Customer: Months Since First Invoice", default=12
    )
    relance_new_paid_count = fields.Integer(
        string="New Customer: Fewer Paid Invoices Than", default=3
    )
    relance_risky_days_late = fields.Integer(
        string="Risky: Average Days Late Above", default=30
    )
    relance_risky_second_reminders = fields.Integer(
        string="Risky: Second Reminders in 12 Months", default=3
    )
    relance_loyal_paid_count = fields.Integer(
        string="Loyal: Invoices Paid in 24 Months", default=6
    )
    relance_loyal_on_time_share = fields.Integer(
        string="Loyal: Share Paid on Time (%)", default=90
    )
    relance_loyal_grace_days = fields.Integer(
        string="Loyal: Paid Within Days After Due Date", default=5
    )

    relance_business_days = fields.Boolean(
        string="Send on Business Days Only",
        default=True,
        help="No reminder goes out on weekends and French public holidays: steps "
        "due then go out on the next business day.",
    )
    relance_closed_days = fields.Char(
        string="Other Closed Days",
        help="Extra days without sending, as YYYY-MM-DD separated by commas "
        "(e.g. the company's annual closure).",
    )

    relance_silence_days = fields.Integer(
        string="Call After an Unanswered Email (days)",
        default=7,
        help="When a customer has neither paid nor answered this many days after "
        "a reminder email, the next step adds a phone call. 0 disables it.",
    )
    relance_max_calls = fields.Integer(
        string="Call Attempts per Customer in 30 Days",
        default=4,
        help="No call activity is created beyond this number of calls made in "
        "the last 30 days. 0: no limit.",
    )
    relance_max_attempts = fields.Integer(
        string="Attempts per Failed Message",
        default=3,
        help="A message that failed (an email template that does not render, a "
        "mail server down...) is tried again by the next daily runs, up to this "
        "number of attempts in all. 0: never retried automatically.",
    )
    relance_call_calendar_id = fields.Many2one(
        "resource.calendar",
        check_company=True,
        string="Call Hours",
        default=_default_relance_call_calendar_id,
        help="Days and hours when dunning calls are made, in the timezone of "
        "these working hours: a call activity is dated on the first day with "
        "hours not yet over, never on a closed day. Empty: any business day, "
        "no hours given.",
    )
    relance_thank_you = fields.Boolean(
        string="Thank Customers Who Pay",
        help="Send a thank-you email when an invoice that was reminded is paid.",
    )
    relance_bank_check = fields.Boolean(
        string="Skip Customers With Unmatched Payments",
        default=True,
        help="A customer with an incoming payment or a credit note not yet "
        "matched with invoices is not reminded: it may have paid already.",
    )
    relance_bank_stale_days = fields.Integer(
        string="Warn When Bank Statements Are Older Than (days)", default=3
    )

    def _relance_bank_warning(self, today):
        """Reminders rely on the bank: warn when its last line is old."""
        self.ensure_one()
        if not self.relance_bank_check:
            return False
        # only its date: statements are readable by accountants alone
        last = (
            self.env["account.bank.statement.line"]
            .sudo()
            .search([("company_id", "=", self.id)], order="date desc", limit=1)
        )
        if last and (today - last.date).days <= self.relance_bank_stale_days:
            return False
        return self.env._(
            "The newest bank statement line of %(company)s is from %(date)s: "
            "import the bank statements so that paid invoices are not reminded.",
            company=self.name,
            date=fields.Date.to_string(last.date) if last else self.env._("never"),
        )

    @api.constrains("relance_closed_days")
    def _check_relance_closed_days(self):
        for company in self:
            try:
                company._relance_extra_closed_days()
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "Closed days must be dates written YYYY-MM-DD, separated by "
                        "commas: %(error)s",
                        error=error,
                    )
                ) from error

    @api.constrains(
        "relance_promise_max_days",
        "relance_paid_claim_days",
        "relance_reply_pause_days",
        "relance_answer_daily_limit",
    )
    def _check_relance_answer_settings(self):
        for company in self:
            if (
                company.relance_promise_max_days < 1
                or company.relance_answer_daily_limit < 1
                or company.relance_paid_claim_days < 0
                or company.relance_reply_pause_days < 0
            ):
                raise ValidationError(
                    self.env._(
                        "The latest promise date and the answers per day are at "
                        "least 1; the pauses after an answer are not negative."
                    )
                )

    def _relance_extra_closed_days(self):
        self.ensure_one()
        return {
            date.fromisoformat(part.strip())
            for part in (self.relance_closed_days or "").split(",")
            if part.strip()
        }

    def _relance_is_sending_day(self, day):
        """May reminders go out on ``day``?"""
        self.ensure_one()
        if not self.relance_business_days:
            return True
        return holidays.is_business_day(
            day,
            self._relance_extra_closed_days(),
            french=self.country_id.code in (False, "FR"),
        )

    def _relance_next_sending_day(self, day):
        self.ensure_one()
        if not self.relance_business_days:
            return day
        return holidays.next_business_day(
            day,
            self._relance_extra_closed_days(),
            french=self.country_id.code in (False, "FR"),
        )

    @api.model
    def _relance_init_call_calendar(self):
        """At install: the shipped call hours for the existing companies."""
        self.search([("relance_call_calendar_id", "=", False)]).write(
            {"relance_call_calendar_id": self._default_relance_call_calendar_id()}
        )

    def _relance_call_midnight(self, day):
        """Start of ``day`` in the timezone of the call hours (aware).

        Call hours are the office's hours, so their calendar's own timezone
        applies, as for any Odoo working hours: not the timezone of whoever
        runs the dunning (the scheduled action runs as OdooBot, often without
        one; a user may click "Send now" while abroad) nor of whoever calls.
        The call activity is dated on the office's day.
        """
        tz = pytz.timezone(self.sudo().relance_call_calendar_id.tz or "UTC")
        return tz.localize(datetime.combine(day, time.min))

    def _relance_call_slots(self, moment):
        """{local date: [(start, end), ...]}: the call slots of the company's
        call hours from the day of ``moment`` (aware datetime) on, minus the
        time off of those hours, in their timezone."""
        self.ensure_one()
        # settings data: whoever plans a call may read the company's hours
        calendar = self.relance_call_calendar_id.sudo()
        start = self._relance_call_midnight(
            moment.astimezone(pytz.timezone(calendar.tz or "UTC")).date()
        )
        intervals = calendar._work_intervals_batch(
            start,
            start + timedelta(days=CALL_HORIZON_DAYS),
            domain=[
                ("time_type", "=", "leave"),
                ("company_id", "in", [False, self.id]),
            ],
        )[False]
        slots = {}
        for slot_start, slot_end, _attendance in intervals:
            slots.setdefault(slot_start.date(), []).append((slot_start, slot_end))
        return slots

    def _relance_call_day(self, moment=None, next_day=False):
        """(day, slots): the day a dunning call is made when it is planned
        at ``moment`` (aware datetime, default now): the first sending day
        that has a call slot not yet over, with those slots; ``next_day``
        starts from the office's next day (a new attempt). Without call hours
        (or none in sight): the next sending day, no slot."""
        self.ensure_one()
        moment = moment or pytz.utc.localize(fields.Datetime.now())
        if self.relance_call_calendar_id:
            start = moment
            if next_day:
                tz = pytz.timezone(self.sudo().relance_call_calendar_id.tz or "UTC")
                start = self._relance_call_midnight(
                    moment.astimezone(tz).date() + timedelta(days=1)
                )
            day, slots = call_hours.first_call_day(
                self._relance_call_slots(start), start, self._relance_is_sending_day
            )
            if day:
                return day, slots
        today = fields.Date.context_today(
            self, moment.astimezone(pytz.utc).replace(tzinfo=None)
        )
        if next_day:
            today += timedelta(days=1)
        return self._relance_next_sending_day(today), []

    def _relance_next_call_day(self, day, count=1):
        """The ``count``-th call day after ``day`` (days with call hours, on
        which the company sends)."""
        self.ensure_one()
        if self.relance_call_calendar_id:
            start = self._relance_call_midnight(day + timedelta(days=1))
            found = call_hours.call_day_after(
                self._relance_call_slots(start),
                day,
                count,
                self._relance_is_sending_day,
            )
            if found:
                return found
        for _i in range(count):
            day = self._relance_next_sending_day(day + timedelta(days=1))
        return day

    def _relance_call_hours_text(self, slots):
        """'between 10:00 and 13:00 or 14:00 and 20:00' (empty without slot)."""
        if not slots:
            return ""
        return self.env._(
            "between %(slots)s",
            slots=self.env._(" or ").join(
                self.env._(
                    "%(start)s and %(end)s",
                    start=start.strftime("%H:%M"),
                    end=end.strftime("%H:%M"),
                )
                for start, end in slots
            ),
        )

    @api.depends("country_id")
    def _compute_relance_fr_rules(self):
        for company in self:
            company.relance_fr_rules = company.country_id.code == "FR"

    def _relance_default_profile(self):
        """Profile in force for customers in automatic mode."""
        self.ensure_one()
        return self.relance_default_profile_id or self.env.ref(
            "relance_facture.profile_standard", raise_if_not_found=False
        )

    def _relance_letter_identity(self, debtor):
        """Creditor and debtor identity printed on formal notices and
        declarations of claim, formatted in the context language."""
        self.ensure_one()
        return {
            "company_registry": self.company_registry or "",
            "legal_form": self.relance_legal_form or "",
            "rcs_city": self.relance_rcs_city or "",
            "share_capital": self.relance_share_capital
            and formatLang(
                self.env, self.relance_share_capital, currency_obj=self.currency_id
            ),
            # a VAT number is not a SIREN: each under its own label
            "debtor_siren": debtor.company_registry or "",
            "debtor_vat": debtor.vat or "",
        }

    def _relance_rate_floor_warning(self, contractual_rate, day):
        """Warn when a contractual rate is below 3 × the legal rate (L441-10)."""
        self.ensure_one()
        if not contractual_rate:
            return False
        Rate = self.env["relance.rate"]
        rate, _fallback = Rate._relance_lookup(Rate._relance_table(), day)
        if rate and not penalty.legal_floor_ok(contractual_rate, rate.legal_rate_other):
            return self.env._(
                "%(rate)s %% is below the legal floor of %(floor)s %% (3 × the legal "
                "rate of %(semester)s): the legal default rate would apply.",
                rate=contractual_rate,
                floor=round(3 * rate.legal_rate_other, 2),
                semester=rate.name,
            )
        return False
