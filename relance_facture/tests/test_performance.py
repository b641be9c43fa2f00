from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestPerformance(RelanceCommon):
    """Batch work must not grow per invoice: the run for 100 customers
    costs the same number of SQL queries as for 10, plus a small constant."""

    def _relance_book(self, prefix, count, invoice_date, due, **partner_values):
        """``count`` customers with one posted invoice of 500 each."""
        customers = self.env["res.partner"].create(
            [
                {
                    "name": f"{prefix} {count}-{i}",
                    "is_company": True,
                    "email": f"{prefix.lower()}{count}-{i}@example.com",
                    "lang": "en_US",
                    **partner_values,
                }
                for i in range(count)
            ]
        )
        with freeze_time(invoice_date):
            moves = self.env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": customer.id,
                        "invoice_date": invoice_date,
                        "invoice_date_due": due,
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "Service", "price_unit": 500, "tax_ids": []}
                            )
                        ],
                    }
                    for customer in customers
                ]
            )
            moves.action_post()
        return moves

    def _relance_count_run_queries(self, count):
        moves = self._relance_book("Perf", count, "2026-01-01", "2026-01-20")
        self.env.flush_all()
        self.env.invalidate_all()
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            start = self.env.cr.sql_log_count
            self.env["relance.engine"]._cron_run_daily(batch_size=500)
            self.env.flush_all()
            queries = self.env.cr.sql_log_count - start
            self.assertEqual(len(self._new_mails), count)
        self.assertEqual(len(moves.relance_event_ids), count)
        return queries

    def test_query_count_does_not_grow_with_customers(self):
        # warm-up: caches of templates, views and translations
        self._relance_count_run_queries(3)
        ten = self._relance_count_run_queries(10)
        hundred = self._relance_count_run_queries(100)
        self.assertLessEqual(
            hundred - ten,
            20,
            f"10 customers: {ten} queries, 100 customers: {hundred} queries",
        )

    def test_query_count_with_a_payment_provider(self):
        """With a payment provider the links of the messages are Odoo's
        payment links: still no query per customer."""
        self._relance_enable_provider()
        self._relance_count_run_queries(3)
        ten = self._relance_count_run_queries(10)
        hundred = self._relance_count_run_queries(100)
        self.assertLessEqual(
            hundred - ten,
            20,
            f"10 customers: {ten} queries, 100 customers: {hundred} queries",
        )
        moves = self.env["account.move"].search(
            [("partner_id.name", "=like", "Perf 100-%")]
        )
        self.assertEqual(len(moves), 100)
        self.assertTrue(all(moves.mapped("relance_pay_online")))

    def _relance_count_phone_first_queries(self, count):
        """Queries of the run that plans the calls of ``count`` customers who
        prefer the phone (Thursday), and of the run that sends their waiting
        emails (Monday)."""
        self.company.write(
            {"relance_business_days": True, "country_id": self.env.ref("base.fr").id}
        )
        moves = self._relance_book(
            "Phone",
            count,
            "2026-01-10",
            "2026-01-19",
            relance_preferred_channel="phone",
        )
        queries = []
        for moment, emails in (
            ("2026-01-22 05:00:00", 0),  # Thursday: calls, emails wait
            ("2026-01-26 05:00:00", count),  # Monday: the emails go
        ):
            self.env.flush_all()
            self.env.invalidate_all()
            with self.mock_mail_gateway(), freeze_time(moment):
                start = self.env.cr.sql_log_count
                self.env["relance.engine"]._cron_run_daily(batch_size=500)
                self.env.flush_all()
                queries.append(self.env.cr.sql_log_count - start)
                self.assertEqual(len(self._new_mails), emails)
        self.assertEqual(len(moves.relance_event_ids), count)
        return queries

    def test_query_count_of_phone_first_customers_does_not_grow(self):
        self._relance_count_phone_first_queries(3)
        ten = self._relance_count_phone_first_queries(10)
        hundred = self._relance_count_phone_first_queries(100)
        for label, low, high in zip(("calls", "emails"), ten, hundred, strict=True):
            self.assertLessEqual(
                high - low,
                20,
                f"{label}: 10 customers: {low} queries, 100 customers: {high} queries",
            )
