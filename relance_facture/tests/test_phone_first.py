from odoo.tests import Form, freeze_time, tagged

from .common import RelanceCommon

# Reminder 1 of an invoice due Monday 19 January 2026 (Standard, J+3) is on
# Thursday 22 January; the runs are at 06:00 in Paris (05:00 UTC).
THURSDAY = "2026-01-22 05:00:00"
FRIDAY = "2026-01-23 05:00:00"
MONDAY = "2026-01-26 05:00:00"


@tagged("post_install", "-at_install", "relance_facture")
class TestPhoneFirst(RelanceCommon):
    """A customer who prefers the phone gets the call first, and the email
    of the step only when the call is not logged within 2 business days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"relance_business_days": True, "country_id": cls.env.ref("base.fr").id}
        )
        cls.customer.relance_preferred_channel = "phone"
        cls.call_type = cls.env.ref("relance_facture.mail_activity_type_relance_call")

    def _calls(self):
        return self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id == self.call_type
        )

    def _invoice(self, amount=1200.0):
        with freeze_time("2026-01-10"):
            return self._relance_invoice(due="2026-01-19", amount=amount)

    def _record_call(self, outcome, **values):
        form = Form(
            self.env["relance.call.outcome"].with_context(
                active_model="res.partner", active_ids=self.customer.ids
            )
        )
        form.outcome = outcome
        for name, value in values.items():
            setattr(form, name, value)
        return form.save().action_confirm()

    def _run_at(self, *moments):
        """Daily runs at these moments: the emails they queued."""
        with self.mock_mail_gateway():
            for moment in moments:
                with freeze_time(moment):
                    self._relance_run()
            return self._new_mails

    def _email(self, invoice):
        return invoice.relance_event_ids.dispatch_ids.filtered(
            lambda d: d.channel == "email"
        )

    def test_call_first_email_two_business_days_later(self):
        """Call on Thursday, not logged: the email goes on Monday, once; the
        minimum gap to the next step counts from the email."""
        self.company.relance_min_gap_days = 10
        invoice = self._invoice()
        self.assertFalse(self._run_at(THURSDAY, "2026-01-22 14:00:00"))
        call = self._calls()
        self.assertEqual(len(call), 1)
        self.assertEqual(str(call.date_deadline), "2026-01-22")
        event = invoice.relance_event_ids
        self.assertEqual(len(event), 1, "the step is recorded with the call, once")
        self.assertEqual(event.level_id.name, "Reminder 1")
        self.assertEqual(event.state, "sent")
        self.assertEqual(str(event.date), "2026-01-22")
        email = self._email(invoice)
        self.assertEqual(email.state, "held")
        self.assertEqual(str(email.date), "2026-01-26")
        self.assertIn("goes on 2026-01-26 unless the call is logged", event.note)
        self.assertIn(
            "on 2026-01-26 unless the call is logged before",
            self.customer.message_ids[0].body,
        )
        # Friday, the weekend: still waiting
        self.assertFalse(
            self._run_at(FRIDAY, "2026-01-24 05:00:00", "2026-01-25 05:00:00")
        )
        mails = self._run_at(MONDAY, "2026-01-26 14:00:00")
        self.assertEqual(len(mails), 1, "sent once, not again on the re-run")
        self.assertEqual(mails.recipient_ids, self.customer)
        self.assertIn(invoice.name, mails.body_html)
        self.assertEqual(email.state, "sent")
        self.assertEqual(str(email.date), "2026-01-26")
        self.assertEqual(event.dispatch_id, email)
        self.assertEqual(event.mail_id, email.mail_id)
        self.assertIn("Email sent on 2026-01-26: the call was not logged.", event.note)
        self.assertEqual(len(invoice.relance_event_ids), 1)
        # Reminder 2 (J+12, 31 January) waits for 10 days after the email
        self.assertEqual(str(invoice.relance_next_date), "2026-02-05")
        self.assertFalse(self._run_at("2026-02-02 05:00:00"))
        self.assertEqual(len(invoice.relance_event_ids), 1)

    def test_call_logged_no_email(self):
        invoice = self._invoice()
        self._run_at(THURSDAY)
        with freeze_time("2026-01-23 10:00:00"):
            self._record_call("reached", note="Paying this week")
        self.assertFalse(self._calls())
        self.assertFalse(self._run_at(MONDAY, "2026-01-27 05:00:00"))
        email = self._email(invoice)
        self.assertEqual(email.state, "cancelled")
        reason = "Email not sent: the call of 2026-01-23 was logged (Reached)."
        self.assertEqual(email.note, reason)
        event = invoice.relance_event_ids
        self.assertEqual(event.state, "sent")
        self.assertIn(reason, event.note)
        self.assertTrue(
            self.customer.message_ids.filtered(lambda m: reason in (m.body or ""))
        )

    def test_call_marked_done_no_email(self):
        invoice = self._invoice()
        self._run_at(THURSDAY)
        with freeze_time("2026-01-22 15:00:00"):
            self._calls().action_done()
        self.assertFalse(self._run_at(MONDAY))
        self.assertEqual(self._email(invoice).state, "cancelled")
        self.assertIn(
            "the call was marked done on 2026-01-22", invoice.relance_event_ids.note
        )

    def test_no_answer_email_still_goes(self):
        """A call without answer is not a logged call: a new attempt on
        Monday, and the email on Monday too."""
        invoice = self._invoice()
        self._run_at(THURSDAY)
        with freeze_time("2026-01-23 10:00:00"):
            self._record_call("no_answer")
        self.assertEqual(str(self._calls().date_deadline), "2026-01-26")
        mails = self._run_at(MONDAY)
        self.assertEqual(len(mails), 1)
        self.assertEqual(self._email(invoice).state, "sent")

    def test_invoice_paid_meanwhile_no_email(self):
        invoice = self._invoice()
        self._run_at(THURSDAY)
        with freeze_time("2026-01-23 10:00:00"):
            self._relance_reconcile_paid(invoice)
        self.assertFalse(self._run_at(MONDAY))
        email = self._email(invoice)
        self.assertEqual(email.state, "cancelled")
        self.assertIn(
            "Email not sent: the invoice was paid meanwhile.",
            invoice.relance_event_ids.note,
        )

    def test_payment_plan_agreed_meanwhile_no_email(self):
        """A plan agreed on Friday (first instalment in February): Monday's
        waiting reminder would contradict it, it is not sent."""
        invoice = self._invoice()
        self._run_at(THURSDAY)
        with freeze_time("2026-01-23 10:00:00"):
            action = invoice.action_relance_payment_plan()
            form = Form(self.env[action["res_model"]].with_context(**action["context"]))
            form.first_date = self._day("2026-02-16")
            form.save().action_confirm()
        self.assertFalse(self._run_at(MONDAY))
        self.assertEqual(self._email(invoice).state, "cancelled")
        self.assertIn("payment plan", invoice.relance_event_ids.note)

    def test_paid_invoice_left_out_of_the_email(self):
        paid = self._invoice(amount=1200.0)
        unpaid = self._invoice(amount=800.0)
        self._run_at(THURSDAY)
        email = self._email(paid)
        self.assertEqual(email, self._email(unpaid), "one email for both")
        with freeze_time("2026-01-23 10:00:00"):
            self._relance_reconcile_paid(paid)
        mails = self._run_at(MONDAY)
        self.assertEqual(len(mails), 1)
        self.assertIn(unpaid.name, mails.body_html)
        self.assertNotIn(paid.name, mails.body_html)
        self.assertEqual(email.event_ids, unpaid.relance_event_ids)
        self.assertIn("paid meanwhile", paid.relance_event_ids.note)

    def test_no_call_possible_email_at_once(self):
        """The limit of calls is reached: no call, so the email goes at once."""
        self.company.relance_max_calls = 1
        invoice = self._invoice()
        with freeze_time("2026-01-20 10:00:00"):
            self.customer.activity_schedule(
                "relance_facture.mail_activity_type_relance_call"
            ).action_done()
        mails = self._run_at(THURSDAY)
        self.assertEqual(len(mails), 1)
        self.assertFalse(self._calls())
        self.assertEqual(self._email(invoice).state, "sent")
        self.assertIn("no further call", invoice.relance_event_ids.note)
