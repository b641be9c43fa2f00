from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestPerformance(RelanceCommon):
    """Batch work must not grow per invoice: the run's SQL queries for 10
    and for 100 customers, counted absolutely."""

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

    def _relance_run_counted(self, count, queries):
        """The day's run for ``count`` new customers, each owing one invoice
        reminded by email, in at most ``queries`` SQL queries."""
        moves = self._relance_book("Perf", count, "2026-01-01", "2026-01-20")
        self.env.flush_all()
        self.env.invalidate_all()
        with (
            self.mock_mail_gateway(),
            freeze_time("2026-01-23"),
            self.assertQueryCount(queries),
        ):
            self.env["relance.engine"]._cron_run_daily(batch_size=500)
        self.assertEqual(len(self._new_mails), count)
        self.assertEqual(len(moves.relance_event_ids), count)
        self.assertEqual(set(moves.relance_event_ids.mapped("state")), {"sent"})

    def test_query_count_does_not_grow_with_customers(self):
        # warm-up: caches of templates, views and translations
        self._relance_run_counted(3, 1000)
        # not a query per customer: from 10 to 100 customers, only Odoo's
        # INSERTs and UPDATEs of 100 rows each (its batch size) add some
        self._relance_run_counted(10, 103)
        self._relance_run_counted(100, 115)

    def test_query_count_with_a_payment_provider(self):
        """With a payment provider the links of the messages are Odoo's
        payment links: still no query per customer."""
        self._relance_enable_provider()
        self._relance_run_counted(3, 1000)
        self._relance_run_counted(10, 112)
        self._relance_run_counted(100, 129)
        moves = self.env["account.move"].search(
            [("partner_id.name", "=like", "Perf 100-%")]
        )
        self.assertEqual(len(moves), 100)
        self.assertTrue(all(moves.mapped("relance_pay_online")))

    def _relance_run_phone_first_counted(self, count, queries):
        """The run that plans the calls of ``count`` customers who prefer the
        phone (Thursday), and the run that sends their waiting emails
        (Monday), each in at most its number of ``queries``."""
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
        for moment, emails, expected in (
            ("2026-01-22 05:00:00", 0, queries[0]),  # Thursday: calls, emails wait
            ("2026-01-26 05:00:00", count, queries[1]),  # Monday: the emails go
        ):
            self.env.flush_all()
            self.env.invalidate_all()
            with (
                self.mock_mail_gateway(),
                freeze_time(moment),
                self.assertQueryCount(expected),
            ):
                self.env["relance.engine"]._cron_run_daily(batch_size=500)
            self.assertEqual(len(self._new_mails), emails)
        self.assertEqual(len(moves.relance_event_ids), count)

    def test_query_count_of_phone_first_customers_does_not_grow(self):
        self._relance_run_phone_first_counted(3, (1000, 1000))
        # not a query per customer (see above)
        self._relance_run_phone_first_counted(10, (100, 74))
        self._relance_run_phone_first_counted(100, (101, 86))
