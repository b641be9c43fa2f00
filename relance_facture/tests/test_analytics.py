from odoo import fields
from odoo.tests import tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestAnalytics(RelanceCommon):
    """Ageing, DSO and step effectiveness, read as the pivot views read them.

    The SQL views age to the database's CURRENT_DATE, so the invoices are
    dated relative to the real today (no frozen time here)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()

    def _ago(self, days):
        return fields.Date.add(self.today, days=-days)

    def _flush(self):
        self.env.flush_all()
        self.env.invalidate_all()

    def test_ageing_buckets_per_customer(self):
        other = self._relance_customer("Martin SARL", "martin@example.com")
        for days, amount in ((-10, 100), (10, 200), (45, 300), (75, 400), (120, 500)):
            self._relance_invoice(due=self._ago(days), amount=amount)
        paid = self._relance_invoice(due=self._ago(20), amount=999)
        self._relance_reconcile_paid(paid)
        partly = self._relance_invoice(other, due=self._ago(31), amount=1000)
        self._relance_reconcile_paid(partly, amount=250)
        self._flush()
        Ageing = self.env["relance.ageing.report"]
        groups = Ageing.read_group(
            [("partner_id", "=", self.customer.id)],
            ["amount_residual:sum"],
            ["bucket"],
        )
        self.assertEqual(
            {group["bucket"]: group["amount_residual"] for group in groups},
            {
                "0_not_due": 100,
                "1_1_30": 200,
                "2_31_60": 300,
                "3_61_90": 400,
                "4_over_90": 500,
            },
        )
        by_partner = Ageing.read_group(
            [("company_id", "=", self.company.id)],
            ["amount_residual:sum", "amount_31_60:sum"],
            ["partner_id"],
        )
        totals = {
            group["partner_id"][0]: (group["amount_residual"], group["amount_31_60"])
            for group in by_partner
        }
        self.assertEqual(totals[self.customer.id], (1500, 300))
        self.assertEqual(totals[other.id], (750, 750))

    def test_dso_is_a_ratio_of_sums(self):
        """DSO = receivables / credit sales of 90 days x 90, per customer and
        for the company as a whole (not an average of the customers')."""
        slow = self._relance_customer("Lent SA", "lent@example.com")
        # Customer: 3,000 sold, 1,000 still due -> DSO 30.
        self._relance_invoice(due=self.today, invoice_date=self._ago(10), amount=1000)
        sold = self._relance_invoice(
            due=self._ago(10), invoice_date=self._ago(40), amount=2000
        )
        self._relance_reconcile_paid(sold, day=self._ago(5))
        # Slow: 1,000 sold in 90 days, 3,000 due (2,000 from long ago) -> 270.
        self._relance_invoice(
            slow, due=self._ago(200), invoice_date=self._ago(230), amount=2000
        )
        self._relance_invoice(
            slow, due=self._ago(20), invoice_date=self._ago(50), amount=1000
        )
        Dso = self.env["relance.dso.report"]
        Dso._cron_refresh()
        current = [("is_current", "=", True), ("company_id", "=", self.company.id)]
        rows = Dso.read_group(current, ["dso:avg"], ["partner_id"])
        dso = {row["partner_id"][0]: row["dso"] for row in rows}
        self.assertAlmostEqual(dso[self.customer.id], 30.0)
        self.assertAlmostEqual(dso[slow.id], 270.0)
        (company_row,) = Dso.read_group(current, ["dso"], ["company_id"])
        self.assertAlmostEqual(company_row["dso"], 4000 / 4000 * 90)
        self.assertAlmostEqual(company_row["receivable_amount"], 4000)
        # The trend has one row per month end from the first invoice on: the
        # balance at the end of each month, and its DSO.
        months = Dso.read_group(
            [("partner_id", "=", slow.id)], ["dso", "receivable_amount"], ["date:month"]
        )
        self.assertGreaterEqual(len(months), 7)
        self.assertAlmostEqual(months[0]["receivable_amount"], 2000)
        self.assertAlmostEqual(months[-1]["receivable_amount"], 3000)
        self.assertAlmostEqual(months[-1]["dso"], 270.0)

    def test_step_effectiveness_share_paid_within_15_days(self):
        level = self.env.ref("relance_facture.level_standard_3")
        step_day = self._ago(30)
        moves = [self._relance_invoice(due=self._ago(40)) for _i in range(4)]
        for move in moves:
            self.env["relance.event"].sudo().create(
                {
                    "move_id": move.id,
                    "partner_id": self.customer.id,
                    "level_id": level.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "channel": "email",
                    "state": "sent",
                    "date": step_day,
                    "amount_residual": move.amount_residual,
                }
            )
        self._relance_reconcile_paid(moves[0], day=fields.Date.add(step_day, days=10))
        self._relance_reconcile_paid(moves[1], day=fields.Date.add(step_day, days=15))
        self._relance_reconcile_paid(moves[2], day=fields.Date.add(step_day, days=20))
        self._flush()
        (row,) = self.env["relance.step.effectiveness"].read_group(
            [("level_id", "=", level.id)],
            ["paid_rate:avg", "paid_count:sum"],
            ["profile_id", "date:month"],
            lazy=False,
        )
        self.assertEqual(row["__count"], 4)
        self.assertEqual(row["paid_count"], 2)
        self.assertAlmostEqual(row["paid_rate"], 50.0)
