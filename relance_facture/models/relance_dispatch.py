from datetime import timedelta
from functools import partial

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.tools import SQL
from odoo.tools.misc import format_date, formatLang

from ..tools.memo import memoized
from ..tools.money import money_formatter
from .relance_access import check_relance_user, check_user_writes
from .relance_event import CHANNELS


class RelanceDispatch(models.Model):
    """One message to one customer on one channel: it covers the invoices
    that reached a step in the same run (one email lists them all)."""

    _name = "relance.dispatch"
    _description = "Dunning Message"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True
    )
    recipient_id = fields.Many2one("res.partner", string="Recipient")
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True)
    channel = fields.Selection(CHANNELS, required=True)
    level_id = fields.Many2one(
        "relance.level", string="Step", help="The highest step of the message."
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    user_id = fields.Many2one("res.users", string="Person in Charge")
    event_ids = fields.Many2many(
        "relance.event",
        "relance_dispatch_event_rel",
        "dispatch_id",
        "event_id",
        string="Steps",
    )
    move_ids = fields.Many2many(
        "account.move", compute="_compute_move_ids", string="Invoices Reminded"
    )
    other_move_ids = fields.Many2many(
        "account.move",
        compute="_compute_other_move_ids",
        string="Other Open Invoices",
        help="The customer's other unpaid invoices, summarised in the message.",
    )
    amount_residual = fields.Monetary(
        compute="_compute_amount_residual", string="Amount Claimed"
    )
    amount_other = fields.Monetary(
        compute="_compute_amount_other", string="Other Open Amount"
    )
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("held", "Waiting for the Call"),
            ("sent", "Sent"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="planned",
        required=True,
        index=True,
        help="Planned: in the day's plan, to be sent by the run. Waiting for the "
        "Call: the email of a customer who prefers the phone goes on its date "
        "unless the call is logged before. Failed: the reason is in the note; "
        "the daily run tries again, a few times (settings).",
    )
    attempt_count = fields.Integer(
        string="Failed Attempts",
        readonly=True,
        help="How many times sending this message failed; the daily run stops "
        "retrying at the number set in the settings.",
    )
    mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null")
    note = fields.Text()
    attachment_id = fields.Many2one(
        "ir.attachment", string="Letter", help="The PDF of the letter as it was sent."
    )
    printed = fields.Boolean(help="The letter has been printed for posting.")
    sending_mode = fields.Selection(
        [
            ("lrar", "Registered letter with acknowledgement of receipt (LRAR)"),
            ("lre", "Electronic registered letter (LRE)"),
            ("bailiff", "Commissaire de justice"),
            ("post", "Ordinary mail"),
        ],
        help="How the formal notice was sent.",
    )
    tracking_ref = fields.Char(string="Tracking Number")
    ack_date = fields.Date(
        string="Acknowledgement Date",
        help="Day the customer received the formal notice (AR): legal interest "
        "of consumers and the payment deadline run from it.",
    )
    ack_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Scanned Acknowledgement",
        readonly=True,
        help="The signed acknowledgement of receipt of the registered letter.",
    )
    deadline_date = fields.Date(
        string="Payment Deadline", help="Date by which the formal notice asks to pay."
    )
    penalty_amount = fields.Monetary(
        compute="_compute_penalty_amounts",
        string="Penalties to Date",
        help="Late-payment penalties of the invoices of the message "
        "(professionals only).",
    )
    indemnity_amount = fields.Monetary(
        compute="_compute_penalty_amounts", string="Recovery Indemnities"
    )
    pay_online = fields.Boolean(
        compute="_compute_pay_online",
        string="Payable Online",
        help="The customer can pay invoices of the message online (a payment "
        "provider is enabled): the message gives Odoo's payment links.",
    )
    invoice_table_html = fields.Html(
        compute="_compute_invoice_table_html",
        sanitize=False,
        help="The invoices of the message as a table, in the recipient's language.",
    )

    def init(self):
        # At most one message per customer, company, currency, channel and
        # day: the last guard when a manual send races the daily run.
        name = "relance_dispatch_one_message_a_day_uniq"
        if not tools.index_exists(self.env.cr, name):
            self.env.cr.execute(
                SQL(
                    """CREATE UNIQUE INDEX %s ON relance_dispatch
                       (partner_id, company_id, currency_id, channel, date)
                       WHERE state IN ('planned', 'sent')
                         AND channel IN ('email', 'sms', 'letter', 'formal_notice')""",
                    SQL.identifier(name),
                )
            )

    @api.depends("event_ids.move_id")
    def _compute_move_ids(self):
        for dispatch in self:
            dispatch.move_ids = dispatch.event_ids.move_id.sorted(
                lambda m: (m.invoice_date_due or m.date, m.id)
            )

    @api.depends("partner_id", "company_id", "currency_id", "event_ids")
    def _compute_other_move_ids(self):
        domain = [
            ("commercial_partner_id", "in", self.partner_id.ids),
            ("company_id", "in", self.company_id.ids),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            # claims frozen by collective proceedings are declared, never
            # recalled in a reminder (C. com. L622-21)
            ("relance_state", "!=", "proceedings"),
        ]
        open_moves = self.env["account.move"].search_fetch(
            domain,
            ["commercial_partner_id", "company_id", "currency_id", "amount_residual"],
            order="invoice_date_due, id",
        )
        by_key = open_moves.grouped(
            lambda m: (m.commercial_partner_id, m.company_id, m.currency_id)
        )
        for dispatch in self:
            key = (dispatch.partner_id, dispatch.company_id, dispatch.currency_id)
            dispatch.other_move_ids = (
                by_key.get(key, open_moves.browse()) - dispatch.move_ids
            )

    @api.depends("event_ids.amount_residual")
    def _compute_amount_residual(self):
        for dispatch in self:
            dispatch.amount_residual = sum(dispatch.event_ids.mapped("amount_residual"))

    @api.depends("other_move_ids")
    def _compute_amount_other(self):
        for dispatch in self:
            dispatch.amount_other = sum(
                dispatch.other_move_ids.mapped("amount_residual")
            )

    @api.depends("event_ids", "date")
    def _compute_penalty_amounts(self):
        details = self.event_ids.move_id._relance_penalty_details()
        for dispatch in self:
            overdue = dispatch.level_id.kind != "pre_due"
            b2b = [
                details[move]
                for move in dispatch.move_ids
                if overdue and details[move]["kind"] == "b2b"
            ]
            dispatch.penalty_amount = sum(d["penalty"] for d in b2b)
            dispatch.indemnity_amount = sum(d["indemnity"] for d in b2b)

    def action_relance_create_penalty_invoice(self):
        """Invoice the penalties and indemnities of the invoices of this message."""
        self.ensure_one()
        return self.move_ids._relance_create_penalty_invoices()

    @api.depends("event_ids.move_id")
    def _compute_pay_online(self):
        for dispatch in self:
            dispatch.pay_online = any(dispatch.move_ids.mapped("relance_pay_online"))

    @api.depends_context("lang")
    def _compute_invoice_table_html(self):
        # amounts and dates formatted as Odoo's monetary and date widgets
        # print them, without the widgets' per-value machinery (a reminder
        # holds dozens of values), each value once for the batch, amounts
        # with the language's separators read once (tools/money.py)
        money = memoized(money_formatter(self.env))
        day = memoized(partial(format_date, self.env))
        for dispatch in self:
            currency = dispatch.currency_id
            dispatch.invoice_table_html = self.env["ir.qweb"]._render(
                "relance_facture.relance_dispatch_invoice_table",
                {
                    "dispatch": dispatch,
                    "today": dispatch.date,
                    "money": partial(money, currency_obj=currency),
                    "day": day,
                },
            )

    @api.depends("partner_id", "level_id")
    def _compute_display_name(self):
        for dispatch in self:
            dispatch.display_name = (
                f"{dispatch.level_id.name} - {dispatch.partner_id.name}"
            )

    def _relance_lang(self):
        self.ensure_one()
        return (self.recipient_id or self.partner_id).lang or self.env.lang

    def _relance_log_line(self):
        """One line of the chatter note saying what this message was."""
        self.ensure_one()
        channel = dict(self._fields["channel"]._description_selection(self.env))[
            self.channel
        ]
        moves = ", ".join(self.event_ids.move_id.mapped("name"))
        if self.state == "sent":
            line = self.env._(
                "%(step)s (%(channel)s) to %(recipient)s: %(invoices)s",
                step=self.level_id.name,
                channel=channel,
                recipient=self.recipient_id.display_name
                if self.channel in ("email", "sms", "letter", "formal_notice")
                else self.user_id.name,
                invoices=moves,
            )
            # why this channel (a fallback decided by the planner)
            return " ".join(filter(None, [line, (self.note or "").replace("\n", " ")]))
        if self.state == "held":
            return self.env._(
                "%(step)s (%(channel)s) to %(recipient)s on %(date)s unless the "
                "call is logged before: %(invoices)s",
                step=self.level_id.name,
                channel=channel,
                recipient=self.recipient_id.display_name,
                date=fields.Date.to_string(self.date),
                invoices=moves,
            )
        if self.state == "cancelled":
            return self.env._(
                "%(step)s (%(channel)s) not sent for %(invoices)s: %(reason)s",
                step=self.level_id.name,
                channel=channel,
                invoices=moves,
                reason=self.note or "",
            )
        return self.env._(
            "%(step)s (%(channel)s) failed for %(invoices)s: %(reason)s",
            step=self.level_id.name,
            channel=channel,
            invoices=moves,
            reason=self.note or "",
        )

    @api.model
    def _relance_join_lines(self, lines):
        body = Markup("<p><strong>%s</strong></p><ul>%s</ul>") % (
            self.env._("Dunning"),
            Markup().join(Markup("<li>%s</li>") % line for line in lines),
        )
        return body

    def _relance_sepa_qr(self, amount):
        """SEPA credit transfer QR code of a letter: ``amount`` to a bank
        account of the company, with the invoice references as communication.

        Odoo makes the code (``account_qr_code_sepa``) when the amount is in
        euros and the account is a SEPA IBAN with a holder name; the invoices'
        own account comes first. Returns {"image": data URI, "bank", "amount",
        "text": the caption in the recipient's language}, or an empty dict
        when no account can take one.
        """
        self.ensure_one()
        Bank = self.env["res.partner.bank"]
        if "sct_qr" not in dict(Bank.get_available_qr_methods_in_sequence()):
            return {}
        amount = self.currency_id.round(amount)
        communication = " ".join(
            move.payment_reference or move.name for move in self.move_ids
        )
        company_banks = self.company_id.partner_id.bank_ids
        banks = (self.move_ids.partner_bank_id & company_banks) | company_banks
        for bank in banks:
            image = bank.build_qr_code_base64(
                amount,
                communication,
                None,
                self.currency_id,
                self.partner_id,
                qr_method="sct_qr",
                silent_errors=True,
            )
            if image:
                env = self.with_context(lang=self._relance_lang()).env
                text = env._(
                    "Scan this QR code with your banking app to pay %(amount)s by "
                    "SEPA credit transfer to %(iban)s, reference %(reference)s.",
                    amount=formatLang(env, amount, currency_obj=self.currency_id),
                    iban=bank.acc_number,
                    reference=communication,
                )
                return {"image": image, "bank": bank, "amount": amount, "text": text}
        return {}

    def _relance_notice_deadline(self, receipt_date):
        """Payment deadline of a formal notice received on ``receipt_date``."""
        self.ensure_one()
        return receipt_date + timedelta(
            days=self.company_id.relance_notice_deadline_days
        )

    def _relance_sending_mode_phrase(self):
        """How the formal notice letter goes, to end "is sent to you by …"
        in the formal-notice email (the recipient's language)."""
        self.ensure_one()
        phrases = {
            "lrar": self.env._("registered letter with acknowledgement of receipt"),
            "lre": self.env._("electronic registered letter"),
            "bailiff": self.env._("a commissaire de justice"),
            "post": self.env._("ordinary mail"),
        }
        return phrases[self.sending_mode or "lrar"]

    def _relance_notice_filename(self, report_type="pdf"):
        """Name of the stored letter; the report's ``attachment`` expression
        gives the same for PDFs, so a reprint returns the letter as sent."""
        self.ensure_one()
        extension = "pdf" if report_type == "pdf" else "html"
        return f"Formal notice {self.id} - {self.partner_id.name}.{extension}"

    def write(self, vals):
        check_user_writes(self, vals, ("note",))
        return super().write(vals)

    def action_relance_print_letters(self):
        """Print these letters as one PDF and mark them printed."""
        self.check_access("read")
        check_relance_user(self.env)
        return self.env["relance.channel.letter"].sudo()._relance_print(self.sudo())

    def action_relance_notice_tracking(self):
        """Record how the formal notice was sent and its acknowledgement."""
        self.ensure_one()
        self.check_access("read")
        check_relance_user(self.env)
        return self.env["relance.notice.tracking"]._relance_open(self)

    def action_relance_print_notice(self):
        """The formal notice as it was sent (the stored PDF)."""
        self.ensure_one()
        return self.env.ref(
            "relance_facture.action_report_mise_en_demeure"
        ).report_action(self)

    def _relance_call_script(self):
        """The step's call script with this customer's figures filled in."""
        self.ensure_one()
        level = self.level_id.with_context(lang=self._relance_lang())
        moves = self.move_ids
        values = {
            "customer": self.partner_id.name,
            "invoices": ", ".join(moves.mapped("name")),
            "due_dates": ", ".join(
                sorted({str(fields.Date.to_string(m.relance_due_date)) for m in moves})
            ),
            "amount": self.currency_id.format(self.amount_residual),
        }
        return (level.call_script or "").format_map(_KeepMissing(values))

    def _relance_call_note(self, reason=None, money=None, day=None):
        """HTML note of a Call activity: why, the script, the invoices.
        A batch gives its ``money`` and ``day`` formatters (memoized)."""
        self.ensure_one()
        return self.env["ir.qweb"]._render(
            "relance_facture.relance_call_note",
            {
                "dispatch": self,
                "reason": reason,
                "script": self._relance_call_script(),
                "money": money or partial(formatLang, self.env),
                "day": day or partial(format_date, self.env),
            },
        )

    def _relance_mark_failed(self, reason):
        """A message that failed after it was queued: its steps fail too
        unless another message of the step reached the customer."""
        for dispatch in self:
            dispatch.write(
                {
                    "state": "failed",
                    "note": reason,
                    "attempt_count": dispatch.attempt_count + 1,
                }
            )
            for event in dispatch.event_ids:
                others = event.dispatch_ids.filtered(
                    lambda d, this=dispatch: d != this
                    and d.state == "sent"
                    and d.channel in ("email", "sms", "letter", "formal_notice")
                )
                note = "\n".join(filter(None, [event.note, reason]))
                event.write(
                    {"note": note} if others else {"state": "failed", "note": note}
                )

    def _relance_mark_sent(self):
        """A message that failed went out after all (its email was sent by
        a retry of the mail queue): it and its failed steps are sent."""
        self.write({"state": "sent"})
        self.event_ids.filtered(lambda e: e.state == "failed").write({"state": "sent"})
        self.env["relance.engine"]._relance_replan(self.event_ids.move_id)


class _KeepMissing(dict):
    """format_map() mapping that leaves unknown placeholders as they are."""

    def __missing__(self, key):
        return "{" + key + "}"
