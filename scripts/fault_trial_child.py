"""Fault trial (scripts/fault_trial.py): the child processes, each an Odoo
step of the trial (``--child ACTION``): the daily run as the cron worker runs
it, the bad data set up and fixed, "Send Now", the mail server and queue, the
book prepared."""

import argparse
import json
import logging
import os
import sys
import threading
import time
import traceback

import benchmark
import psycopg2
from fault_trial_base import (
    BAD_CALL_SCRIPT,
    BAD_TEMPLATE_BODY,
    CONCURRENCY_PGCODES,
    CONCURRENCY_TEXTS,
    READY,
    SHIPPED_ACTION_CODE,
    TrialError,
)


def is_concurrency_error(exc):
    """Is ``exc`` (or what caused it) a conflict between transactions?"""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, psycopg2.extensions.TransactionRollbackError):
            return True
        if getattr(exc, "pgcode", None) in CONCURRENCY_PGCODES:
            return True
        if any(text in str(exc) for text in CONCURRENCY_TEXTS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class LogCapture(logging.Handler):
    """Keeps the warnings and errors logged by Odoo in a child process (the
    cron worker logs the exception of a failed job and goes on). Conflicts
    between transactions are counted apart: those that failed a call of the
    job (logged by ir.cron) and all of them (``odoo.sql_db`` logs every failed
    query, also those the caller handles or retries)."""

    LIMIT = 50
    JOB_LOGGER = "odoo.addons.base.models.ir_cron"

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []
        self.count = 0
        self.concurrency = 0
        self.concurrency_job_failures = 0

    def emit(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        message = record.getMessage()
        concurrency = is_concurrency_error(exc) or any(
            text in message for text in CONCURRENCY_TEXTS
        )
        self.count += 1
        self.concurrency += concurrency
        self.concurrency_job_failures += concurrency and record.name == self.JOB_LOGGER
        if len(self.records) < self.LIMIT:
            self.records.append(
                {
                    "level": record.levelname,
                    "logger": record.name,
                    "message": message[:300],
                    "exception": f"{type(exc).__name__}: {str(exc)[:300]}"
                    if exc
                    else None,
                    "concurrency": concurrency,
                }
            )


def child_main(args):
    params = json.loads(args.params)
    registry = benchmark.bootstrap(
        argparse.Namespace(
            db=args.db,
            addons_path=args.addons_path,
            log_level=params.get("log_level", "info"),
        )
    )
    capture = LogCapture()
    logging.getLogger().addHandler(capture)
    result = {"action": args.child, "pid": os.getpid()}
    code = 0
    try:
        if params.get("wait_go"):
            print(READY, flush=True)
            os.dup2(2, 1)  # nothing else on the pipe the parent stops reading
            if sys.stdin.readline().strip() != "GO":
                raise TrialError("not started: no GO from the trial")
        start = time.monotonic()
        result.update(CHILD_ACTIONS[args.child](registry, params))
        result["seconds"] = round(time.monotonic() - start, 3)
        result.setdefault("status", "done")
    except Exception as exc:  # noqa: BLE001 - reported to the trial
        traceback.print_exc()
        result.update(
            status="died",
            exception=f"{type(exc).__name__}: {str(exc)[:500]}",
            concurrency_error=is_concurrency_error(exc),
        )
        code = 1
    result.update(
        log_errors=capture.records,
        log_error_count=capture.count,
        log_concurrency_errors=capture.concurrency,
        concurrency_job_failures=capture.concurrency_job_failures,
    )
    tmp = f"{args.result}.tmp"
    with open(tmp, "w") as file:
        json.dump(result, file, default=str)
    os.replace(tmp, args.result)
    return code


def _env(cr, uid=None):
    from odoo import SUPERUSER_ID, api

    return api.Environment(cr, uid or SUPERUSER_ID, {})


JOB_READY_SQL = """
    SELECT c.active AND (
               c.nextcall <= (now() AT TIME ZONE 'UTC')
               OR EXISTS (SELECT 1 FROM ir_cron_trigger t
                          WHERE t.cron_id = c.id
                            AND t.call_at <= (now() AT TIME ZONE 'UTC'))),
           c.failure_count
    FROM ir_cron c WHERE c.id = %s"""


def act_run(registry, params):
    """Today's daily run until the job is done (or gives up)."""
    job = benchmark._cron_job(registry)
    with registry.cursor() as cr:
        cr.execute("SELECT COALESCE(max(id), 0) FROM ir_cron_progress")
        progress0 = cr.fetchone()[0]
    if params.get("how") == "emulate":
        calls = benchmark.run_daily(registry, job, "cron")
        out = {"status": "done", "how": "emulate", "process_calls": calls}
    else:
        out = _run_as_worker(registry, job["id"], params)
    with registry.cursor() as cr:
        cr.execute(
            """SELECT count(*), COALESCE(sum(done), 0) FROM ir_cron_progress
               WHERE cron_id = %s AND id > %s""",
            [job["id"], progress0],
        )
        out["calls"], out["done"] = cr.fetchone()
    return out


def _run_as_worker(registry, job_id, params):
    """What Odoo's cron worker does for our job: acquire it (FOR NO KEY UPDATE
    SKIP LOCKED on its row), ``_process_job`` (``_run_job`` calls the action up
    to 10 times, ``_callback`` then commit after each), again while it stays
    ready. A job failed by an exception or by Odoo's timeout guard (three
    calls in a row killed before their commit) is rescheduled for its next
    day by Odoo: like a scheduler triggered again, we trigger it again, at
    most ``max_failures`` times."""
    import odoo

    from odoo.addons.base.models import ir_cron as ir_cron_module

    threading.current_thread().dbname = registry.db_name
    db = odoo.sql_db.db_connect(registry.db_name)
    cron_model = registry["ir.cron"]
    out = {
        "how": "worker",
        "acquisitions": 0,
        "job_failures": 0,
        "timeout_guard": 0,
        "locked_waits": 0,
    }
    with registry.cursor() as cr:
        _env(cr)["ir.cron"].browse(job_id)._trigger()
    deadline = time.monotonic() + params.get("timeout", 900)
    while time.monotonic() < deadline:
        with db.cursor() as cron_cr:
            cron_cr.execute(JOB_READY_SQL, [job_id])
            ready, failures_before = cron_cr.fetchone()
            if not ready:
                return dict(out, status="done")
            try:
                job = cron_model._acquire_one_job(cron_cr, job_id)
            except psycopg2.extensions.TransactionRollbackError:
                job = None
            if not job:  # another process holds it (or a killed one, still)
                cron_cr.rollback()
                out["locked_waits"] += 1
                time.sleep(0.2)
                continue
            guard = ir_cron_module.CONSECUTIVE_TIMEOUT_FOR_FAILURE
            guarded = job["timed_out_counter"] >= guard and not job["done"]
            cron_model._process_job(db, cron_cr, job)
            out["acquisitions"] += 1
            cron_cr.execute("SELECT failure_count FROM ir_cron WHERE id = %s", [job_id])
            if cron_cr.fetchone()[0] > failures_before:
                # the guard is Odoo's, not a failure of the action
                key = "timeout_guard" if guarded else "job_failures"
                out[key] += 1
                if out[key] > params.get("max_failures", 3):
                    return dict(out, status="gave up")
                _env(cron_cr)["ir.cron"].browse(job_id)._trigger()
                cron_cr.commit()
    return dict(out, status="timeout")


def _twin_level(profile, level):
    """The level of ``profile`` (a copy) at the place of ``level``."""
    return profile.level_ids.filtered(
        lambda lvl: (lvl.sequence, lvl.kind, lvl.offset_days)
        == (level.sequence, level.kind, level.offset_days)
    )[:1]


def act_setup_bad(registry, params):
    """Give customer A a copy of its profile whose step ``level`` has a
    template that fails to render, customer B one whose call step has a
    script with a stray brace."""
    out = {}
    with registry.cursor() as cr:
        env = _env(cr)
        for role, spec in params["customers"].items():
            partner = env["res.partner"].browse(spec["partner"])
            level = env["relance.level"].browse(spec["level"])
            profile = level.profile_id.copy(
                {"name": f"{level.profile_id.name} (fault trial {role})"}
            )
            twin = _twin_level(profile, level)
            if not twin:
                raise TrialError(f"no copy of step {level.name} in {profile.name}")
            vals = {"customer": partner.id, "profile": profile.id, "level": twin.id}
            if role == "bad_template":
                template = level.mail_template_id.copy(
                    {
                        "name": f"{level.mail_template_id.name} (fault trial)",
                        "body_html": BAD_TEMPLATE_BODY,
                    }
                )
                twin.mail_template_id = template
                vals.update(template=template.id, original=level.mail_template_id.id)
            else:
                twin.call_script = BAD_CALL_SCRIPT
                vals.update(original_level=level.id)
            partner.relance_profile_id = profile
            env.flush_all()
            moves = env["account.move"].search(
                [("commercial_partner_id", "=", partner.id)]
            )
            vals["invoices_on_copy"] = len(
                moves.filtered(lambda m, p=profile: m.relance_profile_id == p)
            )
            out[role] = vals
    return {"setup": out}


def act_fix_bad(registry, params):
    """Repair what ``act_setup_bad`` broke, in place."""
    with registry.cursor() as cr:
        env = _env(cr)
        for role, spec in params["setup"].items():
            if role == "bad_template":
                original = env["mail.template"].browse(spec["original"])
                env["mail.template"].browse(
                    spec["template"]
                ).body_html = original.body_html
            else:
                original = env["relance.level"].browse(spec["original_level"])
                env["relance.level"].browse(
                    spec["level"]
                ).call_script = original.call_script
    return {}


def act_send_now(registry, params):
    """ "Send Now" on the due invoices of a few customers, one transaction per
    customer retried on serialization failures as Odoo's RPC layer does; a
    refusal (UserError) is an acceptable outcome."""
    from odoo.exceptions import UserError
    from odoo.service.model import retrying

    time.sleep(params.get("delay", 0))
    outcomes = []
    for partner_id, move_ids in params["customers"]:
        tries = [0]
        with registry.cursor() as cr:
            uid = _env(cr).ref("base.user_admin").id
            env = _env(cr, uid)

            def send(env=env, move_ids=move_ids, tries=tries):
                tries[0] += 1
                return env["account.move"].browse(move_ids).action_relance_send_now()

            outcome = {"customer": partner_id, "invoices": len(move_ids)}
            try:
                action = retrying(send, env)
                outcome.update(outcome="sent", message=action["params"]["message"])
            except UserError as exc:
                cr.rollback()
                outcome.update(outcome="refused", message=str(exc)[:300])
            except Exception as exc:  # noqa: BLE001 - reported to the trial
                cr.rollback()
                outcome.update(
                    outcome="error",
                    message=f"{type(exc).__name__}: {str(exc)[:300]}",
                    concurrency_error=is_concurrency_error(exc),
                )
            outcome["tries"] = tries[0]
            outcomes.append(outcome)
    return {"outcomes": outcomes}


def act_mail_server(registry, params):
    """Outgoing mail through 127.0.0.1:port only (the others deactivated)."""
    with registry.cursor() as cr:
        servers = _env(cr)["ir.mail_server"].with_context(active_test=False)
        others = servers.search([("active", "=", True)])
        others.active = False
        server = servers.create(
            {
                "name": "Fault trial loopback",
                "smtp_host": "127.0.0.1",
                "smtp_port": params["port"],
                "smtp_encryption": "none",
                "sequence": 1,
            }
        )
    return {"server": server.id, "deactivated": len(others)}


def act_queue(registry, params):
    """Odoo's mail queue, as its scheduled action runs it, until it is empty
    or stops moving."""
    rounds = []
    for _round in range(params.get("max_rounds", 20)):
        with registry.cursor() as cr:
            mails = _env(cr)["mail.mail"]
            outgoing = mails.search_count([("state", "=", "outgoing")])
            if not outgoing:
                break
            mails.process_email_queue()
            left = mails.search_count([("state", "=", "outgoing")])
        rounds.append({"outgoing": outgoing, "left": left})
        if left >= outgoing:
            break
    return {"rounds": rounds}


def act_prepare_book(registry, params):
    """Today must be a sending day for the trial to mean anything; reports
    which of the reworked names the code under trial has."""
    from odoo import fields

    with registry.cursor() as cr:
        env = _env(cr)
        companies = env["res.company"].search([])
        today = fields.Date.context_today(env["res.company"])
        closed = companies.filtered(lambda c: not c._relance_is_sending_day(today))
        closed.write({"relance_business_days": False})
        action = env.ref("relance_facture.ir_cron_relance_daily").ir_actions_server_id
        if params.get("batch_size"):
            if action.code.strip() != SHIPPED_ACTION_CODE:
                raise TrialError(f"cannot set the batch size in {action.code!r}")
            action.code = f"model._cron_run_daily(batch_size={params['batch_size']})"
        dispatch = env["relance.dispatch"]
        has_max = "relance_max_attempts" in companies._fields
        return {
            "today": str(today),
            "business_days_off": closed.ids,
            "action_code": action.code,
            "code": {
                "dispatch_states": [k for k, _v in dispatch._fields["state"].selection],
                "dispatch_attempt_count": "attempt_count" in dispatch._fields,
                "company_max_attempts": {
                    c.id: c.relance_max_attempts for c in companies
                }
                if has_max
                else None,
            },
        }


CHILD_ACTIONS = {
    "run": act_run,
    "setup-bad": act_setup_bad,
    "fix-bad": act_fix_bad,
    "send-now": act_send_now,
    "mail-server": act_mail_server,
    "queue": act_queue,
    "prepare-book": act_prepare_book,
}
