"""Fault trial (scripts/fault_trial.py): the constants, the error and the
progress line shared by its modules (fault_trial_*.py)."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the entry point: the children run it with --child
SCRIPT = os.path.join(ROOT, "scripts", "fault_trial.py")
LIB_SH = os.path.join(ROOT, "scripts", "lib.sh")
READY = "FAULT_TRIAL_READY"
SCENARIOS = {
    1: "reference run",
    2: "SIGKILL during the run",
    3: "bad data isolation",
    4: "concurrency",
    5: "SMTP down",
}
CUSTOMER_CHANNELS = ("email", "sms", "letter", "formal_notice")
LIVE_DISPATCH_STATES = ("sent", "planned", "held")
# PostgreSQL errors of concurrent transactions: serialization failure,
# deadlock, lock not available.
CONCURRENCY_PGCODES = ("40001", "40P01", "55P03")
CONCURRENCY_TEXTS = (
    "could not serialize access",
    "deadlock detected",
    "could not obtain lock",
)
SHIPPED_ACTION_CODE = "model._cron_run_daily()"
BAD_TEMPLATE_BODY = '<div><t t-out="object.no_such_field"/></div>'
BAD_CALL_SCRIPT = "Bonjour {customer"
SEND_NOW_CUSTOMERS = 5
EXAMPLES = 10


class TrialError(Exception):
    """A step of the trial could not be carried out (not a failed check)."""


def _progress(text):
    print(text, file=sys.stderr, flush=True)
