import re

from lxml import html

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import RelanceCommon
from .pdf_tools import pdf_text

LETTER_REPORT = "relance_facture.action_report_relance_letter"


@tagged("post_install", "-at_install", "relance_facture")
class TestPayNow(RelanceCommon):
    """Every email, SMS and letter carries a link to pay online: the portal
    page of the invoice, or Odoo's payment page when a payment provider is
    enabled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consumer = cls._relance_customer(
            "Jean Martin",
            "jean@example.com",
            cls.profile_standard,
            is_company=False,
            mobile="+33612345678",
        )
        # Reminder 1 of the Standard ladder: email and SMS to consumers, and
        # here a letter too, so that one run sends the three.
        cls.env.ref("relance_facture.level_standard_3").use_letter = True
        cls.eur = cls.setup_other_currency("EUR")

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _enable_provider(self, **values):
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

    def _run_reminder_1(self, partner=None, currency=None, amount=1200.0):
        """Invoice due on 20/01, Reminder 1 on 23/01: the email, the SMS and
        the letter it sent (the letter as a PDF)."""
        partner = partner or self.consumer
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(
                partner, due="2026-01-20", amount=amount, currency=currency
            )
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            mails = self._new_mails
        self.assertEqual(len(mails), 1)
        sms = self.env["sms.sms"].sudo().search([("partner_id", "=", partner.id)])
        self.assertEqual(len(sms), 1)
        letter = invoice.relance_event_ids.dispatch_ids.filtered(
            lambda d: d.channel == "letter"
        )
        self.assertEqual(letter.state, "sent")
        return invoice, mails, sms, letter

    def _letter_pdf_text(self, letter, report=LETTER_REPORT):
        content, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, letter.ids)
        )
        self.assertEqual(report_type, "pdf")
        return pdf_text(content)

    @staticmethod
    def _hrefs(body):
        return html.fromstring(body).xpath("//a/@href")

    @staticmethod
    def _flat(text):
        """Text without spaces nor hyphens: pdftotext cuts long links over
        lines, and drops the hyphen of a line that ends with one."""
        return re.sub(r"[\s-]", "", text)

    def _portal_url(self, invoice):
        return (
            f"{invoice.get_base_url()}/my/invoices/{invoice.id}"
            f"?access_token={invoice.access_token}"
        )

    # ------------------------------------------------------------------
    # Links
    # ------------------------------------------------------------------
    def test_portal_link_without_payment_provider(self):
        """No provider enabled: the email, the SMS and the letter link to the
        invoice on the portal, with its access token."""
        invoice, mail, sms, letter = self._run_reminder_1()
        self.assertTrue(invoice.access_token)
        portal_url = self._portal_url(invoice)

        self.assertIn(portal_url, self._hrefs(mail.body_html))
        self.assertIn("View and pay online:", mail.body_html)
        self.assertNotIn("payment=True", mail.body_html)

        self.assertTrue(sms.body.endswith(f"Pay online: {portal_url}"), sms.body)

        text = self._letter_pdf_text(letter)
        self.assertIn("You can also view and pay each invoice online", text)
        self.assertIn(self._flat(f"{invoice.name}:{portal_url}"), self._flat(text))
        self.assertNotIn("payment=True", self._flat(text))

    def test_payment_link_with_enabled_provider(self):
        """An enabled provider: the email, the SMS and the letter give Odoo's
        payment link, the portal page with the payment form open."""
        self._enable_provider()
        invoice, mail, sms, letter = self._run_reminder_1()
        pay_url = f"{self._portal_url(invoice)}&payment=True#portal_pay"

        hrefs = self._hrefs(mail.body_html)
        self.assertIn(pay_url, hrefs)
        self.assertNotIn(self._portal_url(invoice), hrefs)
        self.assertIn("Pay online:", mail.body_html)
        self.assertNotIn("View and pay online:", mail.body_html)

        self.assertTrue(sms.body.endswith(f"Pay online: {pay_url}"), sms.body)

        text = self._letter_pdf_text(letter)
        self.assertIn("You can also pay each invoice online, at its link", text)
        self.assertIn(self._flat(f"{invoice.name}:{pay_url}"), self._flat(text))

    def test_providers_the_customer_cannot_use_give_the_portal_link(self):
        """A provider counts only when the customer's portal page would offer
        it: enabled, published, of the invoice's company, with a payment
        method, for the invoice's currency, and portal payments switched on."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.consumer, due="2026-01-20")
        other_company = self.env["res.company"].create({"name": "Other Company"})
        cases = [
            ("disabled", {"state": "disabled"}),
            ("not published", {"is_published": False}),
            ("other company", {"company_id": other_company.id}),
            ("no payment method", {"payment_method_ids": [Command.clear()]}),
            ("other currency", {"available_currency_ids": [Command.set(self.eur.ids)]}),
        ]
        for label, values in cases:
            with self.subTest(label):
                provider = self._enable_provider(**values)
                invoice.invalidate_recordset(["relance_pay_url"])
                self.assertEqual(invoice.relance_pay_url, self._portal_url(invoice))
                provider.unlink()
        provider = self._enable_provider()
        invoice.invalidate_recordset(["relance_pay_url"])
        self.assertEqual(
            invoice.relance_pay_url,
            f"{self._portal_url(invoice)}&payment=True#portal_pay",
        )
        # a provider taking at most 1 000: only the smaller invoice of two
        provider.maximum_amount = 1000
        with freeze_time("2026-01-01"):
            small = self._relance_invoice(self.consumer, due="2026-01-20", amount=500)
        invoices = invoice | small
        invoices.invalidate_recordset(["relance_pay_url", "relance_pay_online"])
        self.assertEqual(invoices.mapped("relance_pay_online"), [False, True])
        self.assertEqual(
            invoices.mapped("relance_pay_url"),
            [
                self._portal_url(invoice),
                f"{self._portal_url(small)}&payment=True#portal_pay",
            ],
        )
        provider.maximum_amount = 0
        invoices.invalidate_recordset(["relance_pay_url", "relance_pay_online"])
        self.env["ir.config_parameter"].sudo().set_param(
            "account_payment.enable_portal_payment", False
        )
        invoice.invalidate_recordset(["relance_pay_url"])
        self.assertEqual(
            invoice.relance_pay_url,
            self._portal_url(invoice),
            "portal payments switched off in the settings",
        )
