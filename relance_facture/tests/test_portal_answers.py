from datetime import timedelta

from lxml import html

from odoo import fields
from odoo.tests import freeze_time, tagged
from odoo.tools.misc import format_date

from .portal_common import PDF, PNG, PortalAnswersCase, _text


@tagged("post_install", "-at_install", "relance_facture")
class TestPortalAnswers(PortalAnswersCase):
    """The answer page of a reminder: what it shows, the links to it, each
    answer recorded through a real form post, and a tour in a browser."""

    # ------------------------------------------------------------------
    # The page
    # ------------------------------------------------------------------
    def test_page_shows_invoices_and_nothing_internal(self):
        """The link opens its invoices (number, dates, amounts due, pay
        links), never the customer's other invoices nor any dunning data."""
        self.customer.write(
            {
                "relance_profile_id": self.profile_strict.id,
                "comment": "<p>Internal note: slow payer, call the boss</p>",
            }
        )
        self.invoice.write(
            {"relance_next_date": self.today, "relance_dispute_reason": "Old quarrel"}
        )
        hidden = self._relance_invoice(due=self.today - timedelta(days=3))
        page = self._get(self._link(self.moves))
        text = _text(page)
        for move in self.moves:
            self.assertIn(move.name, text)
            self.assertIn(format_date(self.env, move.invoice_date_due), text)
        self.assertIn("$ 1,200.00", text)
        self.assertIn("$ 300.50", text)
        self.assertIn("$ 1,500.50", text, "the total due")
        self.assertIn("Dupont SARL", text)
        self.assertNotIn(hidden.name, text)
        hrefs = page.xpath("//a[contains(@class, 'o_relance_pay')]/@href")
        self.assertEqual(hrefs, self.moves.mapped("relance_pay_url"))
        ticked = page.xpath("//input[@name='move_ids'][@checked]/@value")
        self.assertEqual(ticked, [str(i) for i in self.moves.ids])
        self.assertEqual(len(page.xpath("//input[@name='csrf_token']/@value")), 1)
        states = dict(
            self.env["account.move"]
            ._fields["relance_state"]
            ._description_selection(self.env)
        )
        for internal in (
            "Strict",
            "slow payer",
            "Old quarrel",
            "Dunning",
            states["overdue"],
            states["reminder_1"],
            states["paused"],
        ):
            self.assertNotIn(internal, text)
        # every field of the form has its label: 2 invoices, 4 kinds of
        # answer, their 7 fields and the message
        field_ids = page.xpath(
            "//form//*[self::input or self::select or self::textarea]"
            "[not(@type='hidden')]/@id"
        )
        self.assertEqual(len(field_ids), 14)
        for field_id in field_ids:
            self.assertEqual(
                len(page.xpath(f"//label[@for='{field_id}']")), 1, field_id
            )

    def test_reminders_link_to_the_page(self):
        """The email, the SMS (its first invoice) and the letter of a
        reminder give the link of the page, which opens their invoices."""
        consumer = self._relance_customer(
            "Jean Martin",
            "jean@example.com",
            self.profile_standard,
            is_company=False,
            mobile="+33612345678",
        )
        self.env.ref("relance_facture.level_standard_3").use_letter = True
        with freeze_time("2026-01-01"):
            first = self._relance_invoice(consumer, due="2026-01-20")
            second = self._relance_invoice(consumer, due="2026-01-20", amount=80)
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            mail = self._new_mails
        self.assertEqual(len(mail), 1)
        dispatches = first.relance_event_ids.dispatch_ids
        email = dispatches.filtered(lambda d: d.channel == "email")
        url = email.relance_answer_url
        link = self._link(first | second)
        self.assertTrue(url.endswith(link), url)
        body = html.fromstring(mail.body_html)
        self.assertIn(url, body.xpath("//a/@href"))
        self.assertIn("Already paid? A question? Answer here", _text(body))

        sms = self.env["sms.sms"].sudo().search([("partner_id", "=", consumer.id)])
        self.assertEqual(len(sms), 1)
        sms_url = self.env["relance.answer"]._relance_portal_url(first)
        self.assertIn(f"Paid? Answer: {sms_url} Pay online:", sms.body)
        # two links of one invoice each: with a short company name and two
        # invoices, the SMS stays within two segments (2 x 153 characters)
        self.assertLessEqual(len(sms.body), 306, sms.body)
        self.assertEqual(
            dispatches.filtered(lambda d: d.channel == "sms").relance_answer_sms_url,
            sms_url,
        )

        letter = dispatches.filtered(lambda d: d.channel == "letter")
        content, _type = self.env["ir.actions.report"]._render_qweb_html(
            "relance_facture.action_report_relance_letter", letter.ids
        )
        letter_text = _text(html.fromstring(content))
        self.assertIn(f"Already paid? A question? Answer here: {url}", letter_text)

        text = _text(self._get(link))
        self.assertIn(first.name, text)
        self.assertIn(second.name, text)

    def test_formal_notice_links_to_the_page(self):
        self.company.relance_fr_rules = True
        customer = self._relance_customer(
            "Durand Industrie", "compta@durand.example", self.profile_standard
        )
        with freeze_time("2025-12-01"):
            invoice = self._relance_invoice(customer, due="2026-01-01", amount=1000)
        with self.mock_mail_gateway(), freeze_time("2026-01-26"):
            self._relance_run()
            notice = invoice.relance_event_ids.filtered(
                lambda e: e.kind == "formal_notice"
            )
            notice.action_validate()
            mails = self._new_mails
        letter = notice.dispatch_ids.filtered(lambda d: d.channel == "formal_notice")
        url = letter.relance_answer_url
        self.assertTrue(url.endswith(self._link(invoice)), url)
        content, _type = self.env["ir.actions.report"]._render_qweb_html(
            "relance_facture.action_report_mise_en_demeure", letter.ids
        )
        self.assertIn(
            f"Already paid? A question? Answer here: {url}",
            _text(html.fromstring(content)),
        )
        notice_mail = mails.filtered(lambda m: "formal notice" in m.subject)
        self.assertEqual(len(notice_mail), 1)
        self.assertIn(url, html.fromstring(notice_mail.body_html).xpath("//a/@href"))

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------
    def test_promise_for_one_invoice(self):
        """A promise on one of the two invoices: that one waits for the date,
        the person in charge gets an activity, the page says thank you."""
        promised = self.today + timedelta(days=10)
        page = self._post(
            self.moves,
            {
                "kind": "promise",
                "move_ids": [self.invoice_2.id],
                "promise_date": str(promised),
                "comment": "Paid with the next batch",
            },
        )
        self.assertIn("We have noted the date you promised", _text(page))
        answer = self._answers()
        self.assertEqual(len(answer), 1)
        self.assertEqual(
            (answer.kind, answer.source, answer.promise_date, answer.move_ids),
            ("promise", "portal", promised, self.invoice_2),
        )
        self.assertEqual(answer.comment, "Paid with the next batch")
        self.assertEqual(self.invoice_2.relance_promise_date, promised)
        self.assertEqual(self.invoice_2.relance_state, "paused")
        self.assertFalse(self.invoice.relance_promise_date)
        activity = answer.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, self.answer_type)
        self.assertEqual(activity.user_id, self.env.user)
        self.assertEqual(activity.summary, "Note the customer's promise to pay")
        notes = self.invoice_2.message_ids.filtered(
            lambda m: "Customer answer" in (m.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("Paid with the next batch", notes.body)

    def test_dispute_with_document(self):
        """A dispute stops the invoice's dunning; the document sent with it
        is kept on the answer, its name made safe, its type read from it."""
        self._post(
            self.moves,
            {
                "kind": "dispute",
                "move_ids": [self.invoice.id],
                "dispute_type": "delivery",
                "comment": "Two boxes never arrived.",
            },
            files={
                "dispute_file": ("../../etc/delivery <note>.exe", PDF, "text/plain")
            },
        )
        answer = self._answers()
        self.assertEqual(len(answer), 1)
        self.assertEqual((answer.kind, answer.dispute_type), ("dispute", "delivery"))
        self.assertTrue(self.invoice.relance_dispute)
        self.assertEqual(self.invoice.relance_dispute_type, "delivery")
        self.assertEqual(
            self.invoice.relance_dispute_reason, "Two boxes never arrived."
        )
        self.assertFalse(self.invoice_2.relance_dispute)
        attachment = answer.attachment_ids
        self.assertEqual(len(attachment), 1)
        self.assertEqual(attachment.name, "delivery _note.pdf")
        self.assertEqual(attachment.mimetype, "application/pdf")
        self.assertEqual(attachment.raw, PDF)
        self.assertEqual(
            (attachment.res_model, attachment.res_id), ("relance.answer", answer.id)
        )
        self.assertFalse(attachment.public)
        self.assertEqual(
            answer.activity_ids.summary, "Look into the customer's dispute"
        )

    def test_already_paid_with_proof(self):
        page = self._post(
            self.moves,
            {
                "kind": "paid",
                "move_ids": self.moves.ids,
                "paid_date": str(self.today - timedelta(days=1)),
                "payment_ref": "VIR 4471",
            },
            files={"paid_file": ("avis de virement.png", PNG, "image/png")},
        )
        self.assertIn("We are looking for your payment", _text(page))
        answer = self._answers()
        self.assertEqual(len(answer), 1)
        self.assertEqual(answer.move_ids, self.moves)
        self.assertEqual(answer.paid_date, self.today - timedelta(days=1))
        self.assertEqual(answer.payment_ref, "VIR 4471")
        self.assertEqual(answer.attachment_ids.name, "avis de virement.png")
        self.assertEqual(answer.attachment_ids.mimetype, "image/png")
        pause = fields.Date.context_today(answer) + timedelta(
            days=self.company.relance_paid_claim_days
        )
        self.assertEqual(self.moves.mapped("relance_paused_until"), [pause, pause])
        self.assertEqual(
            answer.activity_ids.summary, "Find the payment the customer says was made"
        )

    def test_payment_plan_request(self):
        self._post(
            self.moves,
            {"kind": "plan", "move_ids": self.moves.ids, "instalment_count": "4"},
        )
        answer = self._answers()
        self.assertEqual(len(answer), 1)
        self.assertEqual((answer.kind, answer.instalment_count), ("plan", 4))
        self.assertEqual(
            answer.activity_ids.summary, "Agree a payment plan with the customer"
        )
        self.assertEqual(answer.activity_ids.user_id, self.env.user)
        # the ladder goes on until the plan is agreed
        self.assertFalse(any(self.moves.mapped("relance_promise_date")))
        self.assertFalse(any(self.moves.mapped("relance_paused_until")))
        self.assertFalse(any(self.moves.mapped("relance_dispute")))

    def test_portal_tour(self):
        """Logged out, in a browser: the customer promises to pay and reads
        the thanks; the promise is recorded on the invoice."""
        self.start_tour(self._link(self.invoice), "relance_portal_answer", login=None)
        answer = self._answers()
        self.assertEqual(len(answer), 1)
        self.assertEqual(answer.kind, "promise")
        self.assertEqual(answer.promise_date, self.today)
        self.assertEqual(self.invoice.relance_promise_date, self.today)
        self.assertEqual(answer.activity_ids.user_id, self.env.user)
