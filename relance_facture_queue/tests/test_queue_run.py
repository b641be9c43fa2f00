from datetime import date
from unittest.mock import patch

from odoo import sql_db
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.relance_facture.tests.common import RelanceCommon

from ..models.relance_engine import SLOT_LOCK_KEY

DAY = "2026-01-23"  # Reminder 1 (J+3) of the invoices due on 2026-01-20


@tagged("post_install", "-at_install", "relance_facture_queue")
class TestQueueRun(RelanceCommon):
    """The daily run in jobs of the queue: one job per batch of customers,
    each customer reminded once, retries that never send twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(
            "relance_facture_queue.parallel", True
        )
        cls.env["relance.workspace"]._relance_queue_sync_card()
        cls.engine = cls.env["relance.engine"]
        cls.due_customers = cls.env["res.partner"].concat(
            cls.customer,
            *(
                cls._relance_customer(f"Queue {i}", f"queue{i}@example.com")
                for i in range(4)
            ),
        )
        later = cls._relance_customer("Later SARL", "later@example.com")
        disputed = cls._relance_customer("Disputed SARL", "disputed@example.com")
        with freeze_time("2026-01-01"):
            cls.invoices = cls.env["account.move"].concat(
                *(cls._relance_invoice(c, due="2026-01-20") for c in cls.due_customers),
                # a second invoice of the first customer: one message for both
                cls._relance_invoice(cls.customer, due="2026-01-19", amount=300),
            )
            cls._relance_invoice(later, due="2026-03-30")
            cls._relance_invoice(disputed, due="2026-01-20").write(
                {"relance_dispute": True, "relance_dispute_reason": "Wrong price"}
            )

    def _scheduler_run(self, batch_size=200):
        """The daily action as the scheduler's worker calls it."""
        self.engine.with_context(cron_id=self.cron.id)._cron_run_daily(
            batch_size=batch_size
        )

    def _enqueue(self, batch_size=2):
        """The scheduler's daily action, jobs trapped."""
        with trap_jobs() as trap:
            self._scheduler_run(batch_size=batch_size)
        return trap

    def _day_jobs(self, day=DAY):
        return (
            self.env["queue.job"]
            .sudo()
            .search(
                self.engine._relance_queue_day_domain(date.fromisoformat(day)),
                order="id",
            )
        )

    def _perform(self, job_record):
        """What the job runner does: perform, then store the job done."""
        job = Job.load(self.env, job_record.uuid)
        job.set_started()
        job.perform()
        job.set_done()
        job.store()
        return job

    def _customer_events(self, customers):
        return self.env["relance.event"].search([("partner_id", "in", customers.ids)])

    def test_daily_action_enqueues_disjoint_batches_of_the_due_customers(self):
        with self.mock_mail_gateway(), freeze_time(DAY):
            trap = self._enqueue(batch_size=2)
            self.assertFalse(self._new_mails, "the cron itself sends nothing")
        trap.assert_jobs_count(3, only=self.engine._relance_run_customers)
        batches = [job.args[0] for job in trap.enqueued_jobs]
        flat = [partner_id for batch in batches for partner_id in batch]
        self.assertEqual(len(flat), len(set(flat)), "batches are disjoint")
        self.assertEqual(sorted(flat), sorted(self.due_customers.ids))
        self.assertEqual([len(batch) for batch in batches], [2, 2, 1])
        self.assertEqual(flat, sorted(flat), "customers in the order of their ids")
        for number, job in enumerate(trap.enqueued_jobs, start=1):
            self.assertEqual(job.args[1], date(2026, 1, 23))
            self.assertEqual(job.channel, "root.relance")
            self.assertEqual(job.identity_key, f"relance_facture_queue:{DAY}:{number}")
            self.assertEqual(job.max_retries, 6)
            self.assertIn(f"Dunning of {DAY}, batch {number}/3", job.description)
        first = self.env["res.partner"].browse(batches[0][0])
        self.assertIn(f"{first.name} (#{first.id})", trap.enqueued_jobs[0].description)
        trap.assert_enqueued_job(
            self.engine._relance_run_customers,
            args=(batches[2], date(2026, 1, 23)),
            properties={"channel": "root.relance"},
        )
        self.assertFalse(self.invoices.relance_event_ids)

    def test_jobs_send_each_due_customer_once(self):
        with self.mock_mail_gateway(), freeze_time(DAY):
            trap = self._enqueue(batch_size=2)
            results = [job.perform() for job in trap.enqueued_jobs]
            self.assertEqual(len(self._new_mails), 5)
            self.assertEqual(self._new_mails.recipient_ids, self.due_customers)
        self.assertEqual(len(self.invoices.relance_event_ids), 6)
        self.assertEqual(set(self.invoices.relance_event_ids.mapped("state")), {"sent"})
        for invoice in self.invoices:
            self.assertEqual(invoice.relance_level_id.name, "Reminder 1")
        self.assertIn("3 invoices of 2 customers processed", results[0])
        # its SQL queries, summed by scripts/scaling.py
        self.assertRegex(results[0], r"; [1-9][0-9]* SQL queries\.$")

    def test_failed_job_is_retried_without_duplicates(self):
        """A job that crashes after planning and queuing its emails leaves
        nothing behind; its retry sends its customers' reminders, once, and
        jobs performed again (requeued by hand) send nothing more."""
        engine_cls = type(self.engine)
        original = engine_cls._relance_process_moves
        crashes = []

        def process_then_crash(engine, moves, today):
            events = original(engine, moves, today)
            if (
                not crashes
                and len(moves.commercial_partner_id) == 2
                and (self.customer not in moves.commercial_partner_id)
            ):
                crashes.append(moves.commercial_partner_id)
                raise RuntimeError("the worker lost its database connection")
            return events

        with self.mock_mail_gateway(), freeze_time(DAY):
            trap = self._enqueue(batch_size=2)
            first, second, third = trap.enqueued_jobs
            with patch.object(engine_cls, "_relance_process_moves", process_then_crash):
                first.perform()
                with self.assertRaises(RetryableJobError):
                    second.perform()
                third.perform()
                self.assertEqual(second.retry, 1)
                crashed = crashes[0]
                self.assertFalse(self._customer_events(crashed))
                self.assertEqual(len(self._new_mails.exists()), 3)
                self.assertNotIn(crashed[0], self._new_mails.exists().recipient_ids)
                second.perform()
            self.assertEqual(len(self._new_mails.exists()), 5)
            for job in (first, second, third):
                job.perform()
            mails = self._new_mails.exists()
            self.assertEqual(len(mails), 5)
            self.assertEqual(mails.recipient_ids, self.due_customers)
        self.assertEqual(len(self.invoices.relance_event_ids), 6)

    def test_unique_index_refuses_a_step_planned_twice(self):
        """The last guard: a job repeated with what an older snapshot saw
        (its invoices still due at Reminder 1) records no step twice, the
        unique index of relance.event refuses them, and sends nothing."""
        engine_cls = type(self.engine)
        planner_cls = type(self.env["relance.planner"])
        real_lock = engine_cls._relance_lock_due_moves
        real_plan = planner_cls._relance_plan_invoices
        stale = {}

        def lock(engine, today, limit, **kwargs):
            return stale.setdefault("moves", real_lock(engine, today, limit, **kwargs))

        def plan(planner, moves, today, force=False):
            return stale.setdefault("plans", real_plan(planner, moves, today, force))

        with self.mock_mail_gateway(), freeze_time(DAY):
            job = self._enqueue(batch_size=200).enqueued_jobs[0]
            with (
                patch.object(engine_cls, "_relance_lock_due_moves", lock),
                patch.object(planner_cls, "_relance_plan_invoices", plan),
            ):
                job.perform()
                events = self.invoices.relance_event_ids
                self.assertEqual(len(events), 6)
                self.assertEqual(len(self._new_mails), 5)
                with self.assertLogs("odoo.sql_db", "ERROR") as logs:
                    result = job.perform()
            self.assertEqual(len(self._new_mails.exists()), 5)
        refused = [line for line in logs.output if "duplicate key" in line]
        # the batch at once, then each of the 6 invoices on its own
        self.assertEqual(len(refused), 7)
        self.assertIn("relance_event_move_level_instalment_uniq", refused[0])
        self.assertIn("6 invoices of 5 customers processed", result)
        self.invoices.invalidate_recordset()
        self.assertEqual(self.invoices.relance_event_ids, events)

    def test_job_fails_for_good_after_its_retries(self):
        def crash(engine, moves, today):
            raise RuntimeError("corrupted batch")

        function = self.env.ref(
            "relance_facture_queue.queue_job_function_relance_run_customers"
        ).sudo()
        self.assertEqual(function.channel, "root.relance")
        self.assertEqual(function.retry_pattern, {"1": 60, "3": 300, "5": 900})
        with self.mock_mail_gateway(), freeze_time(DAY):
            job = self._enqueue(batch_size=200).enqueued_jobs[0]
            self.assertEqual(job.job_config.retry_pattern, {1: 60, 3: 300, 5: 900})
            with patch.object(type(self.engine), "_relance_process_moves", crash):
                for _attempt in range(5):
                    with self.assertRaises(RetryableJobError):
                        job.perform()
                with self.assertRaises(FailedJobError):
                    job.perform()
            self.assertFalse(self._new_mails.exists())
        self.assertFalse(self.invoices.relance_event_ids)

    def test_second_trigger_the_same_day_enqueues_nothing(self):
        with self.mock_mail_gateway(), freeze_time(DAY):
            self._scheduler_run()
            jobs = self._day_jobs()
            self.assertEqual(len(jobs), 1)
            self.assertEqual(jobs.state, "pending")
            self.assertEqual(jobs.channel, "root.relance")
            self._scheduler_run()
            self.assertEqual(self._day_jobs(), jobs)
            # done jobs too: queue_job's identity key only sees waiting ones
            self._perform(jobs)
            self.assertEqual(jobs.state, "done")
            self.assertEqual(len(self._new_mails), 5)
            self._scheduler_run()
            self.assertEqual(self._day_jobs(), jobs)
            self.assertEqual(len(self._new_mails), 5)
        late = self._relance_customer("Late SARL", "late@example.com")
        with freeze_time("2026-01-01"):
            self._relance_invoice(late, due="2026-01-21")
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            self._scheduler_run()
            tomorrow = self._day_jobs("2026-01-24")
            self.assertEqual(len(tomorrow), 1)
            self.assertEqual(
                tomorrow.identity_key, "relance_facture_queue:2026-01-24:1"
            )
            self.assertEqual(tomorrow.args[0], late.ids)

    def test_cancelled_jobs_are_enqueued_again(self):
        with freeze_time(DAY):
            self._scheduler_run(batch_size=3)
            jobs = self._day_jobs()
            self.assertEqual(len(jobs), 2)
            jobs.button_cancelled()
            self._scheduler_run(batch_size=3)
            self.assertEqual(len(self._day_jobs() - jobs), 2)

    def test_workspace_card_counts_done_failed_pending(self):
        card = self.env["relance.workspace"].search([("code", "=", "queue_jobs")])
        self.assertEqual(len(card), 1)
        with self.mock_mail_gateway(), freeze_time(DAY):
            self.assertEqual(
                (card.count, card.job_pending_count, card.color), (0, 0, 0)
            )
            self._scheduler_run(batch_size=2)
            first, second, _third = self._day_jobs()
            card.invalidate_recordset()
            self.assertEqual(
                (card.job_done_count, card.job_failed_count, card.job_pending_count),
                (0, 0, 3),
            )
            self.assertEqual((card.count, card.color), (3, 4))
            self._perform(first)
            failed = Job.load(self.env, second.uuid)
            failed.set_failed(exc_info="RuntimeError: boom", exc_name="RuntimeError")
            failed.store()
            card.invalidate_recordset()
            self.assertEqual(
                (card.job_done_count, card.job_failed_count, card.job_pending_count),
                (1, 1, 1),
            )
            self.assertEqual((card.count, card.color), (2, 1))
            # only Job Queue Managers read the queue
            with self.assertRaises(UserError):
                card.action_open()
            admin = self.env.ref("base.user_admin")
            action = card.with_user(admin).action_open()
            self.assertEqual(action["res_model"], "queue.job")
            shown = self.env["queue.job"].with_user(admin).search(action["domain"])
            self.assertEqual(shown, self._day_jobs())
            self.assertFalse(shown.company_id, "a batch spans companies")
            # the batch's customers, from the job
            related = first.with_user(admin).open_related_action()
            self.assertEqual(related["res_model"], "res.partner")
            self.assertEqual(
                self.env["res.partner"].search(related["domain"]).ids, first.args[0]
            )
        with freeze_time("2026-01-24"):
            card.invalidate_recordset()
            self.assertEqual(card.count, 0, "yesterday's jobs are not today's run")

    def test_card_and_jobs_follow_the_setting(self):
        settings = self.env["res.config.settings"].sudo()
        settings.create({"relance_queue_parallel": False}).set_values()
        self.assertFalse(
            self.env["relance.workspace"].search([("code", "=", "queue_jobs")])
        )
        with self.mock_mail_gateway(), freeze_time(DAY):
            trap = self._enqueue(batch_size=200)
            trap.assert_jobs_count(0)
            self.assertEqual(len(self._new_mails), 5, "the run sends in-process")
        self.assertFalse(self._day_jobs())
        settings.create(
            {"relance_queue_parallel": True, "relance_queue_capacity": 2}
        ).set_values()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("relance_facture_queue.capacity"),
            "2",
        )
        self.assertTrue(
            self.env["relance.workspace"].search([("code", "=", "queue_jobs")])
        )

    def test_run_manually_still_does_the_whole_day(self):
        """ "Run Manually" (method_direct_trigger, no cron_id) does the day in
        its own transaction, parallel run or not."""
        with self.mock_mail_gateway(), freeze_time(DAY):
            with trap_jobs() as trap:
                self._relance_run()
            trap.assert_jobs_count(0)
            self.assertEqual(len(self._new_mails), 5)
        self.assertEqual(len(self.invoices.relance_event_ids), 6)

    def test_job_of_a_day_gone_by_does_nothing(self):
        with freeze_time(DAY):
            job = self._enqueue().enqueued_jobs[0]
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            result = job.perform()
            self.assertFalse(self._new_mails)
        self.assertIn("is over", result)
        self.assertFalse(self.invoices.relance_event_ids)

    def test_capacity_slots_postpone_a_job(self):
        """With a capacity of 1 and the slot held by another batch, the job
        waits without using up a retry; once the slot is free it runs."""
        self.env["ir.config_parameter"].sudo().set_param(
            "relance_facture_queue.capacity", 1
        )
        with self.mock_mail_gateway(), freeze_time(DAY):
            job = self._enqueue(batch_size=200).enqueued_jobs[0]
            other = sql_db.db_connect(self.env.cr.dbname).cursor()
            try:
                other.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", (SLOT_LOCK_KEY, 0)
                )
                with self.assertRaises(RetryableJobError) as caught:
                    job.perform()
                self.assertTrue(caught.exception.ignore_retry)
                self.assertEqual(job.retry, 0)
                self.assertFalse(self._new_mails)
            finally:
                other.rollback()
                other.close()
            job.perform()
            self.assertEqual(len(self._new_mails), 5)
