import base64
import io
import re
import subprocess
import zipfile

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools.misc import format_date, formatLang

from .common import RelanceCommon

LETTER_DAY = "2026-02-02"


def _norm(text):
    """Text with every run of spaces (line breaks, no-break spaces) as one."""
    return " ".join(text.split())


@tagged("post_install", "-at_install", "relance_facture")
class TestFormalNotice(RelanceCommon):
    """The formal notice letter (SPEC §7): its content for professionals and
    consumers in English and French, its validation, the registered-letter
    tracking and the escalation case file."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        france = cls.env.ref("base.fr")
        cls.company.write(
            {
                "country_id": france.id,
                "relance_fr_rules": True,
                "relance_legal_form": "SAS au capital de 10 000 EUR",
                # the letter prints its date only with a delivery margin
                "relance_notice_delivery_days": 3,
                "phone": "+33 1 23 45 67 89",
                "relance_signatory_id": cls.env.user.id,
            }
        )
        cls.env.user.partner_id.function = "Credit Manager"
        cls.pro = cls._relance_customer(
            "Durand Industrie",
            "compta@durand.example",
            cls.profile_strict,
            company_registry="987 654 321",
            ref="CLI-042",
            country_id=france.id,
        )
        cls.consumer = cls._relance_customer(
            "Jeanne Martin",
            "jeanne@example.com",
            cls.profile_strict,
            is_company=False,
            country_id=france.id,
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _relance_notices(self, partners, amount=12000.0):
        """Invoices due on 15/01/2026 walked along the strict ladder (R1 on
        16/01, R2 on 23/01): their formal notices wait for validation."""
        invoices = self.env["account.move"]
        with freeze_time("2026-01-01"):
            for partner in partners:
                invoices |= self._relance_invoice(
                    partner, due="2026-01-15", amount=amount
                )
        with self.mock_mail_gateway():
            for day in ("2026-01-16", "2026-01-23", "2026-01-30"):
                with freeze_time(day):
                    self._relance_run()
        notices = invoices.relance_event_ids.filtered(
            lambda e: e.kind == "formal_notice"
        )
        self.assertEqual(notices.mapped("state"), ["draft"] * len(partners))
        return invoices, notices

    def _relance_validate(self, notices, render=False):
        with self.mock_mail_gateway(), freeze_time(LETTER_DAY):
            notices.with_context(force_report_rendering=render).action_validate()
        letters = notices.dispatch_ids.filtered(lambda d: d.channel == "formal_notice")
        self.assertEqual(len(letters), len(notices))
        return letters

    def _relance_pdf_text(self, attachment):
        self.assertEqual(attachment.mimetype, "application/pdf")
        result = subprocess.run(
            ["pdftotext", "-", "-"],
            input=attachment.raw,
            capture_output=True,
            check=True,
        )
        return _norm(result.stdout.decode())

    def _relance_expected(self, letter, invoice):
        """What the letter must say, computed independently of the report."""
        lang = letter._relance_lang()
        env = self.env(context=dict(self.env.context, lang=lang))
        currency = letter.currency_id
        detail = invoice._relance_penalty_details(self._day(LETTER_DAY))[invoice]
        return {
            "money": lambda value: _norm(formatLang(env, value, currency_obj=currency)),
            "date": lambda value: format_date(env, value, lang),
            "long_date": lambda value: format_date(env, value, lang, "d MMMM y"),
            "detail": detail,
        }

    def _relance_assert_common(self, text, letter, invoice):
        exp = self._relance_expected(letter, invoice)
        company = self.company
        for item in (
            # creditor
            company.name,
            "SAS au capital de 10 000 EUR",
            "123 456 789 RCS Paris",
            "1 rue de la Paix",
            "75002 Paris",
            "compta@example.com",
            "+33 1 23 45 67 89",
            # base_iban prints the IBAN in groups of four
            "FR76 3000 6000 0112 3456 7890 189",
            # debtor
            letter.partner_id.name,
            "2 avenue des Clients",
            "69001 Lyon",
            # invoices table
            invoice.name,
            exp["date"](invoice.invoice_date),
            exp["date"](invoice.invoice_date_due),
            exp["money"](invoice.amount_residual),
            # earlier reminders: dates of R1 and R2
            exp["date"](self._day("2026-01-16")),
            exp["date"](self._day("2026-01-23")),
            # deadline: letter + 3 days of post + 8 days
            exp["long_date"](self._day("2026-02-13")),
            # signature
            self.env.user.name,
            "Credit Manager",
        ):
            with self.subTest(item=item):
                self.assertIn(_norm(item), text)
        self.assertEqual(letter.deadline_date, self._day("2026-02-13"))
        return exp

    # ------------------------------------------------------------------
    # The letter
    # ------------------------------------------------------------------
    def test_letters_english_professional_and_consumer(self):
        """One rendering for both letters, split into one PDF each; every
        mention of SPEC §7; penalties as computed by the invoices."""
        invoices, notices = self._relance_notices(self.pro | self.consumer)
        activity_type = self.env.ref(
            "relance_facture.mail_activity_type_relance_validate"
        )
        self.assertEqual(
            len(
                self.env["mail.activity"].search(
                    [
                        ("res_model", "=", "res.partner"),
                        ("res_id", "in", (self.pro | self.consumer).ids),
                        ("activity_type_id", "=", activity_type.id),
                    ]
                )
            ),
            2,
        )
        letters = self._relance_validate(notices, render=True)
        self.assertEqual(notices.mapped("state"), ["sent", "sent"])
        self.assertEqual(letters.mapped("state"), ["sent", "sent"])
        self.assertEqual(letters.mapped("sending_mode"), ["lrar", "lrar"])
        self.assertFalse(
            self.env["mail.activity"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", (self.pro | self.consumer).ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )
        pro_letter = letters.filtered(lambda d: d.partner_id == self.pro)
        pro_invoice = invoices.filtered(lambda m: m.partner_id == self.pro)
        text = self._relance_pdf_text(pro_letter.attachment_id)
        exp = self._relance_assert_common(text, pro_letter, pro_invoice)
        detail = exp["detail"]
        self.assertEqual(detail["kind"], "b2b")
        self.assertGreater(detail["penalty"], 0)
        self.assertEqual(detail["indemnity"], 40.0)
        total = pro_invoice.amount_residual + detail["penalty"] + detail["indemnity"]
        for item in (
            "FORMAL NOTICE TO PAY",
            "Registered letter with acknowledgement of receipt (LRAR)",
            "Paris, 2 February 2026",
            "987 654 321",
            "CLI-042",
            "Reminder 1",
            "Reminder 2",
            "article L441-10 du Code de commerce",
            "article D441-5 du Code de commerce",
            "12.15 %",
            exp["money"](detail["penalty"]),
            exp["money"](detail["indemnity"]),
            "1 late invoice(s)",
            exp["money"](total),
            "keep running until full payment",
            "formally demand that you pay the sum of " + exp["money"](total),
            "8 days from receipt of this letter",
            "legal action to recover our claim without further notice",
            "payment plan",
        ):
            with self.subTest(item=item):
                self.assertIn(_norm(item), text)
        self.assertNotIn("Jeanne Martin", text, "each letter is its own PDF")

        consumer_letter = letters - pro_letter
        consumer_invoice = invoices - pro_invoice
        text = self._relance_pdf_text(consumer_letter.attachment_id)
        exp = self._relance_assert_common(text, consumer_letter, consumer_invoice)
        for item in (
            "FORMAL NOTICE TO PAY",
            "articles 1231-6 and 1344-1 du Code civil",
            "no late-payment penalty and no recovery indemnity",
            "formally demand that you pay the sum of "
            + exp["money"](consumer_invoice.amount_residual),
        ):
            with self.subTest(item=item):
                self.assertIn(_norm(item), text)
        self.assertNotIn("L441-10", text)
        self.assertNotIn("D441-5", text)
        self.assertNotIn("Durand", text)

        # Frozen: printing again returns the letter as sent; it is in the
        # customer's chatter.
        report = self.env.ref("relance_facture.action_report_mise_en_demeure")
        self.assertEqual(
            report.retrieve_attachment(pro_letter), pro_letter.attachment_id
        )
        message = self.pro.message_ids.filtered(
            lambda m: pro_letter.attachment_id in m.attachment_ids
        )
        self.assertEqual(len(message), 1)

    def test_letters_french(self):
        """A French recipient gets a French letter, both kinds."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "relance_facture")]
        )._update_translations(["fr_FR"])
        (self.pro | self.consumer).write({"lang": "fr_FR"})
        invoices, notices = self._relance_notices(self.pro | self.consumer)
        letters = self._relance_validate(notices, render=True)
        pro_letter = letters.filtered(lambda d: d.partner_id == self.pro)
        pro_invoice = invoices.filtered(lambda m: m.partner_id == self.pro)
        text = self._relance_pdf_text(pro_letter.attachment_id)
        exp = self._relance_assert_common(text, pro_letter, pro_invoice)
        detail = exp["detail"]
        total = pro_invoice.amount_residual + detail["penalty"] + detail["indemnity"]
        for item in (
            "MISE EN DEMEURE DE PAYER",
            "Lettre recommandée avec accusé de réception (LRAR)",
            "Paris, le 2 février 2026",
            "Créancier",
            "Débiteur",
            "Relance 1",
            "Relance 2",
            "article L441-10 du Code de commerce",
            "article D441-5 du Code de commerce",
            "12,15 %",
            exp["money"](detail["penalty"]),
            exp["money"](total),
            "Nous vous mettons en demeure de nous régler la somme de "
            + exp["money"](total),
            "8 jours à compter de la réception",
            "sans autre préavis",
            "échéancier",
        ):
            with self.subTest(item=item):
                self.assertIn(_norm(item), text)
        self.assertNotIn("FORMAL NOTICE", text)

        consumer_letter = letters - pro_letter
        consumer_invoice = invoices - pro_invoice
        text = self._relance_pdf_text(consumer_letter.attachment_id)
        self._relance_assert_common(text, consumer_letter, consumer_invoice)
        for item in (
            "MISE EN DEMEURE DE PAYER",
            "articles 1231-6 et 1344-1 du Code civil",
            "intérêts au taux légal",
        ):
            with self.subTest(item=item):
                self.assertIn(_norm(item), text)
        self.assertNotIn("L441-10", text)

    # ------------------------------------------------------------------
    # Validation refused
    # ------------------------------------------------------------------
    def test_missing_mentions_refuse_validation(self):
        _invoices, notices = self._relance_notices(self.pro)
        self.company.company_registry = False
        self.company.partner_id.bank_ids.action_archive()
        self.pro.write({"street": False, "city": False})
        with self.assertRaises(UserError) as caught:
            self._relance_validate(notices)
        message = str(caught.exception)
        self.assertIn("SIREN/RCS", message)
        self.assertIn("IBAN", message)
        self.assertIn("postal address (street, ZIP, city) of Durand Industrie", message)
        self.assertEqual(notices.state, "draft")
        self.assertFalse(notices.dispatch_ids)

    # ------------------------------------------------------------------
    # Registered letter and case file
    # ------------------------------------------------------------------
    def _relance_track(self, opener, **values):
        action = opener.action_relance_notice_tracking()
        wizard = self.env["relance.notice.tracking"].browse(action["res_id"])
        wizard.write(values)
        wizard.action_apply()

    def test_tracking_wizard(self):
        invoices, notices = self._relance_notices(self.pro)
        letter = self._relance_validate(notices)
        self.assertTrue(letter.attachment_id)
        with freeze_time("2026-02-03"):
            self._relance_track(letter, sending_mode="lre", tracking_ref="1A0123456789")
        self.assertEqual(letter.sending_mode, "lre")
        self.assertEqual(letter.tracking_ref, "1A0123456789")
        self.assertFalse(letter.ack_date)
        with freeze_time("2026-02-06"):
            self._relance_track(notices, ack_date="2026-02-05")
        self.assertEqual(letter.ack_date, self._day("2026-02-05"))
        self.assertEqual(letter.tracking_ref, "1A0123456789")
        # The deadline now runs from the acknowledgement: 05/02 + 8 days.
        self.assertEqual(letter.deadline_date, self._day("2026-02-13"))
        notes = invoices.message_ids.mapped("body")
        history = " ".join(str(body) for body in notes)
        self.assertIn("1A0123456789", history)
        self.assertIn("Electronic registered letter (LRE)", history)
        self.assertIn("02/05/2026", history)
        self.assertIn("02/13/2026", history)
        with self.assertRaises(UserError):
            self._relance_track(letter, ack_date="2026-01-01")

    def _relance_letter_values(self, letter):
        report = self.env["report.relance_facture.report_mise_en_demeure"]
        return report._get_report_values(letter.ids)["letters"][letter.id]

    def test_deadline_runs_from_receipt(self):
        """The period runs from receipt: without a delivery margin no date is
        printed; with one, the date is given as a condition of delivery."""
        self.company.relance_notice_delivery_days = 0
        _invoices, notices = self._relance_notices(self.pro)
        letter = self._relance_validate(notices)
        values = self._relance_letter_values(letter)
        self.assertEqual(
            values["deadline_text"],
            "You have 8 days from receipt of this letter to pay.",
        )
        self.company.write(
            {"relance_notice_delivery_days": 18, "relance_notice_deadline_days": 10}
        )
        values = self._relance_letter_values(letter)
        # 2 February + 18 days of delivery and post-office keeping + 10 days
        self.assertEqual(
            values["deadline_text"],
            "You have 10 days from receipt of this letter to pay. If this letter "
            "reaches you within 18 days of its date, that is by 2 March 2026.",
        )

    def test_letter_states_every_rate_and_creditor_identity(self):
        """A period over 1 July lists each semester's rate; a semester
        without a published rate is said, not filled; the creditor block
        carries the RCS city and the share capital; a VAT number is never
        printed as a SIREN."""
        self.company.write(
            {
                "relance_legal_form": "SAS",
                "relance_share_capital": 10000,
                "relance_rcs_city": "Paris",
                "company_registry": "123 456 789",
            }
        )
        self.pro.write({"company_registry": False, "vat": "FR23334175221"})
        _invoices, notices = self._relance_notices(self.pro)
        with self.mock_mail_gateway(), freeze_time("2026-07-15"):
            notices.action_validate()
        letter = notices.dispatch_ids.filtered(lambda d: d.channel == "formal_notice")
        values = self._relance_letter_values(letter)
        self.assertEqual(values["debtor_siren"], "")
        self.assertEqual(values["debtor_vat"], "FR23334175221")
        self.assertEqual(values["rcs_city"], "Paris")
        self.assertIn("No published rate for 2026 H2", values["rate_missing_text"])
        self.assertEqual(values["penalty_value"], 0.0)
        self.env["relance.rate"].create(
            {"date_start": "2026-07-01", "ecb_rate": 2.0, "legal_rate_other": 2.5}
        )
        values = self._relance_letter_values(letter)
        self.assertFalse(values["rate_missing_text"])
        self.assertIn("12.15 % (2026 H1), 12.00 % (2026 H2)", values["penalty_label"])
        self.assertGreater(values["penalty_value"], 0.0)
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "relance_facture.action_report_mise_en_demeure", letter.ids
        )
        text = _norm(re.sub(r"<[^>]+>", " ", html.decode()))
        self.assertIn("SIREN 123 456 789", text)
        self.assertIn("RCS Paris", text)
        self.assertIn("with a share capital of", text)
        self.assertIn("VAT: FR23334175221", text)
        self.assertNotIn("SIREN: FR23334175221", text)

    def test_formal_notice_email_period_mode_and_closing(self):
        """The email gives the company's period, the letter's sending mode,
        and closes once."""
        self.company.relance_notice_deadline_days = 10
        _invoices, notices = self._relance_notices(self.pro)
        with self.mock_mail_gateway(), freeze_time(LETTER_DAY):
            notices.action_validate()
            body = _norm(self._new_mails.body_html)
        self.assertIn("within 10 days of receiving our formal notice letter", body)
        self.assertIn(
            "sent to you by registered letter with acknowledgement of receipt", body
        )
        self.assertNotIn("eight days", body)
        self.assertEqual(body.count("Yours faithfully"), 1)
        self.assertNotIn("Best regards", body)

    def test_escalation_names_the_court(self):
        """Injonction de payer: the tribunal judiciaire for a consumer, the
        commercial court only between traders."""
        channel = self.env["relance.channel.validation"]
        self.assertIn(
            "at the tribunal judiciaire (the customer is a consumer)",
            channel._relance_escalation_routes(self.consumer),
        )
        pro = channel._relance_escalation_routes(self.pro)
        self.assertIn("commercial court if the customer is a trader", pro)
        self.assertIn("otherwise at the tribunal judiciaire", pro)

    def test_scanned_acknowledgement_kept(self):
        """The signed AR is kept on the formal notice and in the case file."""
        invoices, notices = self._relance_notices(self.pro)
        letter = self._relance_validate(notices)
        scan = b"%PDF-1.4 signed acknowledgement"
        with freeze_time("2026-02-06"):
            self._relance_track(
                letter,
                ack_date="2026-02-05",
                ack_file=base64.b64encode(scan),
                ack_filename="AR 1A0123456789.pdf",
            )
        self.assertEqual(letter.ack_attachment_id.raw, scan)
        self.assertEqual(letter.ack_attachment_id.res_id, letter.id)
        attachment = self.env["relance.case.file"]._relance_build(self.pro, invoices)
        with zipfile.ZipFile(io.BytesIO(attachment.raw)) as archive:
            names = archive.namelist()
            ack = [n for n in names if n.endswith("AR 1A0123456789.pdf")]
            self.assertEqual(len(ack), 1, names)
            self.assertEqual(archive.read(ack[0]), scan)

    def test_case_file_zip(self):
        invoices, notices = self._relance_notices(self.pro)
        letter = self._relance_validate(notices)
        self._relance_track(letter, tracking_ref="1A0123456789", ack_date="2026-02-05")
        action = self.pro.action_relance_case_file()
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self.assertEqual(attachment.mimetype, "application/zip")
        # stored on the last message sent, under the company rule of the
        # history, not on the shared customer
        self.assertEqual(attachment.res_model, "relance.dispatch")
        holder = self.env["relance.dispatch"].browse(attachment.res_id)
        self.assertIn(holder, invoices.relance_event_ids.dispatch_ids)
        self.assertEqual(holder.date, letter.date)
        self.assertEqual(attachment.company_id, invoices.company_id)
        archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(attachment.datas)))
        names = archive.namelist()
        invoice_file = invoices._get_report_base_filename().replace("/", "_")
        self.assertEqual(len([n for n in names if n.startswith("invoices/")]), 1)
        self.assertTrue(
            any(n.startswith(f"invoices/{invoice_file}.") for n in names), names
        )
        letter_name = f"formal_notices/{letter.attachment_id.name}"
        self.assertIn(letter_name, names)
        self.assertEqual(archive.read(letter_name), letter.attachment_id.raw)
        history = archive.read("reminder_history.csv").decode("utf-8-sig")
        self.assertEqual(len(history.strip().splitlines()), 1 + 3)  # R1, R2, notice
        for step in ("Reminder 1", "Reminder 2", "Formal notice"):
            self.assertIn(step, history)
        acks = archive.read("formal_notices/acknowledgements.csv").decode("utf-8-sig")
        self.assertIn("1A0123456789", acks)
        self.assertIn("2026-02-05", acks)
        self.assertIn("2026-02-13", acks)
        self.assertIn(invoices.name, acks)
        # The escalation step offers the same file.
        action = notices.action_relance_case_file()
        self.assertEqual(action["type"], "ir.actions.act_url")
