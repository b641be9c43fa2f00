from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import RelanceCommon

DUE = "2026-03-02"


@tagged("post_install", "-at_install", "relance_facture")
class TestLadderCalendar(RelanceCommon):
    """Each shipped profile, day after day from J-10 to J+70: the exact day
    each step fires, and nothing on the other days."""

    def _relance_walk(self, profile, amount=1200.0):
        """Run the daily action every day; an accountant validates what waits.
        Returns {step name: (date, state)} and {date: emails queued}."""
        customer = self._relance_customer(
            f"Walk {profile.name}", "walk@example.com", profile
        )
        due = self._day(DUE)
        with freeze_time(due - timedelta(days=40)):
            invoice = self._relance_invoice(customer, due=DUE, amount=amount)
        fired, mails_by_day = {}, {}
        with self.mock_mail_gateway():
            for offset in range(-10, 71):
                day = due + timedelta(days=offset)
                with freeze_time(day):
                    before = len(self._new_mails)
                    self._relance_run()
                    waiting = invoice.relance_event_ids.filtered(
                        lambda e: e.state == "draft"
                    )
                    waiting.action_validate()
                    if len(self._new_mails) > before:
                        mails_by_day[offset] = len(self._new_mails) - before
        for event in invoice.relance_event_ids:
            self.assertNotIn(event.level_id.name, fired, "a step ran twice")
            fired[event.level_id.name] = ((event.date - due).days, event.state)
        return fired, mails_by_day

    def test_standard_profile_calendar(self):
        fired, mails = self._relance_walk(self.profile_standard)
        self.assertEqual(
            fired,
            {
                "Courtesy reminder": (-7, "sent"),
                "Courtesy call": (-3, "sent"),
                "Reminder 1": (3, "sent"),
                "Reminder 2": (12, "sent"),
                "Formal notice": (25, "sent"),
                "Escalation": (35, "sent"),
            },
        )
        # Emails only on the days of the email steps, one each.
        self.assertEqual(mails, {-7: 1, 3: 1, 12: 1, 25: 1})

    def test_standard_courtesy_call_needs_1000(self):
        fired, _mails = self._relance_walk(self.profile_standard, amount=800.0)
        self.assertNotIn("Courtesy call", fired)
        self.assertEqual(fired["Reminder 1"], (3, "sent"))

    def test_strict_profile_calendar(self):
        fired, mails = self._relance_walk(self.profile_strict)
        self.assertEqual(
            fired,
            {
                "Courtesy reminder": (-7, "sent"),
                "Courtesy call": (-3, "sent"),
                "Reminder 1": (1, "sent"),
                "Reminder 2": (8, "sent"),
                "Formal notice": (15, "sent"),
                "Escalation": (25, "sent"),
            },
        )
        self.assertEqual(mails, {-7: 1, 1: 1, 8: 1, 15: 1})

    def test_lenient_profile_calendar(self):
        fired, mails = self._relance_walk(self.profile_lenient)
        self.assertEqual(
            fired,
            {
                "Courtesy reminder": (-5, "sent"),
                "Reminder 1": (7, "sent"),
                "Reminder 2": (20, "sent"),
                "Reminder 3 (payment plan offer)": (30, "sent"),
                "Formal notice": (45, "sent"),
                "Escalation": (60, "sent"),
            },
        )
        self.assertEqual(mails, {-5: 1, 7: 1, 20: 1, 30: 1, 45: 1})

    def test_never_profile_sends_nothing(self):
        fired, mails = self._relance_walk(self.profile_never)
        self.assertEqual(fired, {})
        self.assertEqual(mails, {})

    def test_formal_notice_waits_for_validation(self):
        """Without an accountant, the formal notice stays a draft with an
        activity, and nothing goes further (no escalation)."""
        customer = self._relance_customer(
            "Waiting", "wait@example.com", self.profile_strict
        )
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(customer, due="2026-01-15")
        with self.mock_mail_gateway():
            for day in ("2026-01-16", "2026-01-23", "2026-01-30", "2026-02-15"):
                with freeze_time(day):
                    self._relance_run()
        notice = invoice.relance_event_ids.filtered(lambda e: e.kind == "formal_notice")
        self.assertEqual(notice.state, "draft")
        self.assertEqual(notice.date, self._day("2026-01-30"))
        self.assertEqual(invoice.relance_state, "to_validate")
        self.assertFalse(
            invoice.relance_event_ids.filtered(lambda e: e.kind == "escalation")
        )
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref(
                        "relance_facture.mail_activity_type_relance_validate"
                    ).id,
                ),
            ]
        )
        self.assertEqual(len(activity), 1)
        self.assertIn(invoice.name, activity.note)
        # Validating sends it through the engine and closes the activity.
        with self.mock_mail_gateway(), freeze_time("2026-02-16"):
            notice.action_validate()
            self.assertEqual(notice.state, "sent")
            self.assertEqual(len(self._new_mails), 1)
            self.assertIn("formal notice", self._new_mails.subject.lower())
        self.assertFalse(activity.exists())
