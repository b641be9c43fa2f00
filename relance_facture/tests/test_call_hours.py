from odoo import Command, fields
from odoo.tests import Form, freeze_time, tagged

from .common import RelanceCommon

BOTH_SLOTS = "between 10:00 and 13:00 or 14:00 and 20:00"


@tagged("post_install", "-at_install", "relance_facture")
class TestCallHours(RelanceCommon):
    """Call activities are dated within the call hours of the settings
    (shipped: Monday to Friday, 10:00-13:00 and 14:00-20:00, Paris time),
    never on a closed day. Frozen times are UTC: Paris is UTC+1 in winter,
    UTC+2 in summer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"relance_business_days": True, "country_id": cls.env.ref("base.fr").id}
        )
        cls.call_type = cls.env.ref("relance_facture.mail_activity_type_relance_call")

    def _call(self, partner=None):
        partner = partner or self.customer
        return partner.activity_ids.filtered(
            lambda a: a.activity_type_id == self.call_type
        )

    def _second_reminder_at(self, moment, due, send_now=False):
        """Reminder 2 (email, letter, call) of an invoice due on ``due``,
        run at ``moment`` by the daily run (or "Send now"): its call."""
        with freeze_time(fields.Date.add(fields.Date.to_date(due), days=-20)):
            invoice = self._relance_invoice(due=due)
        with self.mock_mail_gateway(), freeze_time(moment):
            if send_now:
                self._relance_run()
                self.assertFalse(self._new_mails, "closed day: the run sends nothing")
                invoice.action_relance_send_now()
            else:
                self._relance_run()
            self.assertEqual(len(self._new_mails), 1, "the email goes at once")
        self.assertEqual(invoice.relance_level_id.name, "Reminder 2")
        call = self._call()
        self.assertEqual(len(call), 1)
        return call

    def test_shipped_call_hours(self):
        calendar = self.company.relance_call_calendar_id
        self.assertEqual(
            calendar, self.env.ref("relance_facture.resource_calendar_relance_call")
        )
        self.assertEqual(calendar.tz, "Europe/Paris")
        self.assertEqual(
            sorted(
                (int(a.dayofweek), a.hour_from, a.hour_to)
                for a in calendar.attendance_ids
            ),
            [(day, h1, h2) for day in range(5) for h1, h2 in ((10, 13), (14, 20))],
        )
        company = self.env["res.company"].create({"name": "New Company"})
        self.assertEqual(company.relance_call_calendar_id, calendar)

    def test_weekday_morning_call_today(self):
        """Wednesday 07:00 in Paris: the call is for today, both slots."""
        call = self._second_reminder_at("2026-01-21 06:00:00", due="2026-01-09")
        self.assertEqual(str(call.date_deadline), "2026-01-21")
        self.assertEqual(call.summary, f"Call Dupont SARL: Reminder 2, {BOTH_SLOTS}")
        self.assertIn(f"Call {BOTH_SLOTS}.", call.note)

    def test_lunch_break_call_this_afternoon(self):
        """Wednesday 13:30 in Paris: the morning slot is over."""
        call = self._second_reminder_at("2026-01-21 12:30:00", due="2026-01-09")
        self.assertEqual(str(call.date_deadline), "2026-01-21")
        self.assertIn("Call between 14:00 and 20:00.", call.note)
        self.assertNotIn("10:00", call.summary)

    def test_after_eight_pm_call_tomorrow(self):
        """Wednesday 20:30 in Paris: the call is for Thursday."""
        call = self._second_reminder_at("2026-01-21 19:30:00", due="2026-01-09")
        self.assertEqual(str(call.date_deadline), "2026-01-22")
        self.assertIn(f"Call {BOTH_SLOTS}.", call.note)

    def test_friday_evening_call_monday(self):
        call = self._second_reminder_at("2026-01-23 19:30:00", due="2026-01-11")
        self.assertEqual(str(call.date_deadline), "2026-01-26")
        self.assertIn(BOTH_SLOTS, call.summary)

    def test_saturday_send_now_call_monday(self):
        """Nothing goes out on Saturday by the run; "Send now" sends the
        email and dates the call on Monday."""
        call = self._second_reminder_at(
            "2026-01-24 09:00:00", due="2026-01-09", send_now=True
        )
        self.assertEqual(str(call.date_deadline), "2026-01-26")

    def test_eve_of_ascension_call_friday(self):
        """Wednesday 13 May 2026, 21:00 in Paris: Thursday 14 is Ascension,
        the call is for Friday 15."""
        call = self._second_reminder_at("2026-05-13 19:00:00", due="2026-05-01")
        self.assertEqual(str(call.date_deadline), "2026-05-15")
        self.assertIn(f"Call {BOTH_SLOTS}.", call.note)

    def test_time_off_of_the_call_hours(self):
        """A day of time off in the call hours (e.g. a team seminar) has no
        call either."""
        calendar = self.company.relance_call_calendar_id
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Seminar",
                "calendar_id": calendar.id,
                "date_from": "2026-01-21 23:00:00",
                "date_to": "2026-01-22 22:59:59",
            }
        )
        call = self._second_reminder_at("2026-01-21 19:30:00", due="2026-01-09")
        self.assertEqual(str(call.date_deadline), "2026-01-23")

    def test_call_hours_changed_in_settings(self):
        mornings = self.env["resource.calendar"].create(
            {
                "name": "Tuesday and Thursday mornings",
                "tz": "Europe/Paris",
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": name,
                            "dayofweek": day,
                            "hour_from": 9,
                            "hour_to": 12,
                            "day_period": "morning",
                        }
                    )
                    for name, day in (("Tuesday", "1"), ("Thursday", "3"))
                ],
            }
        )
        with Form(self.env["res.config.settings"]) as form:
            form.relance_call_calendar_id = mornings
        self.assertEqual(self.company.relance_call_calendar_id, mornings)
        call = self._second_reminder_at("2026-01-21 06:00:00", due="2026-01-09")
        self.assertEqual(str(call.date_deadline), "2026-01-22")
        self.assertEqual(
            call.summary, "Call Dupont SARL: Reminder 2, between 09:00 and 12:00"
        )

    def test_without_call_hours(self):
        """No call hours in the settings: the next business day, no hours."""
        self.company.relance_call_calendar_id = False
        call = self._second_reminder_at(
            "2026-01-24 09:00:00", due="2026-01-09", send_now=True
        )
        self.assertEqual(str(call.date_deadline), "2026-01-26")
        self.assertEqual(call.summary, "Call Dupont SARL: Reminder 2")

    def test_no_answer_new_attempt_within_call_hours(self):
        """No answer on the eve of Ascension: the new attempt is on Friday,
        within the call hours."""
        self._second_reminder_at("2026-05-13 06:00:00", due="2026-05-01")
        with freeze_time("2026-05-13 08:00:00"):
            wizard = Form(
                self.env["relance.call.outcome"].with_context(
                    active_model="res.partner", active_ids=self.customer.ids
                )
            )
            wizard.outcome = "no_answer"
            wizard.save().action_confirm()
        retry = self._call()
        self.assertEqual(len(retry), 1)
        self.assertEqual(str(retry.date_deadline), "2026-05-15")
        self.assertEqual(retry.summary, f"Call again, {BOTH_SLOTS}")
