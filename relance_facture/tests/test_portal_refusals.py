from datetime import timedelta

from lxml import html

from odoo import Command
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger
from odoo.tools.misc import format_date

from .portal_common import PDF, SUBMIT, SVG, PortalAnswersCase, _text


@tagged("post_install", "-at_install", "relance_facture")
class TestPortalRefusals(PortalAnswersCase):
    """What the answer page refuses: no CSRF token, links that open nothing,
    expired links, answers that do not fit, in the customer's language."""

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
