from odoo.tests import freeze_time, tagged

from odoo.addons.sms.tests.common import SMSCase

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestSms(RelanceCommon, SMSCase):
    """SMS through Odoo's queue: courtesy to all, Reminder 1 to consumers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consumer = cls._relance_customer(
            "Jean Martin", "jean@example.com", is_company=False, mobile="+33612345678"
        )
        cls.customer.mobile = "+33698765432"

    def _queued_sms(self, partner):
        return self.env["sms.sms"].sudo().search([("partner_id", "=", partner.id)])

    def test_courtesy_sms_with_amount_date_and_link(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.consumer, due="2026-01-20", amount=320)
        with self.mock_mail_gateway(), freeze_time("2026-01-13"):
            self._relance_run()
        sms = self._queued_sms(self.consumer)
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.number, "+33612345678")
        self.assertEqual(sms.state, "outgoing")
        self.assertIn(invoice.name, sms.body)
        self.assertIn("320.00", sms.body)
        self.assertIn("01/20/2026", sms.body)
        self.assertIn(f"access_token={invoice.access_token}", sms.body)
        with self.mockSMSGateway():
            self.env["sms.sms"].sudo()._process_queue()
        self.assertSMSIapSent([self.consumer.mobile], content=invoice.name)

    def test_reminder_1_sms_to_consumers_only(self):
        with freeze_time("2026-01-01"):
            self._relance_invoice(self.consumer, due="2026-01-20")
            self._relance_invoice(self.customer, due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 2, "both get the email")
        self.assertEqual(len(self._queued_sms(self.consumer)), 1)
        self.assertFalse(self._queued_sms(self.customer), "no SMS to a professional")

    def test_no_mobile_no_sms(self):
        nomobile = self._relance_customer(
            "Sans Mobile", "s@example.com", is_company=False
        )
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(nomobile, due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertFalse(self._queued_sms(nomobile))
        event = invoice.relance_event_ids
        self.assertEqual(event.state, "sent", "the email went out")
        # no SMS is planned without a mobile number; the history says why
        self.assertFalse(event.dispatch_ids.filtered(lambda d: d.channel == "sms"))
        self.assertIn("No mobile number", event.note)

    def test_sms_failure_recorded_in_history(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.consumer, due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
        with self.mockSMSGateway(sim_error="credit"):
            self.env["sms.sms"].sudo()._process_queue()
        event = invoice.relance_event_ids
        sms_dispatch = event.dispatch_ids.filtered(lambda d: d.channel == "sms")
        self.assertEqual(sms_dispatch.state, "failed")
        self.assertIn("Insufficient Credit", sms_dispatch.note)
        self.assertIn("Insufficient Credit", event.note)
        self.assertEqual(
            event.state, "sent", "the email of the step reached the customer"
        )

    def test_sms_only_step_fails_with_reason(self):
        level = self.profile_standard.level_ids.filtered(
            lambda lvl: lvl.name == "Reminder 1"
        )
        level.use_email = False
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.consumer, due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
        self.assertEqual(invoice.relance_event_ids.state, "sent")
        with self.mockSMSGateway(sim_error="unregistered"):
            self.env["sms.sms"].sudo()._process_queue()
        event = invoice.relance_event_ids
        self.assertEqual(event.state, "failed")
        self.assertIn("SMS not sent", event.note)
