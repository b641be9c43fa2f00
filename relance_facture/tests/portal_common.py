from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from lxml import html

from odoo import fields
from odoo.tests import HttpCase

from .common import RelanceCommon

SUBMIT = "/relance/answer/submit"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
TZ = "Europe/Paris"


def _text(page):
    """The visible text of a page, every run of spaces as one."""
    return " ".join(page.text_content().split())


class PortalAnswersCase(RelanceCommon, HttpCase):
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
