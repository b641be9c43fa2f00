"""The day's customers as jobs of the queue: one job per batch of customers
on the channel ``root.relance``, run by parallel workers.

Called by the scheduler (``cron_id`` in the context) with the parallel run
on (Settings › Dunning), the daily action does the day's serial work
(``_relance_day_start``) as before, then enqueues one job per batch
(``_relance_run_customers``) instead of running the batches itself.
Otherwise nothing changes: "Run Manually" (``method_direct_trigger``, tests)
still does the whole day in its own transaction.

Each job locks its customers' due invoices like the in-process run (``FOR
UPDATE SKIP LOCKED``, whole customers) and plans and sends them in its own
transaction: a job commits everything or nothing, and the unique index of
``relance.event`` (one event per invoice and step) and the one message a
day per customer and channel of ``relance.dispatch`` make a retried or
repeated job send nothing twice.
"""

import logging
import zlib

from psycopg2 import OperationalError

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import SQL, split_every

from odoo.addons.queue_job.exception import RetryableJobError

_logger = logging.getLogger(__name__)

CHANNEL = "root.relance"
# Identity keys of the day's jobs: relance_facture_queue:<day>:<batch number>.
IDENTITY_PREFIX = "relance_facture_queue"
PARALLEL_PARAM = "relance_facture_queue.parallel"
CAPACITY_PARAM = "relance_facture_queue.capacity"
# Advisory locks of the channel's slots: pg_try_advisory_xact_lock(key, slot).
SLOT_LOCK_KEY = zlib.crc32(IDENTITY_PREFIX.encode()) & 0x7FFFFFFF
# Seconds before a job that found every slot taken tries again.
SLOT_WAIT = 30
# Attempts of a job before it fails for good (queue_job counts the first).
MAX_RETRIES = 6
# Job states as the workspace shows them.
PENDING_STATES = ("wait_dependencies", "pending", "enqueued", "started")


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    @api.model
    def _relance_run_day(self, today, batch_size=200, filters=None):
        # EXTENDS relance_facture: called by the scheduler with the parallel
        # run on, the day's batches are jobs of the queue instead of a loop in
        # this transaction; a manual run still does the whole day
        if not (self.env.context.get("cron_id") and self._relance_queue_parallel()):
            return super()._relance_run_day(
                today, batch_size=batch_size, filters=filters
            )
        jobs = self._relance_queue_enqueue_day(today, batch_size, filters=filters)
        # the cron's part of the day is done: the workers do the rest
        self.env["ir.cron"]._notify_progress(done=len(jobs), remaining=0)
        return None

    @api.model
    def _relance_run_customers(self, partner_ids, today, filters=None):
        # EXTENDS relance_facture: run as a job (queue_job puts job_uuid in
        # the context), the batch takes a slot of the channel, gives up a day
        # gone by, and turns an error into a retry after rolling back
        if not self.env.context.get("job_uuid"):
            return super()._relance_run_customers(partner_ids, today, filters=filters)
        current = fields.Date.context_today(self)
        if today < current:
            # tomorrow's run has (or will have) these customers
            return self.env._(
                "Nothing done: the dunning run of %(day)s is over, the run of "
                "%(today)s takes its customers.",
                day=today,
                today=current,
            )
        # the job's SQL queries, reported in its result (scripts/scaling.py)
        queries = self.env.cr.sql_log_count
        self._relance_queue_take_slot()
        try:
            with self.env.cr.savepoint():
                moves = super()._relance_run_customers(
                    partner_ids, today, filters=filters
                )
        except RetryableJobError:
            raise
        except OperationalError as error:
            if error.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY:
                # queue_job's runner postpones these by a few seconds
                raise
            raise RetryableJobError(self._relance_error_text(error)) from error
        except Exception as error:  # pylint: disable=broad-except
            _logger.warning(
                "Dunning job of %s customers failed; back to the queue.",
                len(partner_ids),
                exc_info=True,
            )
            raise RetryableJobError(self._relance_error_text(error)) from error
        return self.env._(
            "%(moves)s invoices of %(done)s customers processed, %(passed)s "
            "customers held by another transaction or with nothing due; "
            "%(queries)s SQL queries.",
            moves=len(moves),
            done=len(moves.commercial_partner_id),
            passed=len(set(partner_ids) - set(moves.commercial_partner_id.ids)),
            queries=self.env.cr.sql_log_count - queries,
        )

    @api.model
    def _job_prepare_context_before_enqueue_keys(self):
        # EXTENDS queue_job: a batch spans companies, its job belongs to none
        # (company_id=False in the context when enqueued) and keeps it when
        # the runner stores it again, so that every Job Queue Manager sees it
        return (*super()._job_prepare_context_before_enqueue_keys(), "company_id")

    # ------------------------------------------------------------------
    # Queue
    # ------------------------------------------------------------------
    @api.model
    def _relance_queue_parallel(self):
        """Whether the day's batches go to the job queue (Settings ›
        Dunning › Parallel run; off when installed)."""
        return bool(self.env["ir.config_parameter"].sudo().get_param(PARALLEL_PARAM))

    @api.model
    def _relance_queue_identity(self, today, number):
        return f"{IDENTITY_PREFIX}:{today.isoformat()}:{number}"

    @api.model
    def _relance_queue_day_domain(self, today):
        """Domain of the jobs of the run of ``today`` (``queue.job``)."""
        return [
            ("channel", "=", CHANNEL),
            ("identity_key", "=like", f"{IDENTITY_PREFIX}:{today.isoformat()}:%"),
        ]

    @api.model
    def _relance_queue_job_counts(self, today):
        """{'done': n, 'failed': n, 'pending': n} of the jobs of the run of
        ``today`` (cancelled jobs are left out)."""
        counts = dict.fromkeys(("done", "failed", "pending"), 0)
        rows = (
            self.env["queue.job"]
            .sudo()
            ._read_group(self._relance_queue_day_domain(today), ["state"], ["__count"])
        )
        for state, count in rows:
            if state in PENDING_STATES:
                counts["pending"] += count
            elif state in counts:
                counts[state] += count
        return counts

    @api.model
    def _relance_queue_enqueue_day(self, today, batch_size, filters=None):
        """One job per batch of ``batch_size`` customers of the day, in the
        order of their ids; nothing when the day's jobs are in the queue
        already (a second trigger the same day). Returns the jobs."""
        Job = self.env["queue.job"].sudo()
        if Job.search_count(
            [*self._relance_queue_day_domain(today), ("state", "!=", "cancelled")],
            limit=1,
        ):
            _logger.info("Dunning: the jobs of %s are in the queue already.", today)
            return []
        partner_ids = self._relance_day_customers(today, filters)
        batches = list(split_every(batch_size, partner_ids, list))
        ends = self.env["res.partner"].browse(
            {batch[0] for batch in batches} | {batch[-1] for batch in batches}
        )
        names = {partner.id: partner.name for partner in ends}
        # a batch spans companies: its job belongs to none
        engine = self.with_context(company_id=False)
        jobs = []
        for number, batch in enumerate(batches, start=1):
            description = self.env._(
                "Dunning of %(day)s, batch %(number)s/%(count)s: %(size)s "
                "customers, %(first)s (#%(first_id)s) to %(last)s (#%(last_id)s)",
                day=today,
                number=number,
                count=len(batches),
                size=len(batch),
                first=names[batch[0]],
                first_id=batch[0],
                last=names[batch[-1]],
                last_id=batch[-1],
            )
            jobs.append(
                engine.with_delay(
                    channel=CHANNEL,
                    identity_key=self._relance_queue_identity(today, number),
                    description=description,
                    max_retries=MAX_RETRIES,
                )._relance_run_customers(batch, today)
            )
        _logger.info(
            "Dunning: %s customers of %s in %s jobs.",
            len(partner_ids),
            today,
            len(jobs),
        )
        return jobs

    @api.model
    def _relance_queue_take_slot(self):
        """Take one of the channel's slots (Settings › Dunning › Parallel
        run capacity) for this transaction, or postpone the job when all are
        taken; a capacity of 0 leaves the number of batches at work to the job
        runner's configuration."""
        capacity = int(
            self.env["ir.config_parameter"].sudo().get_param(CAPACITY_PARAM) or 0
        )
        for slot in range(capacity):
            [(taken,)] = self.env.execute_query(
                SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", SLOT_LOCK_KEY, slot)
            )
            if taken:
                return
        if capacity > 0:
            raise RetryableJobError(
                f"All {capacity} dunning slots are taken.",
                seconds=SLOT_WAIT,
                ignore_retry=True,
            )
