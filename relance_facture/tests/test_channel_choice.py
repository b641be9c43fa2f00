from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestChannelChoice(RelanceCommon):
    """Preferred channel, change of channel, thank-you email, answers."""

    def _calls(self, partner):
        call_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        return partner.activity_ids.filtered(lambda a: a.activity_type_id == call_type)

    def test_prefers_letters(self):
        self.customer.relance_preferred_channel = "letter"
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertFalse(self._new_mails, "no email")
        dispatch = invoice.relance_event_ids.dispatch_id
        self.assertEqual(dispatch.channel, "letter")
        self.assertEqual(invoice.relance_event_ids.state, "sent")
        self.assertEqual(dispatch.note, "Letter to print.")

    def test_prefers_phone(self):
        """The call first; the email waits for it (tests/test_phone_first.py)."""
        self.customer.relance_preferred_channel = "phone"
        with freeze_time("2026-01-01"):
            self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertFalse(self._new_mails)
        self.assertEqual(len(self._calls(self.customer)), 1)

    def test_call_added_after_unanswered_email(self):
        """R1 by email on 01-23, no answer, no payment: R2 on 02-01 (9 days
        later, setting 7) adds a call; a customer who answered gets none."""
        self.profile_standard.level_ids.filtered(
            lambda lvl: lvl.name == "Reminder 2"
        ).write({"use_phone": False, "use_letter": False})
        talker = self._relance_customer("Talker", "t@example.com")
        with freeze_time("2026-01-01"):
            self._relance_invoice(due="2026-01-20")
            talker_invoice = self._relance_invoice(talker, due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
        with freeze_time("2026-01-25"):
            talker_invoice.message_post(
                body="We pay next week", author_id=talker.id, message_type="comment"
            )
        with self.mock_mail_gateway(), freeze_time("2026-02-01"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 2)
        self.assertEqual(len(self._calls(self.customer)), 1)
        self.assertFalse(self._calls(talker))
        self.assertIn("We pay next week", talker_invoice.relance_answer_ids.body)

    def test_thank_you_after_payment(self):
        self.company.relance_thank_you = True
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
            never_reminded = self._relance_invoice(due="2026-06-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
        with freeze_time("2026-01-25"):
            self._relance_reconcile_paid(invoice)
            self._relance_reconcile_paid(never_reminded)
        with self.mock_mail_gateway(), freeze_time("2026-01-26"):
            self._relance_run()
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
            self.assertIn("thank you", self._new_mails.subject)
            self.assertIn(invoice.name, self._new_mails.subject)
        self.assertTrue(invoice.relance_thanked)
        self.assertFalse(never_reminded.relance_thanked)

    def test_no_thank_you_by_default(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
        with freeze_time("2026-01-25"):
            self._relance_reconcile_paid(invoice)
        with self.mock_mail_gateway(), freeze_time("2026-01-26"):
            self._relance_run()
            self.assertFalse(self._new_mails)
