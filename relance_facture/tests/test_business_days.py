from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestBusinessDays(RelanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"relance_business_days": True, "country_id": cls.env.ref("base.fr").id}
        )

    def test_step_due_on_easter_weekend_goes_out_tuesday(self):
        """R1 due Saturday 4 April 2026 (J+3): nothing on Saturday, Sunday
        and Easter Monday; sent Tuesday 7 April."""
        with freeze_time("2026-03-01"):
            invoice = self._relance_invoice(due="2026-04-01")
        with self.mock_mail_gateway():
            for day in ("2026-04-04", "2026-04-05", "2026-04-06"):
                with freeze_time(day):
                    self._relance_run()
            self.assertFalse(self._new_mails)
            self.assertFalse(invoice.relance_event_ids)
            # the plan waits: the invoice is still due for the next run
            self.assertLessEqual(str(invoice.relance_next_date), "2026-04-06")
            with freeze_time("2026-04-07"):
                self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(invoice.relance_level_id.name, "Reminder 1")
        self.assertEqual(str(invoice.relance_last_date), "2026-04-07")

    def test_ascension_and_whit_monday(self):
        with freeze_time("2026-04-01"):
            invoice = self._relance_invoice(due="2026-05-11")  # R1 on 14 May
        with self.mock_mail_gateway():
            with freeze_time("2026-05-14"):
                self._relance_run()
            self.assertFalse(self._new_mails)
            with freeze_time("2026-05-15"):
                self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(str(invoice.relance_last_date), "2026-05-15")
        with self.mock_mail_gateway(), freeze_time("2026-05-25"):
            self._relance_run()  # Whit Monday, R2 (J+12 = 23 May) waits
            self.assertFalse(self._new_mails)

    def test_extra_closed_days_and_switch_off(self):
        self.company.relance_closed_days = "2026-04-08, 2026-04-09"
        with freeze_time("2026-03-01"):
            invoice = self._relance_invoice(due="2026-04-05")  # R1 on 8 April
        with self.mock_mail_gateway():
            with freeze_time("2026-04-08"):
                self._relance_run()
            self.assertFalse(self._new_mails)
            self.company.relance_business_days = False
            with freeze_time("2026-04-09"):
                self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertTrue(invoice.relance_event_ids)

    def test_bad_closed_days_refused(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.company.relance_closed_days = "8 April"

    def test_call_activity_dated_on_business_day(self):
        """Manual send on Saturday of Reminder 2 (email, call): the call is
        dated Monday."""
        with freeze_time("2026-03-01"):
            invoice = self._relance_invoice(due="2026-03-20")
        with self.mock_mail_gateway(), freeze_time("2026-04-04"):
            self._relance_run()
            self.assertFalse(self._new_mails, "Saturday")
            invoice.action_relance_send_now()
        call = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("relance_facture.mail_activity_type_relance_call")
        )
        self.assertEqual(str(call.date_deadline), "2026-04-07")
