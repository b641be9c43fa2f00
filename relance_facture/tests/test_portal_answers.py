from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from lxml import html

from odoo import Command, fields
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import mute_logger
from odoo.tools.misc import format_date

from .common import RelanceCommon

SUBMIT = "/relance/answer/submit"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
TZ = "Europe/Paris"


def _text(page):
    """The visible text of a page, every run of spaces as one."""
    return " ".join(page.text_content().split())


@tagged("post_install", "-at_install", "relance_facture")
class TestPortalAnswers(RelanceCommon, HttpCase):
    """The customer's answer page of a reminder (SPEC §12): opened by the
    invoices' access tokens without login, it records "already paid", a
    promise, a dispute or a payment plan request through a real form post,
    and refuses what does not fit, in the customer's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"tz": TZ})
        cls.today = fields.Date.context_today(cls.customer.with_context(tz=TZ))
        due = cls.today - timedelta(days=10)
        cls.invoice = cls._relance_invoice(due=due, amount=1200.0)
        cls.invoice_2 = cls._relance_invoice(due=due + timedelta(days=2), amount=300.5)
        cls.other_customer = cls._relance_customer("Martin SAS", "ap@martin.example")
        cls.other_invoice = cls._relance_invoice(cls.other_customer, due=due)
        cls.moves = cls.invoice | cls.invoice_2
        cls.env["relance.channel.email"]._relance_ensure_access_tokens(
            cls.moves | cls.other_invoice
        )
        cls.answer_type = cls.env.ref(
            "relance_facture.mail_activity_type_relance_answer"
        )

    def setUp(self):
        super().setUp()
        # an anonymous visitor with a session (the CSRF token is bound to it)
        self.authenticate(None, None)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _link(self, moves):
        """The link of a reminder to ``moves``, as a path of the test server."""
        url = urlsplit(self.env["relance.answer"]._relance_portal_url(moves))
        return f"{url.path}?{url.query}"

    @staticmethod
    def _param(link):
        return parse_qs(urlsplit(link).query)["invoices"][0]

    def _get(self, link, status=200, **kwargs):
        response = self.url_open(link, **kwargs)
        self.assertEqual(response.status_code, status, response.text[:2000])
        return html.fromstring(response.content)

    def _post(self, moves, data, files=None, csrf=True, link=None, status=303):
        """Post the form of the page of ``moves`` (its CSRF token read from
        the page, as a browser does); the page after the redirect, or the
        page answered when the answer is refused."""
        link = link or self._link(moves)
        payload = {"invoices": self._param(link), **data}
        if csrf:
            page = self._get(link)
            payload["csrf_token"] = page.xpath("//input[@name='csrf_token']/@value")[0]
        response = self.url_open(
            SUBMIT, data=payload, files=files, allow_redirects=False
        )
        self.assertEqual(response.status_code, status, response.text[:3000])
        if status != 303:
            return html.fromstring(response.content)
        location = urlsplit(response.headers["Location"])
        self.assertEqual(location.path, "/relance/answer")
        self.assertEqual(
            parse_qs(location.query),
            {"invoices": [self._param(link)], "answered": [data["kind"]]},
        )
        return self._get(f"{location.path}?{location.query}")

    def _answers(self):
        return self.env["relance.answer"].search(
            [("partner_id", "=", self.customer.id)]
        )

    def _error(self, page):
        errors = page.xpath("//div[contains(@class, 'o_relance_error')]")
        self.assertEqual(len(errors), 1, _text(page))
        return _text(errors[0])

    def _french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "relance_facture")]
        )._update_translations(["fr_FR"])
        self.customer.lang = "fr_FR"

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

    # ------------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------------
    @mute_logger("odoo.http")
    def test_post_without_csrf_token_is_refused(self):
        """Odoo's CSRF check refuses a post without the page's token: its
        own "bad request" page (the route never runs), nothing recorded."""
        self._french()
        data = {"kind": "plan", "move_ids": self.moves.ids, "instalment_count": "3"}
        for label, extra in (("no token", {}), ("forged", {"csrf_token": "forged"})):
            with self.subTest(label):
                page = self._post(self.moves, {**data, **extra}, csrf=False, status=400)
                self.assertIn("Oops! Something went wrong.", _text(page))
                self.assertFalse(page.xpath("//*[contains(@class, 'o_relance')]"))
        self.assertFalse(self._answers())
        # the same post with the page's token goes through
        self._post(self.moves, data)
        self.assertEqual(len(self._answers()), 1)

    def test_links_that_open_nothing(self):
        """A wrong token, another customer's or company's invoice, a draft,
        a malformed link: the same page saying the link is not valid, with
        nothing about the invoices, and no answer taken."""
        other_company = self.setup_other_company(name="Other Company")["company"]
        foreign = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "company_id": other_company.id,
                "invoice_date": self.today,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "price_unit": 50.0})
                ],
            }
        )
        foreign.with_company(other_company).action_post()
        draft = self._relance_invoice(post=False)
        self.env["relance.channel.email"]._relance_ensure_access_tokens(foreign | draft)
        good = self._param(self._link(self.invoice))
        cases = {
            "wrong token": f"{self.invoice.id}-{'0' * 36}",
            "token of another invoice": (
                f"{self.invoice.id}-{self.invoice_2.access_token}"
            ),
            "another customer's invoice": (
                f"{good},{self._param(self._link(self.other_invoice))}"
            ),
            "another company's invoice": f"{good},{self._param(self._link(foreign))}",
            "draft invoice": self._param(self._link(draft)),
            "no token": str(self.invoice.id),
            "malformed": f"{good};drop",
            "twice the same invoice": f"{good},{good}",
            "empty": "",
        }
        for label, param in cases.items():
            with self.subTest(label):
                page = self._get(f"/relance/answer?invoices={param}", status=404)
                text = _text(page)
                self.assertIn("This link is not valid", text)
                self.assertNotIn(self.invoice.name, text)
                self.assertNotIn("Dupont", text)
        # the post of such a link records nothing either
        page = self._get(self._link(self.invoice))
        token = page.xpath("//input[@name='csrf_token']/@value")[0]
        for label in ("wrong token", "another customer's invoice"):
            with self.subTest(f"post: {label}"):
                response = self.url_open(
                    SUBMIT,
                    data={
                        "invoices": cases[label],
                        "kind": "plan",
                        "move_ids": [self.invoice.id],
                        "instalment_count": "3",
                        "csrf_token": token,
                    },
                    allow_redirects=False,
                )
                self.assertEqual(response.status_code, 404)
                self.assertIn("This link is not valid", response.text)
        self.assertFalse(self.env["relance.answer"].search([]))

    def test_expired_link_when_everything_is_paid(self):
        """The invoices are paid: the page says there is nothing left to
        answer and shows them paid; a post records nothing."""
        self._relance_reconcile_paid(self.invoice)
        link = self._link(self.invoice)
        page = self._get(link)
        text = _text(page)
        self.assertIn("There is nothing left to answer", text)
        self.assertEqual(
            [
                _text(cell)
                for cell in page.xpath("//td[@class='o_relance_closed_state']")
            ],
            ["Paid"],
        )
        self.assertFalse(
            page.xpath("//form[contains(@class, 'o_relance_answer_form')]")
        )
        token = page.xpath("//input[@name='csrf_token']/@value") or [None]
        self.assertEqual(token, [None], "no form, no token")
        self.authenticate(None, None)
        open_page = self._get(self._link(self.invoice_2))
        csrf = open_page.xpath("//input[@name='csrf_token']/@value")[0]
        response = self.url_open(
            SUBMIT,
            data={
                "invoices": self._param(link),
                "kind": "promise",
                "move_ids": [self.invoice.id],
                "promise_date": str(self.today),
                "csrf_token": csrf,
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 410)
        self.assertIn("There is nothing left to answer", response.text)
        self.assertFalse(self._answers())
        # one invoice paid of two: the other can still be answered
        page = self._get(self._link(self.moves))
        self.assertEqual(
            page.xpath("//input[@name='move_ids']/@value"), [str(self.invoice_2.id)]
        )
        self.assertIn(
            "Paid",
            [_text(c) for c in page.xpath("//td[@class='o_relance_closed_state']")],
        )

    def test_refusals_in_french(self):
        """Each refused answer says why, in French for a French customer,
        keeps what was typed, and changes nothing."""
        self._french()
        self.company.relance_answer_daily_limit = 1
        latest = self.today + timedelta(days=self.company.relance_promise_max_days)
        latest_fr = format_date(self.env(context={"lang": "fr_FR"}), latest)
        ids = self.moves.ids
        cases = [
            (
                "promise beyond the latest date",
                {
                    "kind": "promise",
                    "move_ids": ids,
                    "promise_date": str(latest + timedelta(days=1)),
                },
                None,
                "La date promise ne peut pas dépasser 30 jours, soit le "
                f"{latest_fr} au plus tard. Pour un délai plus long, demandez un "
                "échéancier.",
            ),
            (
                "promise in the past",
                {
                    "kind": "promise",
                    "move_ids": ids,
                    "promise_date": str(self.today - timedelta(days=1)),
                },
                None,
                "La date promise ne peut pas être dans le passé.",
            ),
            (
                "date not written as a date input sends it",
                {"kind": "promise", "move_ids": ids, "promise_date": "31/01/2026"},
                None,
                "Indiquez la date à laquelle vous paierez.",
            ),
            (
                "impossible date",
                {"kind": "paid", "move_ids": ids, "paid_date": "2026-02-30"},
                None,
                "Indiquez la date de votre paiement.",
            ),
            (
                "paid in the future",
                {
                    "kind": "paid",
                    "move_ids": ids,
                    "paid_date": str(self.today + timedelta(days=2)),
                },
                None,
                "La date du paiement ne peut pas être dans le futur.",
            ),
            (
                "file too big",
                {"kind": "paid", "move_ids": ids, "paid_date": str(self.today)},
                {"paid_file": ("proof.pdf", PDF + b" " * (5 * 1024 * 1024))},
                "Le fichier est trop volumineux : 5 Mo au maximum.",
            ),
            (
                "file of another type than its name says",
                {
                    "kind": "dispute",
                    "move_ids": ids,
                    "dispute_type": "price",
                    "comment": "Wrong price",
                },
                {"dispute_file": ("proof.pdf", SVG, "application/pdf")},
                "Le fichier doit être un document PDF, PNG ou JPEG.",
            ),
            (
                "dispute without words",
                {"kind": "dispute", "move_ids": ids, "dispute_type": "price"},
                None,
                "Expliquez-nous ce qui ne va pas avec la facture.",
            ),
            (
                "unknown dispute type",
                {
                    "kind": "dispute",
                    "move_ids": ids,
                    "dispute_type": "weather",
                    "comment": "It rained",
                },
                None,
                "Choisissez le motif de votre contestation.",
            ),
            (
                "13 instalments",
                {"kind": "plan", "move_ids": ids, "instalment_count": "13"},
                None,
                "Choisissez entre 2 et 12 échéances.",
            ),
            (
                "message too long",
                {
                    "kind": "plan",
                    "move_ids": ids,
                    "instalment_count": "3",
                    "comment": "x" * 2001,
                },
                None,
                "Votre message est trop long : 2000 caractères au maximum.",
            ),
            (
                "no kind",
                {"move_ids": ids, "instalment_count": "3"},
                None,
                "Choisissez ce que vous souhaitez nous dire.",
            ),
            (
                "an answer by email is not for the page",
                {"kind": "reply", "move_ids": ids, "comment": "Hello"},
                None,
                "Choisissez ce que vous souhaitez nous dire.",
            ),
            (
                "no invoice ticked",
                {"kind": "plan", "instalment_count": "3"},
                None,
                "Sélectionnez au moins une facture.",
            ),
            (
                "an invoice the link does not open",
                {
                    "kind": "plan",
                    "move_ids": [self.invoice.id, self.other_invoice.id],
                    "instalment_count": "3",
                },
                None,
                "Certaines des factures sélectionnées ne peuvent pas recevoir de "
                "réponse depuis cette page : rechargez-la et réessayez.",
            ),
        ]
        for label, data, files, message in cases:
            with self.subTest(label):
                page = self._post(self.moves, data, files=files, status=400)
                self.assertIn(
                    "Votre réponse n'a pas pu être enregistrée. " + message,
                    self._error(page),
                )
                self.assertFalse(self._answers())
                self.assertFalse(
                    self.invoice.message_ids.filtered(
                        lambda m: "Customer answer" in (m.body or "")
                    )
                )
        # what was typed stays in the form
        page = self._post(
            self.moves,
            {
                "kind": "plan",
                "move_ids": [self.invoice_2.id],
                "instalment_count": "13",
                "comment": "Trois fois",
            },
            status=400,
        )
        self.assertEqual(
            page.xpath("//input[@name='move_ids'][@checked]/@value"),
            [str(self.invoice_2.id)],
        )
        self.assertEqual(
            page.xpath("//textarea[@name='comment']/text()"), ["Trois fois"]
        )
        self.assertEqual(page.xpath("//input[@name='kind'][@checked]/@value"), ["plan"])
        self.assertFalse(self.invoice.relance_promise_date)
        self.assertFalse(self.invoice.relance_dispute)
        self.assertFalse(self.invoice.relance_paused_until)

        # the daily limit: one answer a day per invoice here
        page = self._post(
            self.moves,
            {"kind": "plan", "move_ids": [self.invoice.id], "instalment_count": "3"},
        )
        self.assertIn("Merci, nous avons bien reçu votre réponse.", _text(page))
        self.assertEqual(len(self._answers()), 1)
        page = self._post(
            self.moves,
            {"kind": "plan", "move_ids": ids, "instalment_count": "6"},
            status=400,
        )
        self.assertIn(
            "Vous avez déjà répondu 1 fois aujourd'hui au sujet de la facture "
            f"{self.invoice.name}. Merci de réessayer demain ou de nous contacter "
            "directement.",
            self._error(page),
        )
        self.assertEqual(len(self._answers()), 1)
        # the other invoice has its own count
        self._post(
            self.moves,
            {"kind": "plan", "move_ids": [self.invoice_2.id], "instalment_count": "6"},
        )
        self.assertEqual(len(self._answers()), 2)

    def test_page_in_the_customer_language(self):
        """A French customer reads the page, the dispute reasons and the
        thanks in French; an unknown link follows the browser's language."""
        self._french()
        text = _text(self._get(self._link(self.moves)))
        self.assertIn("Que souhaitez-vous nous dire ?", text)
        self.assertIn("J'ai déjà payé", text)
        self.assertIn("Non livré ou non reçu", text)
        self.assertIn("1 200,00", text)
        page = self._post(
            self.moves,
            {"kind": "plan", "move_ids": self.moves.ids, "instalment_count": "3"},
        )
        self.assertIn("vous contactera pour convenir d'un échéancier", _text(page))
        page = self._get(
            "/relance/answer?invoices=1-x",
            status=404,
            headers={"Accept-Language": "fr-FR,fr;q=0.9"},
        )
        self.assertIn("Ce lien n'est pas valide", _text(page))

    def test_reminder_email_in_french_links_to_the_page(self):
        self._french()
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            mail = self._new_mails
        self.assertEqual(len(mail), 1)
        body = html.fromstring(mail.body_html)
        url = invoice.relance_event_ids.dispatch_ids.relance_answer_url
        self.assertIn(url, body.xpath("//a/@href"))
        self.assertIn("Déjà payé ? Une question ? Répondez ici", _text(body))

    # ------------------------------------------------------------------
    # In a browser
    # ------------------------------------------------------------------
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
