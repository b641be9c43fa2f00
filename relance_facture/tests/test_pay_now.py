import re
from contextlib import contextmanager
from unittest.mock import patch

from lxml import html

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import RelanceCommon
from .pdf_tools import pdf_text

LETTER_REPORT = "relance_facture.action_report_relance_letter"
NOTICE_REPORT = "relance_facture.action_report_mise_en_demeure"
IBAN = "FR7630006000011234567890189"


@tagged("post_install", "-at_install", "relance_facture")
class TestPayNow(RelanceCommon):
    """Every email, SMS and letter carries a link to pay online: the portal
    page of the invoice, or Odoo's payment page when a payment provider is
    enabled; letters carry a SEPA QR code when the bank account allows one."""

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

    def _letter_html(self, letter, report=LETTER_REPORT):
        content, _report_type = self.env["ir.actions.report"]._render_qweb_html(
            report, letter.ids
        )
        return html.fromstring(content)

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

    def _sepa_payload(self, amount, reference):
        """What a SEPA QR code (EPC069-12) paying ``amount`` euros to the
        company's IBAN with ``reference`` holds."""
        return "\n".join(
            [
                "BCD",
                "002",
                "1",
                "SCT",
                "",  # no BIC
                self.company.name,
                IBAN,
                f"EUR{amount}",
                "",
                "",
                reference,
                "",
            ]
        )

    @contextmanager
    def _recording_barcodes(self):
        """The values of the barcodes drawn meanwhile (QR images are not
        byte-identical from one drawing to the next, their contents are)."""
        values = []
        report_class = type(self.env["ir.actions.report"])
        original = report_class.barcode

        def recording(report, barcode_type, value, **kwargs):
            values.append((barcode_type, value))
            return original(report, barcode_type, value, **kwargs)

        with patch.object(report_class, "barcode", recording):
            yield values

    def _assert_one_qr_image(self, page):
        images = page.xpath("//table[@name='sepa_qr']//img/@src")
        self.assertEqual(len(images), 1)
        self.assertTrue(images[0].startswith("data:image/png;base64,"))

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
        self._relance_enable_provider()
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
                provider = self._relance_enable_provider(**values)
                invoice.invalidate_recordset(["relance_pay_url"])
                self.assertEqual(invoice.relance_pay_url, self._portal_url(invoice))
                provider.unlink()
        provider = self._relance_enable_provider()
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

    # ------------------------------------------------------------------
    # SEPA QR code
    # ------------------------------------------------------------------
    def test_letter_sepa_qr_code_for_euros_to_a_french_iban(self):
        """A letter in euros, the company's account a French IBAN: the letter
        prints the SEPA QR code paying its total due with the invoice
        reference."""
        with freeze_time("2026-01-01"):
            first = self._relance_invoice(
                self.consumer, due="2026-01-20", amount=1200, currency=self.eur
            )
            second = self._relance_invoice(
                self.consumer, due="2026-01-21", amount=300.5, currency=self.eur
            )
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            self._relance_run()
        letter = (first | second).relance_event_ids.dispatch_ids.filtered(
            lambda d: d.channel == "letter"
        )
        self.assertEqual(len(letter), 1)
        self.assertEqual(letter.currency_id, self.eur)

        with self._recording_barcodes() as codes:
            page = self._letter_html(letter)
        self._assert_one_qr_image(page)
        self.assertEqual(
            codes,
            [("QR", self._sepa_payload(1500.5, f"{first.name} {second.name}"))],
            "1 500.50 EUR to the IBAN, with both invoice numbers",
        )
        text = self._letter_pdf_text(letter)
        self.assertIn(
            "Scan this QR code with your banking app to pay 1,500.50 € by SEPA "
            "credit transfer to FR76 3000 6000 0112 3456 7890 189, reference "
            f"{first.name} {second.name}.",
            text,
        )

    def test_no_sepa_qr_code_when_the_account_cannot_take_one(self):
        """No QR code, and no error, for a letter in dollars, or when the
        company's only account is not an IBAN."""
        cases = [
            ("dollars", self.company.currency_id, None),
            ("not an IBAN", self.eur, "123456789"),
        ]
        for label, currency, account in cases:
            with self.subTest(label):
                if account:
                    self.company.partner_id.bank_ids.action_archive()
                    self.env["res.partner.bank"].create(
                        {
                            "acc_number": account,
                            "partner_id": self.company.partner_id.id,
                        }
                    )
                customer = self._relance_customer(
                    f"Customer {label}",
                    "c@example.com",
                    self.profile_standard,
                    is_company=False,
                    mobile="+33611111111",
                )
                _invoice, _mail, _sms, letter = self._run_reminder_1(
                    customer, currency=currency
                )
                self.assertEqual(letter.currency_id, currency)
                page = self._letter_html(letter)
                self.assertFalse(page.xpath("//table[@name='sepa_qr']"))
                self.assertFalse(page.xpath("//img[@alt='SEPA QR code']"))
                self.assertIn("Please pay by bank transfer to", page.text_content())

    def test_formal_notice_pay_links_and_sepa_qr_code(self):
        """The formal notice carries the pay links and the QR code of the sum
        it demands (balance, penalties and indemnity)."""
        self.company.relance_fr_rules = True
        customer = self._relance_customer(
            "Durand Industrie", "compta@durand.example", self.profile_standard
        )
        with freeze_time("2025-12-01"):
            invoice = self._relance_invoice(
                customer, due="2026-01-01", amount=1000, currency=self.eur
            )
        self._relance_enable_provider()
        with self.mock_mail_gateway(), freeze_time("2026-01-26"):
            self._relance_run()
            notice = invoice.relance_event_ids.filtered(
                lambda e: e.kind == "formal_notice"
            )
            self.assertEqual(notice.state, "draft")
            notice.action_validate()
        letter = notice.dispatch_ids.filtered(lambda d: d.channel == "formal_notice")
        self.assertEqual(letter.state, "sent")
        values = self.env[
            "report.relance_facture.report_mise_en_demeure"
        ]._get_report_values(letter.ids)["letters"][letter.id]
        # 25 days late x 1 000 x 12.15 % / 365 = 8.32, plus 40 of indemnity
        self.assertEqual(values["penalty_value"], 8.32)
        self.assertEqual(values["indemnity_value"], 40.0)

        with self._recording_barcodes() as codes:
            page = self._letter_html(letter, NOTICE_REPORT)
        self._assert_one_qr_image(page)
        self.assertEqual(codes, [("QR", self._sepa_payload(1048.32, invoice.name))])
        pay_url = f"{self._portal_url(invoice)}&payment=True#portal_pay"
        text = page.text_content()
        self.assertIn("You can also pay each invoice online, at its link", text)
        self.assertIn(f"{invoice.name}: {pay_url}", " ".join(text.split()))
        self.assertIn(
            "to pay 1,048.32 € by SEPA credit transfer to "
            "FR76 3000 6000 0112 3456 7890 189",
            " ".join(text.split()),
        )
