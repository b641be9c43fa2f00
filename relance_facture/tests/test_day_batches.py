from unittest.mock import patch

from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestDayBatches(RelanceCommon):
    """The day's customers in batches, in the order of their ids: customers
    another transaction holds are passed over and come back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].concat(
            *(
                cls._relance_customer(f"Batch {i}", f"batch{i}@example.com")
                for i in range(3)
            )
        )
        with freeze_time("2026-01-01"):
            cls.invoices = cls.env["account.move"].concat(
                *(cls._relance_invoice(c, due="2026-01-20") for c in cls.customers)
            )

    def _run(self, held_for=0, **context):
        """The daily run with batches of one customer, the invoices of the
        second customer held by another transaction for ``held_for`` lock
        attempts; returns the (done, remaining) reported after each batch."""
        engine_cls = type(self.env["relance.engine"])
        real_lock = engine_cls._relance_lock_rows
        held = self.invoices[1]
        attempts = []

        def lock_rows(engine, table, condition):
            ids = real_lock(engine, table, condition)
            if held.id in ids:
                attempts.append(held)
                if len(attempts) <= held_for:
                    ids.remove(held.id)
            return ids

        progress = []

        def notify(cron, *, done, remaining, deactivate=False):
            progress.append((done, remaining))

        with (
            patch.object(engine_cls, "_relance_lock_rows", lock_rows),
            patch.object(type(self.env["ir.cron"]), "_notify_progress", notify),
        ):
            self.env["relance.engine"].with_context(**context)._cron_run_daily(
                batch_size=1
            )
        return progress

    def _reminded(self):
        return self.invoices.filtered("relance_event_ids").partner_id

    @freeze_time("2026-01-23")
    def test_customer_held_once_comes_back_at_the_end_of_the_day(self):
        with self.mock_mail_gateway():
            progress = self._run(held_for=1)
            self.assertEqual(self._new_mails.recipient_ids, self.customers)
        self.assertEqual(progress, [(1, 2), (0, 2), (1, 1), (1, 0)])
        self.assertEqual(self._reminded(), self.customers)

    @freeze_time("2026-01-23")
    def test_customer_held_all_day_is_left_for_the_next_call(self):
        with self.mock_mail_gateway():
            progress = self._run(held_for=99)
            self.assertEqual(len(self._new_mails), 2)
        # the worker calls again while something remains
        self.assertEqual(progress, [(1, 2), (0, 2), (1, 1), (0, 1)])
        self.assertEqual(self._reminded(), self.customers[0] | self.customers[2])
        with self.mock_mail_gateway():
            self.assertEqual(self._run(), [(1, 0)])
            self.assertEqual(self._new_mails.recipient_ids, self.customers[1])

    @freeze_time("2026-01-23")
    def test_worker_call_does_one_batch_that_did_work(self):
        """With ``cron_id`` (the worker commits between calls) a call stops
        after the first batch that did some work; a customer held by another
        transaction is passed over for the next one."""
        with self.mock_mail_gateway():
            self.assertEqual(self._run(cron_id=self.cron.id), [(1, 2)])
            self.assertEqual(self._reminded(), self.customers[0])
            progress = self._run(held_for=99, cron_id=self.cron.id)
            self.assertEqual(len(self._new_mails), 2)
        self.assertEqual(progress, [(0, 2), (1, 1)])
        self.assertEqual(self._reminded(), self.customers[0] | self.customers[2])
