from ast import literal_eval
from contextlib import ExitStack
from unittest.mock import patch

from odoo.tests import freeze_time, tagged
from odoo.tools import pdf

from .common import RelanceCommon
from .pdf_tools import pdf_pages, pdf_text

PRINT_ACTION = "relance_facture.relance_dispatch_action_print_letters"


@tagged("post_install", "-at_install", "relance_facture")
class TestLetters(RelanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"relance_fr_rules": True, "street": "1 quai Saint-Antoine", "city": "Lyon"}
        )
        # the company's IBAN comes from RelanceCommon
        france = cls.env.ref("base.fr")
        cls.customer.write(
            {
                "street": "12 rue des Lilas",
                "zip": "75011",
                "city": "Paris",
                "country_id": france.id,
            }
        )
        cls.customer.relance_profile_id = cls.profile_standard
        cls.consumer = cls._relance_customer(
            "Jeanne Durand",
            "jeanne@durand.example",
            profile=cls.profile_standard,
            is_company=False,
            street="3 allée des Pins",
            zip="33000",
            city="Bordeaux",
            country_id=france.id,
        )

    def _counting_wkhtmltopdf(self, patched_qt=False):
        """Count wkhtmltopdf runs: the returned list gets the bodies of each.

        ``patched_qt`` plays a wkhtmltopdf that takes several documents (the
        build Odoo recommends), from one real run per document."""
        calls = []
        report_class = type(self.env["ir.actions.report"])
        original = report_class._run_wkhtmltopdf

        def counting(report, bodies, **kwargs):
            calls.append(bodies)
            if not patched_qt:
                return original(report, bodies, **kwargs)
            return pdf.merge_pdf(
                [original(report, [body], **kwargs) for body in bodies]
            )

        patchers = ExitStack()
        patchers.enter_context(patch.object(report_class, "_run_wkhtmltopdf", counting))
        patchers.enter_context(
            patch.object(
                type(self.env["relance.channel.letter"]),
                "_relance_wkhtmltopdf_batches",
                lambda channel: patched_qt,
            )
        )
        return patchers, calls

    def _run_rendering(self):
        engine = self.env["relance.engine"].with_context(force_report_rendering=True)
        with self.mock_mail_gateway():
            engine._cron_run_daily()

    def _letters(self):
        return self.env["relance.dispatch"].search([("channel", "=", "letter")])

    def test_second_reminder_letters_rendered_in_one_call(self):
        """R2 sends a letter: both customers' letters come from one
        wkhtmltopdf call, each stored with its own text."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20", amount=1200)
            consumer_invoice = self._relance_invoice(
                self.consumer, due="2026-01-20", amount=300
            )
        patcher, calls = self._counting_wkhtmltopdf(patched_qt=True)
        with freeze_time("2026-02-01"), patcher:
            self._run_rendering()
        self.assertEqual(len(calls), 1, "one wkhtmltopdf call for the batch")
        self.assertEqual(len(calls[0]), 2, "both letters in it")
        letters = self._letters()
        self.assertEqual(letters.partner_id, self.customer | self.consumer)
        self.assertEqual(set(letters.mapped("state")), {"sent"})
        self.assertEqual(set(letters.mapped("note")), {"Letter to print."})
        self.assertFalse(any(letters.mapped("printed")))
        pro_letter = letters.filtered(lambda d: d.partner_id == self.customer)
        self.assertEqual(pro_letter.attachment_id.res_id, pro_letter.id)
        self.assertEqual(pdf_pages(pro_letter.attachment_id.raw), 1)
        text = pdf_text(pro_letter.attachment_id.raw)
        for expected in (
            "Dupont SARL",
            "12 rue des Lilas",
            "75011 Paris",
            "Second reminder: unpaid invoices",
            invoice.name,
            "1,200.00",
            # 12 days late x 1 200 x 12.15 % / 365
            "4.79",
            "12.15 %",
            "L441-10",
            "D441-5",
            "40.00",
            # base_iban prints the IBAN in groups of four
            "FR76 3000 6000 0112 3456 7890 189",
            f"access_token={invoice.access_token}",
        ):
            self.assertIn(expected, text)
        self.assertNotIn(consumer_invoice.name, text)
        consumer_text = pdf_text((letters - pro_letter).attachment_id.raw)
        self.assertIn("3 allée des Pins", consumer_text)
        self.assertIn(consumer_invoice.name, consumer_text)
        self.assertIn("300.00", consumer_text)
        self.assertNotIn("L441-10", consumer_text, "no penalties for consumers")
        self.assertEqual(invoice.relance_event_ids.state, "sent")

    def test_letters_one_by_one_without_patched_qt(self):
        """A wkhtmltopdf that takes a single document: the daily run does not
        render (about a second per letter), printing renders each letter in
        its own run and stores it."""
        with freeze_time("2026-01-01"):
            self._relance_invoice(due="2026-01-20")
            self._relance_invoice(self.consumer, due="2026-01-20")
        patcher, calls = self._counting_wkhtmltopdf()
        with freeze_time("2026-02-01"), patcher:
            self._run_rendering()
        self.assertEqual(calls, [])
        letters = self._letters()
        self.assertFalse(letters.attachment_id)
        patcher, calls = self._counting_wkhtmltopdf()
        with patcher:
            letters.with_context(
                force_report_rendering=True
            ).action_relance_print_letters()
        self.assertEqual([len(bodies) for bodies in calls], [1, 1])
        self.assertEqual(len(letters.attachment_id), 2)

    def test_print_letters_as_one_pdf_from_stored_files(self):
        with freeze_time("2026-01-01"):
            first = self._relance_invoice(due="2026-01-20")
            second = self._relance_invoice(self.consumer, due="2026-01-20")
        patcher, _calls = self._counting_wkhtmltopdf(patched_qt=True)
        with freeze_time("2026-02-01"), patcher:
            self._run_rendering()
        letters = self._letters()
        self.assertEqual(len(letters), 2)
        pages = sum(pdf_pages(letter.attachment_id.raw) for letter in letters)
        patcher, calls = self._counting_wkhtmltopdf()
        with patcher:
            action = (
                self.env.ref(PRINT_ACTION)
                .with_context(active_model="relance.dispatch", active_ids=letters.ids)
                .run()
            )
        self.assertFalse(calls, "stored letters are merged, not rendered again")
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachment_id = int(action["url"].split("/")[-1].split("?")[0])
        content = self.env["ir.attachment"].browse(attachment_id).raw
        self.assertEqual(pdf_pages(content), pages)
        text = pdf_text(content)
        self.assertIn(first.name, text)
        self.assertIn(second.name, text)
        self.assertEqual(letters.mapped("printed"), [True, True])
        to_print = self.env.ref("relance_facture.relance_dispatch_action_letter")
        domain = [*literal_eval(to_print.domain), ("printed", "=", False)]
        self.assertFalse(self.env["relance.dispatch"].search(domain))

    def test_print_renders_missing_letters_in_one_call(self):
        """Letters prepared without a PDF engine are rendered at print time,
        all in one call."""
        with freeze_time("2026-01-01"):
            self._relance_invoice(due="2026-01-20")
            self._relance_invoice(self.consumer, due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-02-01"):
            self._relance_run()
        letters = self._letters()
        self.assertEqual(len(letters), 2)
        self.assertFalse(letters.attachment_id)
        patcher, calls = self._counting_wkhtmltopdf(patched_qt=True)
        with patcher:
            action = (
                self.env.ref(PRINT_ACTION)
                .with_context(
                    active_model="relance.dispatch",
                    active_ids=letters.ids,
                    force_report_rendering=True,
                )
                .run()
            )
        self.assertEqual(len(calls), 1)
        self.assertEqual(len(letters.attachment_id), 2)
        attachment_id = int(action["url"].split("/")[-1].split("?")[0])
        content = self.env["ir.attachment"].browse(attachment_id).raw
        self.assertEqual(pdf_pages(content), 2)

    def test_customer_without_email_gets_a_letter(self):
        nomail = self._relance_customer(
            "Sans Mail SA",
            False,
            profile=self.profile_standard,
            street="8 rue Haute",
            zip="67000",
            city="Strasbourg",
        )
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(nomail, due="2026-01-20")
        patcher, _calls = self._counting_wkhtmltopdf(patched_qt=True)
        with freeze_time("2026-01-23"), patcher:
            self._run_rendering()
            self.assertFalse(self._new_mails)
        letter = self._letters()
        self.assertEqual(letter.partner_id, nomail)
        self.assertEqual(letter.state, "sent")
        event = invoice.relance_event_ids
        self.assertEqual(event.state, "sent")
        self.assertEqual(event.dispatch_id, letter)
        self.assertIn(
            "No email address for Sans Mail SA: a letter was prepared instead",
            event.note,
        )
        text = pdf_text(letter.attachment_id.raw)
        self.assertIn("Payment reminder", text)
        self.assertIn("8 rue Haute", text)
        self.assertIn(invoice.name, text)

    def test_tone_firmer_at_each_step(self):
        Report = self.env["report.relance_facture.report_relance_letter"]
        cases = [
            ("relance_facture.level_standard_1", "courtesy"),
            ("relance_facture.level_standard_3", "reminder_1"),
            ("relance_facture.level_standard_4", "reminder_2"),
            ("relance_facture.level_lenient_4", "reminder_3"),
            ("relance_facture.level_standard_5", "formal_notice"),
        ]
        for xmlid, tone in cases:
            with self.subTest(step=xmlid):
                self.assertEqual(Report._relance_tone(self.env.ref(xmlid)), tone)

    def test_letter_without_postal_address_becomes_a_call(self):
        """No postal address: the planner plans a call instead of the letter
        of Reminder 2, with the reason; the email still goes."""
        self.customer.write({"street": False, "zip": False, "city": False})
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-02-01"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1, "the email still goes out")
        self.assertFalse(self._letters())
        call = invoice.relance_event_ids.dispatch_ids.filtered(
            lambda d: d.channel == "phone"
        )
        self.assertEqual(call.state, "sent")
        self.assertIn("No postal address", call.note)
        self.assertEqual(invoice.relance_event_ids.state, "sent")
        self.assertEqual(invoice.relance_event_ids.channel, "email")

    def test_letter_in_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "relance_facture")]
        )._update_translations(["fr_FR"])
        self.customer.lang = "fr_FR"
        with freeze_time("2026-01-01"):
            self._relance_invoice(due="2026-01-20", amount=1200)
            self._relance_invoice(self.consumer, due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-02-01"):
            self._relance_run()
        letters = self._letters().sorted(lambda d: d.partner_id != self.customer)
        html, _report_type = self.env["ir.actions.report"]._render_qweb_html(
            "relance_facture.action_report_relance_letter", letters.ids
        )
        french, english = html.decode().split("Jeanne Durand", 1)
        self.assertIn("Deuxième relance : factures impayées", french)
        self.assertIn("12,15 %", french)
        self.assertIn("Second reminder: unpaid invoices", english)
