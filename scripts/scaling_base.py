"""Constants and small helpers shared by scripts/scaling.py and its modules
(scaling_*.py): the queue addon's names, the tables and methods measured,
the row modes."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the entry script: the server (serve), its websocket stand-in (gevent) and
# the trigger run it again as child processes
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scaling.py")
QUEUE_ADDON = "relance_facture_queue"
CHANNEL = "root.relance"
PARALLEL_PARAM = "relance_facture_queue.parallel"
CAPACITY_PARAM = "relance_facture_queue.capacity"
JOB_DONE_STATES = ("done", "failed", "cancelled")
IN_PROCESS, QUEUE = "in process", "queue_job"
# The customers' channels and the dispatch states that mean "sent, or about
# to be" (relance_dispatch's unique index of one message a day).
CUSTOMER_CHANNELS = ("email", "sms", "letter", "formal_notice")
LIVE_DISPATCH_STATES = ("planned", "held", "sent")
# The tables the day writes: their growth, per email, feeds the model.
GROWING_TABLES = (
    "relance_event",
    "relance_dispatch",
    "relance_dispatch_event_rel",
    "mail_mail",
    "mail_mail_res_partner_rel",
    "mail_message",
    "mail_message_res_partner_rel",
    "mail_notification",
    "mail_followers",
    "mail_tracking_value",
    "account_move",
    "relance_partner_stat",
    "queue_job",
)
# The engine's steps timed in the Odoo processes this script runs (the
# serial day start, the batches, the enqueuing); missing ones are skipped.
TIMED_METHODS = {
    "relance.engine": (
        "_relance_day_start",
        "_relance_refresh_states",
        "_relance_warn_prescriptions",
        "_relance_thank_payers",
        "_relance_cancel_closed_drafts",
        "_relance_day_filters",
        "_relance_send_held",
        "_relance_retry_failed",
        "_relance_day_customers",
        "_relance_run_customers",
        "_relance_count_due_moves",
        "_relance_queue_enqueue_day",
    ),
    "relance.partner.stat": ("_relance_refresh_touched",),
}
SAMPLE_SECONDS = 0.2
READY_TIMEOUT = 180
TRIGGER_PREFIX = "TRIGGER_JSON "


def _mode(row):
    """A row's mode; rows written before the mode was recorded ran one
    worker in process or N queue_job workers."""
    return row.get("mode") or (IN_PROCESS if row["workers"] == 1 else QUEUE)


def _read(path):
    with open(path) as file:
        return file.read()


def _progress(text):
    print(f"  {text}", file=sys.stderr, flush=True)
