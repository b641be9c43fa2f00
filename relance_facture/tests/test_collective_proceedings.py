from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools.misc import formatLang

from .common import RelanceCommon
from .pdf_tools import pdf_text

REPORT = "relance_facture.action_report_declaration_creance"


@tagged("post_install", "-at_install", "relance_facture")
class TestCollectiveProceedings(RelanceCommon):
    """SPEC §12: from the opening judgment, the claims born before it are no
    longer reminded; their penalties stop at it; they are declared to the
    creditors' representative within two months of the BODACC publication.
    Claims born after the judgment are reminded as usual (C. com. L622-17)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "relance_fr_rules": True,
                "relance_legal_form": "SAS au capital de 10 000 EUR",
                "relance_signatory_id": cls.env.user.id,
            }
        )
        cls.customer.write(
            {
                "relance_profile_id": cls.profile_strict.id,
                "company_registry": "552 100 554",
            }
        )
        cls.representative = cls.env["res.partner"].create(
            {
                "name": "Maître Claire Mandataire",
                "street": "10 quai des Juges",
                "zip": "69002",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
                "lang": "en_US",
            }
        )
        cls.declaration_type = cls.env.ref(
            "relance_facture.mail_activity_type_relance_declaration"
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _open_proceedings(self, opening="2026-02-10", publication="2026-02-20"):
        self.customer.write(
            {
                "relance_proceedings_date": opening,
                "relance_proceedings_kind": "redressement",
                "relance_proceedings_court": "Tribunal de commerce de Lyon",
                "relance_proceedings_publication_date": publication,
                "relance_proceedings_representative_id": self.representative.id,
            }
        )

    def _declaration_activities(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("activity_type_id", "=", self.declaration_type.id),
            ]
        )

    def _claims(self):
        """Born before the judgment of 10/02/2026: 12,000 late since 15/01
        and 3,000 falling due on 20/02; born after it: 1,000 due on 20/02."""
        with freeze_time("2026-01-21"):
            late = self._relance_invoice(
                due="2026-01-15", amount=12000, invoice_date="2025-12-16"
            )
            to_fall_due = self._relance_invoice(
                due="2026-02-20", amount=3000, invoice_date="2026-01-21"
            )
        with freeze_time("2026-02-11"):
            after = self._relance_invoice(
                due="2026-02-20", amount=1000, invoice_date="2026-02-11"
            )
        return late, to_fall_due, after

    # ------------------------------------------------------------------
    # Dunning stops for the claims born before the judgment
    # ------------------------------------------------------------------
    def test_no_reminder_nor_notice_after_judgment_later_invoice_reminded(self):
        with freeze_time("2026-01-01"):
            old = self._relance_invoice(due="2026-01-15", amount=12000)
        with self.mock_mail_gateway():
            for day in ("2026-01-16", "2026-01-23", "2026-01-30"):
                with freeze_time(day):
                    self._relance_run()
        notice = old.relance_event_ids.filtered(lambda e: e.kind == "formal_notice")
        self.assertEqual(notice.state, "draft", "the formal notice waits")

        with freeze_time("2026-02-02"):
            self._open_proceedings(opening="2026-02-02", publication="2026-02-12")
        self.assertEqual(notice.state, "cancelled")
        self.assertIn("collective proceedings", notice.note)
        self.assertEqual(old.relance_state, "proceedings")
        self.assertEqual(self.customer.relance_stage, "proceedings")
        self.assertTrue(self.customer.relance_collective_proceedings)
        with self.assertRaises(UserError):
            notice.action_validate()

        with freeze_time("2026-02-05"):
            new = self._relance_invoice(
                due="2026-02-20", amount=1000, invoice_date="2026-02-05"
            )
        self.assertNotEqual(new.relance_state, "proceedings")
        events_before = self.env["relance.event"].search([])
        # 09/02: the escalation of the old invoice (J+25) would fall due
        for day in ("2026-02-09", "2026-02-21"):
            with self.mock_mail_gateway(), freeze_time(day):
                self._relance_run()
                if day == "2026-02-21":
                    self.assertEqual(len(self._new_mails), 1)
                    self.assertIn(new.name, self._new_mails.body_html)
                    self.assertNotIn(old.name, self._new_mails.body_html)
                else:
                    self.assertFalse(self._new_mails)
        new_events = self._relance_new_events(events_before)
        self.assertEqual(new_events.move_id, new, "nothing about the old invoice")
        self.assertEqual(new_events.mapped("kind"), ["reminder"])
        self.assertEqual(new_events.state, "sent")
        self.assertFalse(
            old.relance_event_ids.filtered(lambda e: e.kind == "escalation"),
            "no escalation: the declaration is the route",
        )
        self.assertFalse(old.relance_next_date)
        with freeze_time("2026-02-21"), self.assertRaises(UserError):
            old.action_relance_send_now()

    # ------------------------------------------------------------------
    # Penalties
    # ------------------------------------------------------------------
    def test_penalties_stop_at_the_judgment(self):
        late, to_fall_due, after = self._claims()
        self._open_proceedings()
        with freeze_time("2026-03-15"):
            details = (late | to_fall_due | after)._relance_penalty_details()
        # 25 days (16/01 to 09/02) x 12,000 x 12.15 % / 365; late before
        # the judgment: the indemnity was due before it
        self.assertEqual(
            (details[late]["penalty"], details[late]["indemnity"]), (99.86, 40.0)
        )
        self.assertEqual(str(details[late]["last_day"]), "2026-02-09")
        self.assertIn("collective proceedings", " ".join(details[late]["notes"]))
        # due after the judgment, which forbids paying it (L441-10 II)
        self.assertEqual(
            (details[to_fall_due]["penalty"], details[to_fall_due]["indemnity"]),
            (0.0, 0.0),
        )
        # born after the judgment: 23 days x 1,000 x 12.15 % / 365, and 40
        self.assertEqual(
            (details[after]["penalty"], details[after]["indemnity"]), (7.66, 40.0)
        )
        self.assertEqual(
            [m.relance_state for m in (late, to_fall_due)],
            ["proceedings", "proceedings"],
        )
        self.assertNotEqual(after.relance_state, "proceedings")
        # declared with the claim, never invoiced
        with self.assertRaises(UserError):
            late._relance_create_penalty_invoices()

    # ------------------------------------------------------------------
    # Declaration activity
    # ------------------------------------------------------------------
    def test_declaration_activity_once_with_deadline(self):
        self._claims()
        with freeze_time("2026-02-11"):
            self._open_proceedings(opening="2026-02-10", publication="2026-02-20")
        activity = self._declaration_activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(str(activity.date_deadline), "2026-04-20")
        self.assertEqual(
            self.customer.relance_proceedings_deadline, activity.date_deadline
        )
        self.assertEqual(activity.user_id, self.env.user)
        self.assertEqual(activity.relance_company_id, self.company)
        self.assertIn("2026-04-20", activity.summary)
        with self.mock_mail_gateway(), freeze_time("2026-02-12"):
            self._relance_run()
            self._relance_run()
        self.assertEqual(self._declaration_activities(), activity, "no duplicate")
        # the publication corrected: the activity follows
        self.customer.relance_proceedings_publication_date = "2026-02-27"
        self.assertEqual(self._declaration_activities(), activity)
        self.assertEqual(str(activity.date_deadline), "2026-04-27")
        # declared: not asked again for the same judgment
        activity.action_feedback(feedback="Declared")
        with self.mock_mail_gateway(), freeze_time("2026-02-13"):
            self._relance_run()
        self.assertFalse(self._declaration_activities())

    def test_declaration_activity_without_publication_then_cleared(self):
        self._claims()
        with freeze_time("2026-02-11"):
            self._open_proceedings(publication=False)
        activity = self._declaration_activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(str(activity.date_deadline), "2026-02-11")
        self.assertIn("BODACC", activity.summary)
        self.customer.relance_proceedings_date = False
        self.assertFalse(self._declaration_activities())

    # ------------------------------------------------------------------
    # The declaration of claim
    # ------------------------------------------------------------------
    def _declaration_pdf(self):
        # a configured layout: the button prints instead of asking for one
        self.company.external_report_layout_id = self.env.ref(
            "web.external_layout_standard"
        )
        action = self.customer.action_relance_declaration()
        self.assertEqual(
            action["report_name"], "relance_facture.report_declaration_creance"
        )
        content, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(REPORT, self.customer.ids)
        )
        self.assertEqual(report_type, "pdf")
        return pdf_text(content)

    def _assert_figures(self, text, lang, late, to_fall_due):
        env = self.env(context=dict(self.env.context, lang=lang))

        def money(value):
            return " ".join(
                formatLang(env, value, currency_obj=self.company.currency_id).split()
            )

        for item in (
            self.company.name,
            "SAS au capital de 10 000 EUR",
            "123 456 789 RCS Paris",
            "Maître Claire Mandataire",
            "10 quai des Juges",
            "69002 Lyon",
            "Dupont SARL",
            "552 100 554",
            "Tribunal de commerce de Lyon",
            late.name,
            to_fall_due.name,
            money(12000),  # principal due at the judgment
            money(3000),  # principal to fall due
            money(99.86),  # penalties to 09/02/2026
            money(40),  # one indemnity: the invoice already late
            money(12000 + 99.86 + 40),  # claim due at the judgment
            money(12000 + 99.86 + 40 + 3000),  # total declared
            "L622-25",
            "L622-28",
            "R622-23",
            self.env.user.name,
        ):
            with self.subTest(item=item):
                self.assertIn(item, text)

    def test_declaration_pdf_english(self):
        late, to_fall_due, after = self._claims()
        self._open_proceedings()
        with freeze_time("2026-03-15"):
            text = self._declaration_pdf()
        self._assert_figures(text, "en_US", late, to_fall_due)
        for item in (
            "DECLARATION OF CLAIM",
            "Proceedings: Receivership (redressement judiciaire), opened by "
            "judgment of Tribunal de commerce de Lyon dated 10 February 2026",
            "published in the BODACC on 20 February 2026",
            "due on 02/20/2026",
            "to 02/09/2026",
            "12.15 %",
            "unsecured (chirographaire)",
            "sincere and true",
        ):
            with self.subTest(item=item):
                self.assertIn(item, text)
        self.assertNotIn(after.name, text, "born after the judgment: not declared")

    def test_declaration_pdf_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "relance_facture")]
        )._update_translations(["fr_FR"])
        self.representative.lang = "fr_FR"
        late, to_fall_due, after = self._claims()
        self._open_proceedings()
        self.customer.relance_proceedings_security = "Réserve de propriété"
        with freeze_time("2026-03-15"):
            text = self._declaration_pdf()
        self._assert_figures(text, "fr_FR", late, to_fall_due)
        for item in (
            "DÉCLARATION DE CRÉANCE",
            "Procédure : Redressement judiciaire, ouverte par jugement du "
            "Tribunal de commerce de Lyon du 10 février 2026",
            "publié au BODACC le 20 février 2026",
            "échéance le 20/02/2026",
            "au 09/02/2026",
            "12,15 %",
            "Réserve de propriété",
            "sincère et véritable",
        ):
            with self.subTest(item=item):
                self.assertIn(item, text)
        self.assertNotIn("DECLARATION OF CLAIM", text)
        self.assertNotIn(after.name, text)

    def test_declaration_refused_without_claim(self):
        self._open_proceedings()
        with self.assertRaises(UserError):
            self.customer.action_relance_declaration()
