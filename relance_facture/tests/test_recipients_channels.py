from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestRecipientsChannels(RelanceCommon):
    def _call_activities(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("relance_facture.mail_activity_type_relance_call").id,
                ),
            ]
        )

    def test_invoice_address_then_chosen_contact(self):
        accounting = self.env["res.partner"].create(
            {
                "name": "Service compta",
                "parent_id": self.customer.id,
                "type": "invoice",
                "email": "factures@dupont.example",
            }
        )
        with freeze_time("2026-01-01"):
            first = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertMailMail(accounting, "outgoing", content=first.name)
            self.assertNoMail(self.customer)
        chosen = self.env["res.partner"].create(
            {
                "name": "Mme Martin",
                "parent_id": self.customer.id,
                "email": "martin@dupont.example",
            }
        )
        self.customer.relance_contact_id = chosen
        with freeze_time("2026-01-01"):
            second = self._relance_invoice(due="2026-01-21")
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            self._relance_run()
            self.assertMailMail(chosen, "outgoing", content=second.name)
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(second.relance_event_ids.recipient_id, chosen)

    def test_no_email_letter_instead_and_history_says_why(self):
        nomail = self._relance_customer(
            "Sans Mail",
            False,
            phone="+33 1 23 45 67 89",
            street="8 rue Haute",
            zip="67000",
            city="Strasbourg",
        )
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(nomail, due="2026-01-20")
            other = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertEqual(
                len(self._new_mails), 1, "the other customer still gets his"
            )
            self.assertMailMail(self.customer, "outgoing", content=other.name)
        event = invoice.relance_event_ids
        self.assertEqual(event.state, "sent")
        # the history tells the channel that carried the step: the letter
        self.assertEqual(event.channel, "letter")
        self.assertIn(
            "No email address for Sans Mail: a letter was prepared instead", event.note
        )
        dispatches = event.dispatch_ids
        self.assertEqual(
            sorted(dispatches.mapped(lambda d: (d.channel, d.state))),
            [("letter", "sent")],
        )
        self.assertEqual(event.dispatch_id.channel, "letter")
        self.assertFalse(self._call_activities(nomail), "a letter, not a call")
        self.assertIn("a letter was prepared instead", invoice.message_ids[0].body)
        # the step is not retried the next day
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            self._relance_run()
            self.assertFalse(self._new_mails)
        self.assertEqual(len(invoice.relance_event_ids), 1)
        self.assertEqual(len(invoice.relance_event_ids.dispatch_ids), 1)

    def test_no_email_nor_address_call_activity_instead(self):
        nomail = self._relance_customer(
            "Sans Mail",
            False,
            phone="+33 1 23 45 67 89",
            street=False,
            zip=False,
            city=False,
        )
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(nomail, due="2026-01-20")
            other = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertEqual(
                len(self._new_mails), 1, "the other customer still gets his"
            )
            self.assertMailMail(self.customer, "outgoing", content=other.name)
        event = invoice.relance_event_ids
        self.assertEqual((event.state, event.channel), ("sent", "phone"))
        self.assertIn("No email address nor postal address", event.note)
        self.assertFalse(
            self.env["relance.dispatch"].search([("channel", "=", "letter")])
        )
        activity = self._call_activities(nomail)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.env.user)
        self.assertIn(invoice.name, activity.note)
        self.assertIn("No email address", activity.note)
        # the step is not retried the next day
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            self._relance_run()
            self.assertFalse(self._new_mails)
        self.assertEqual(len(invoice.relance_event_ids), 1)

    def test_two_currencies_two_messages(self):
        usd = self.setup_other_currency("EUR")
        with freeze_time("2026-01-01"):
            eur = self._relance_invoice(due="2026-01-20", amount=300)
            dollars = self._relance_invoice(due="2026-01-20", amount=400, currency=usd)
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 2)
        self.assertNotEqual(
            eur.relance_event_ids.dispatch_id, dollars.relance_event_ids.dispatch_id
        )
        self.assertEqual(dollars.relance_event_ids.dispatch_id.currency_id, usd)
        self.assertEqual(dollars.relance_event_ids.amount_residual, 400)

    def test_second_reminder_creates_call_with_script(self):
        user = self.env["res.users"].create(
            {
                "name": "Claire Recouvrement",
                "login": "claire",
                "email": "claire@example.com",
                "groups_id": [(4, self.env.ref("account.group_account_invoice").id)],
            }
        )
        self.customer.write({"relance_user_id": user.id, "phone": "0102030405"})
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-02-01"):
            self._relance_run()
        self.assertEqual(invoice.relance_level_id.name, "Reminder 2")
        activity = self._call_activities(self.customer)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, user)
        # 1 February 2026 is a Sunday: no call hours, the call is for Monday
        self.assertEqual(str(activity.date_deadline), "2026-02-02")
        self.assertIn("Call between 10:00 and 13:00 or 14:00 and 20:00.", activity.note)
        self.assertIn(f"Hello {self.customer.name}", activity.note)
        self.assertIn(invoice.name, activity.note)
        self.assertIn("0102030405", activity.note)

    def test_portal_link_and_layout(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            body = self._new_mails.body_html
        self.assertTrue(invoice.access_token)
        self.assertIn(f"access_token={invoice.access_token}", body)
        self.assertIn("Dear Dupont SARL", body)

    def test_customer_language_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "relance_facture")]
        )._update_translations(["fr_FR"])
        self.customer.lang = "fr_FR"
        english = self._relance_customer("Smith Ltd", "ap@smith.example")
        with freeze_time("2026-01-01"):
            self._relance_invoice(due="2026-01-20")
            self._relance_invoice(english, due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            french_mail = self._new_mails.filtered(
                lambda m: m.recipient_ids == self.customer
            )
            english_mail = self._new_mails.filtered(
                lambda m: m.recipient_ids == english
            )
        self.assertIn("Bonjour Dupont SARL", french_mail.body_html)
        self.assertIn("relance", french_mail.subject.lower())
        self.assertIn("Dear Smith Ltd", english_mail.body_html)

    def test_attach_invoice_pdf_when_setting_on(self):
        self.company.relance_attach_invoice = True
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        engine = self.env["relance.engine"].with_context(force_report_rendering=True)
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            engine._cron_run_daily()
            attachments = self._new_mails.attachment_ids
        self.assertEqual(len(attachments), 1)
        self.assertEqual(attachments.mimetype, "application/pdf")
        self.assertEqual(attachments.name, f"{invoice._get_report_base_filename()}.pdf")
        self.assertTrue(attachments.raw.startswith(b"%PDF"))
