from datetime import date

from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import MailCommon


class RelanceCommon(AccountTestInvoicingCommon, MailCommon):
    """Customers, invoices and a daily run, at the dates a test freezes."""

    @classmethod
    def get_default_groups(cls):
        # Tests run as the stock Community administrator (Invoicing ›
        # Administrator, hence Dunning Manager), without the hidden "Show
        # Full Accounting Features" that account's tests add.
        return super().get_default_groups() - cls.env.ref("account.group_account_user")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write(
            {
                "email": "compta@example.com",
                "relance_default_user_id": cls.env.user.id,
                # calendars of the ladders are tested day by day; business
                # days have their own tests
                "relance_business_days": False,
                # Mandatory mentions of a formal notice.
                "company_registry": "123 456 789 RCS Paris",
                "street": "1 rue de la Paix",
                "zip": "75002",
                "city": "Paris",
            }
        )
        cls.env["res.partner.bank"].create(
            {
                "acc_number": "FR7630006000011234567890189",
                "partner_id": cls.company.partner_id.id,
            }
        )
        cls.profile_strict = cls.env.ref("relance_facture.profile_strict")
        cls.profile_standard = cls.env.ref("relance_facture.profile_standard")
        cls.profile_lenient = cls.env.ref("relance_facture.profile_lenient")
        cls.profile_never = cls.env.ref("relance_facture.profile_never")
        cls.customer = cls._relance_customer("Dupont SARL", "compta@dupont.example")
        cls.cron = cls.env.ref("relance_facture.ir_cron_relance_daily")

    @classmethod
    def _relance_customer(cls, name, email=False, profile=None, **values):
        partner = cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "email": email,
                "lang": "en_US",
                "property_payment_term_id": False,
                "street": "2 avenue des Clients",
                "zip": "69001",
                "city": "Lyon",
                **values,
            }
        )
        if profile:
            partner.relance_profile_id = profile
        return partner

    @classmethod
    def _relance_invoice(
        cls,
        partner=None,
        due="2026-02-01",
        amount=1200.0,
        invoice_date=None,
        currency=None,
        payment_term=None,
        post=True,
        company=None,
    ):
        """A posted customer invoice of ``amount`` (no tax) due on ``due``,
        in ``company`` (the current one by default)."""
        due = fields.Date.to_date(due)
        vals = {
            "move_type": "out_invoice",
            "partner_id": (partner or cls.customer).id,
            "invoice_date": invoice_date or fields.Date.add(due, days=-30),
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": "Consulting",
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [],
                    }
                )
            ],
        }
        if currency:
            vals["currency_id"] = currency.id
        if payment_term:
            vals["invoice_payment_term_id"] = payment_term.id
        else:
            vals["invoice_date_due"] = due
        move = (
            cls.env["account.move"]
            .with_company(company or cls.env.company)
            .create(vals)
        )
        if post:
            move.action_post()
        return move

    def _relance_pay(self, move, amount=None, day=None):
        """Register a payment on ``move`` (partial when ``amount`` is less)."""
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create(
                {
                    "amount": amount if amount is not None else move.amount_residual,
                    "payment_date": day or fields.Date.context_today(move),
                }
            )
        )
        return wizard._create_payments()

    def _relance_reconcile_paid(self, move, amount=None, day=None):
        """Mark ``move`` as paid by reconciling a journal entry with its
        receivable (a bank statement match would do the same)."""
        amount = amount if amount is not None else move.amount_residual
        receivable = move.line_ids.filtered(
            lambda line: line.display_type == "payment_term" and not line.reconciled
        ).sorted("date_maturity")
        if amount < move.amount_residual:
            receivable = receivable[
                :1
            ]  # a partial payment settles the first instalment
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": day or fields.Date.context_today(move),
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable[0].account_id.id,
                            "partner_id": move.commercial_partner_id.id,
                            "credit": amount,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data[
                                "default_journal_bank"
                            ].default_account_id.id,
                            "debit": amount,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        (
            receivable
            + entry.line_ids.filtered(
                lambda line: line.account_id == receivable[0].account_id
            )
        ).reconcile()
        return entry

    def _relance_enable_provider(self, **values):
        """A payment provider as an administrator enables it (test mode,
        published, with a payment method), then changed by ``values``."""
        method = self.env.ref("payment.payment_method_unknown")
        provider = self.env["payment.provider"].create(
            {
                "name": "Test Provider",
                "code": "none",
                "state": "test",
                "is_published": True,
                "company_id": self.company.id,
                "payment_method_ids": [Command.set(method.ids)],
            }
        )
        # a payment method is enabled once a provider of it is
        method.active = True
        provider.write(values)
        return provider

    def _relance_run(self):
        """Run the daily scheduled action as the scheduler would (manual
        trigger: the method loops until the day is done)."""
        self.cron.method_direct_trigger()

    def _relance_new_events(self, before):
        return self.env["relance.event"].search([("id", "not in", before.ids)])

    @staticmethod
    def _day(value):
        return date.fromisoformat(value)
