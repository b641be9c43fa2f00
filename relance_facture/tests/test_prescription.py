from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestPrescription(RelanceCommon):
    """SPEC §7, §12: the claim's expiry per unpaid instalment, restarted by an
    acknowledgement of debt, warned about 3 months before without claiming
    that a formal notice interrupts it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consumer = cls._relance_customer(
            "Marie Curie", "marie@example.com", is_company=False
        )
        cls.three_instalments = cls.env["account.payment.term"].create(
            {
                "name": "Half at 30 days, a quarter at 60 and 90 days",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": share, "nb_days": days}
                    )
                    for share, days in ((50, 30), (25, 60), (25, 90))
                ],
            }
        )
        cls.expiring_type = cls.env.ref(
            "relance_facture.mail_activity_type_relance_prescription"
        )

    def _warnings(self, move):
        return move.activity_ids.filtered(
            lambda a: a.activity_type_id == self.expiring_type
        )

    def _instalment_invoice(self, partner=None):
        return self._relance_invoice(
            partner,
            due="2021-03-02",
            invoice_date=self._day("2021-01-01"),
            payment_term=self.three_instalments,
            amount=3000,
        )

    def test_professional_earliest_unpaid_instalment(self):
        """Three instalments (31/01, 02/03, 01/04/2021): 5 years from the
        first; once it is paid, from the second."""
        invoice = self._instalment_invoice()
        self.assertEqual(
            sorted(
                str(d)
                for d in invoice.line_ids.filtered(
                    lambda line: line.display_type == "payment_term"
                ).mapped("date_maturity")
            ),
            ["2021-01-31", "2021-03-02", "2021-04-01"],
        )
        self.assertEqual(str(invoice.relance_prescription_date), "2026-01-31")
        self._relance_reconcile_paid(invoice, amount=1500, day=self._day("2021-02-10"))
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(str(invoice.relance_prescription_date), "2026-03-02")

    def test_paid_invoice_has_no_expiry(self):
        invoice = self._relance_invoice(due="2021-03-01", amount=1000)
        self._relance_reconcile_paid(invoice, day=self._day("2021-03-10"))
        self.assertFalse(invoice.relance_prescription_date)

    def test_draft_invoice_has_no_expiry(self):
        invoice = self._relance_invoice(due="2021-03-01", post=False)
        self.assertFalse(invoice.relance_prescription_date)

    def test_consumer_two_years_from_invoice_date(self):
        invoice = self._relance_invoice(
            self.consumer,
            due="2024-03-01",
            invoice_date=self._day("2024-01-31"),
            amount=1000,
        )
        self.assertTrue(self.consumer.relance_is_consumer)
        self.assertEqual(str(invoice.relance_prescription_date), "2026-01-31")
        # instalments of a consumer: all from the invoice date
        instalments = self._instalment_invoice(self.consumer)
        self.assertEqual(str(instalments.relance_prescription_date), "2023-01-01")

    def test_consumer_flag_changes_the_period(self):
        invoice = self._relance_invoice(
            self.consumer, due="2024-03-01", invoice_date=self._day("2024-01-31")
        )
        self.consumer.relance_is_consumer = False
        self.assertEqual(str(invoice.relance_prescription_date), "2029-03-01")

    @freeze_time("2025-12-10")
    def test_acknowledgement_restarts_the_period_and_is_logged(self):
        invoice = self._relance_invoice(due="2021-03-01", amount=1000)
        self.assertEqual(str(invoice.relance_prescription_date), "2026-03-01")
        self.flush_tracking()  # posting discards tracking until the commit
        tracked_invoice = invoice.with_context(
            tracking_disable=False, mail_notrack=False
        )
        tracked_invoice.relance_debt_acknowledged_date = "2025-12-10"
        self.flush_tracking()
        self.assertEqual(str(invoice.relance_prescription_date), "2030-12-10")
        # tracking values are for system users: read them as the chatter does
        tracked = invoice.sudo().message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "relance_debt_acknowledged_date"
        )
        self.assertEqual(len(tracked), 1)
        # a consumer's period starts again for 2 years
        consumer_invoice = self._relance_invoice(
            self.consumer, due="2024-03-01", invoice_date=self._day("2024-01-31")
        )
        consumer_invoice.relance_debt_acknowledged_date = "2025-06-30"
        self.assertEqual(str(consumer_invoice.relance_prescription_date), "2027-06-30")

    @freeze_time("2025-12-10")
    def test_acknowledgement_cannot_be_in_the_future(self):
        invoice = self._relance_invoice(due="2021-03-01")
        with self.assertRaises(ValidationError):
            invoice.relance_debt_acknowledged_date = "2025-12-11"

    def test_warning_once_three_months_before(self):
        invoice = self._relance_invoice(due="2021-03-01", amount=1000)
        consumer_invoice = self._relance_invoice(
            self.consumer,
            due="2024-03-01",
            invoice_date=self._day("2024-03-01"),
            amount=1000,
        )
        self.assertEqual(str(invoice.relance_prescription_date), "2026-03-01")
        self.assertEqual(str(consumer_invoice.relance_prescription_date), "2026-03-01")
        with self.mock_mail_gateway(), freeze_time("2025-11-30"):
            self._relance_run()
        self.assertFalse(self._warnings(invoice))
        self.assertFalse(invoice.relance_prescription_warned)
        with self.mock_mail_gateway(), freeze_time("2025-12-01"):
            self._relance_run()
            self._relance_run()
        for move in (invoice, consumer_invoice):
            warning = self._warnings(move)
            self.assertEqual(len(warning), 1)
            self.assertEqual(warning.summary, "Claim expires on 2026-03-01")
            self.assertEqual(warning.user_id, self.env.user)
            self.assertTrue(move.relance_prescription_warned)
        note = str(self._warnings(invoice).note)
        self.assertIn("time-barred after 2026-03-01", note)
        for article in ("2240", "2241", "2244"):
            self.assertIn(article, note)
        self.assertIn("a reminder or a formal notice does not", note)
        self.assertNotIn("act before", note)
        with self.mock_mail_gateway(), freeze_time("2025-12-20"):
            self._relance_run()
        self.assertEqual(len(self._warnings(invoice)), 1)

    def test_acknowledgement_closes_the_warning(self):
        invoice = self._relance_invoice(due="2021-03-01", amount=1000)
        with self.mock_mail_gateway(), freeze_time("2025-12-01"):
            self._relance_run()
        self.assertEqual(len(self._warnings(invoice)), 1)
        with freeze_time("2025-12-10"):
            invoice.relance_debt_acknowledged_date = "2025-12-10"
        self.assertFalse(self._warnings(invoice))
        self.assertFalse(invoice.relance_prescription_warned)
        with self.mock_mail_gateway(), freeze_time("2025-12-11"):
            self._relance_run()
        self.assertFalse(self._warnings(invoice), "2030 is far away")

    def test_paid_instalment_warns_again_for_the_next(self):
        """The warning was about the first instalment; once it is paid, the
        second one's expiry gets its own warning, replacing the first."""
        invoice = self._instalment_invoice()
        with self.mock_mail_gateway(), freeze_time("2025-11-01"):
            self._relance_run()
        self.assertEqual(self._warnings(invoice).summary, "Claim expires on 2026-01-31")
        self._relance_reconcile_paid(invoice, amount=1500, day=self._day("2025-11-15"))
        self.assertFalse(invoice.relance_prescription_warned)
        with self.mock_mail_gateway(), freeze_time("2025-12-02"):
            self._relance_run()
        warning = self._warnings(invoice)
        self.assertEqual(len(warning), 1)
        self.assertEqual(warning.summary, "Claim expires on 2026-03-02")
        # a partial payment of the same instalment keeps the date: no new warning
        self._relance_reconcile_paid(invoice, amount=100, day=self._day("2025-12-03"))
        self.assertTrue(invoice.relance_prescription_warned)
