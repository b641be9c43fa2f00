from odoo import fields
from odoo.tests import Form, freeze_time, tagged

from .common import RelanceCommon
from .pdf_tools import pdf_text

MENTION = "L441-10"


@tagged("post_install", "-at_install", "relance_facture")
class TestInvoiceMentions(RelanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"relance_fr_rules": True, "relance_invoice_mentions": True})
        cls.consumer = cls._relance_customer(
            "Jeanne Durand", "jeanne@durand.example", is_company=False
        )

    def _invoice_pdf_text(self, invoice):
        content, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account.account_invoices", invoice.ids)
        )
        self.assertEqual(report_type, "pdf")
        return pdf_text(content)

    def _invoice_html(self, invoice):
        """The invoice as the portal shows it (the report in HTML)."""
        html, _report_type = self.env["ir.actions.report"]._render_qweb_html(
            "account.account_invoices", invoice.ids
        )
        return html.decode()

    @freeze_time("2026-01-05")
    def test_professional_invoice_states_rate_and_indemnity(self):
        invoice = self._relance_invoice(due="2026-02-01")
        text = self._invoice_pdf_text(invoice)
        for expected in ("12.15 %", MENTION, "D441-5", "40.00"):
            self.assertIn(expected, text)
        self.assertIn(MENTION, self._invoice_html(invoice))

    @freeze_time("2026-01-05")
    def test_consumer_invoice_has_no_mention(self):
        invoice = self._relance_invoice(self.consumer, due="2026-02-01")
        self.assertFalse(invoice._relance_invoice_legal_mention())
        text = self._invoice_pdf_text(invoice)
        self.assertIn(invoice.name, text)
        self.assertNotIn(MENTION, text)
        self.assertNotIn(MENTION, self._invoice_html(invoice))

    @freeze_time("2026-01-05")
    def test_settings_off_no_mention(self):
        invoice = self._relance_invoice(due="2026-02-01")
        self.company.relance_invoice_mentions = False
        self.assertFalse(invoice._relance_invoice_legal_mention())
        self.assertNotIn(MENTION, self._invoice_pdf_text(invoice))
        self.company.write(
            {"relance_invoice_mentions": True, "relance_fr_rules": False}
        )
        self.assertFalse(invoice._relance_invoice_legal_mention())

    def test_rate_in_force(self):
        """Contractual rate when above the floor, else the B2B rate of the
        due date's semester."""
        cases = [
            # due date, company rate, customer rate, expected rate
            ("2025-05-10", 0.0, 0.0, "13.15 %"),
            # late from 1 July: the second semester's rate
            ("2025-06-30", 0.0, 0.0, "12.15 %"),
            ("2025-09-10", 0.0, 0.0, "12.15 %"),
            ("2026-02-01", 15.0, 0.0, "15.00 %"),
            ("2026-02-01", 15.0, 18.0, "18.00 %"),
            # 5 % is below 3 x 2.62 %: the legal default applies
            ("2026-02-01", 5.0, 0.0, "12.15 %"),
        ]
        for due, company_rate, customer_rate, expected in cases:
            with self.subTest(due=due, company=company_rate, customer=customer_rate):
                self.company.relance_penalty_rate = company_rate
                self.customer.relance_penalty_rate = customer_rate
                invoice = self._relance_invoice(due=due, post=False)
                mention = invoice._relance_invoice_legal_mention()
                self.assertIn(f"annual rate of {expected}", mention)

    def test_discount_terms_and_missing_rate(self):
        """L441-9: the early-payment discount terms are stated (the
        company's own wording when set); a semester without a published
        rate gives the legal definition, not another semester's figure."""
        invoice = self._relance_invoice(due="2026-02-01", post=False)
        mention = invoice._relance_invoice_legal_mention()
        self.assertTrue(mention.startswith("No discount for early payment. "))
        self.company.relance_discount_terms = "Escompte de 1 % sous 10 jours."
        mention = invoice._relance_invoice_legal_mention()
        self.assertTrue(mention.startswith("Escompte de 1 % sous 10 jours. "))
        later = self._relance_invoice(due="2026-08-01", post=False)
        self.assertIn(
            "annual rate of the European Central Bank's refinancing rate plus 10 "
            "points",
            later._relance_invoice_legal_mention(),
        )

    def test_payment_term_warning(self):
        cases = [
            # cap, invoice date, due date, warned
            ("60_days", "2026-01-01", "2026-03-02", False),
            ("60_days", "2026-01-01", "2026-03-03", True),
            ("45_eom", "2026-01-10", "2026-02-28", False),
            ("45_eom", "2026-01-10", "2026-03-01", True),
        ]
        for cap, invoice_date, due, warned in cases:
            with self.subTest(cap=cap, due=due):
                self.company.relance_payment_term_cap = cap
                invoice = self._relance_invoice(
                    due=due, invoice_date=fields.Date.to_date(invoice_date)
                )
                self.assertEqual(bool(invoice.relance_payment_term_warning), warned)
        consumer_invoice = self._relance_invoice(
            self.consumer,
            due="2026-06-01",
            invoice_date=fields.Date.to_date("2026-01-01"),
        )
        self.assertFalse(consumer_invoice.relance_payment_term_warning)

    def test_payment_term_warning_on_invoice_form(self):
        self.company.relance_payment_term_cap = "60_days"
        form = Form(
            self.env["account.move"].with_context(default_move_type="out_invoice")
        )
        form.partner_id = self.customer
        form.invoice_date = fields.Date.to_date("2026-01-01")
        form.invoice_date_due = fields.Date.to_date("2026-04-01")
        self.assertIn(
            "exceeds the legal payment term", form.relance_payment_term_warning
        )
        form.invoice_date_due = fields.Date.to_date("2026-02-01")
        self.assertFalse(form.relance_payment_term_warning)

    @freeze_time("2026-01-05")
    def test_mention_in_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "relance_facture")]
        )._update_translations(["fr_FR"])
        invoice = self._relance_invoice(due="2026-02-01")
        mention = invoice.with_context(lang="fr_FR")._relance_invoice_legal_mention()
        self.assertIn("au taux annuel de 12,15 %", mention)
        self.assertIn("L441-10 du Code de commerce", mention)
        # the PDF of a French customer's invoice, read back
        self.customer.lang = "fr_FR"
        text = " ".join(self._invoice_pdf_text(invoice).split())
        for expected in (
            "Pas d'escompte pour paiement anticipé.",
            "au taux annuel de 12,15 %",
            "article D441-5 du Code de commerce",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)
