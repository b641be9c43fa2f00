"""Fault trial (scripts/fault_trial.py): the trial itself: its child
processes (``Child``), the scenarios' copies of the book, the book prepared and
every scenario run (``Trial``, its scenarios in fault_trial_scenarios.py)."""

import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import benchmark
from fault_trial_base import (
    LIB_SH,
    READY,
    ROOT,
    SCENARIOS,
    SCRIPT,
    TrialError,
    _progress,
)
from fault_trial_checks import duplicate_checks
from fault_trial_scenarios import Scenarios
from fault_trial_snapshot import sql


class Child:
    """One child process of this script doing an Odoo step in ``db``."""

    def __init__(self, trial, label, action, db, params):
        self.label = label
        self.result_path = os.path.join(trial.tmp, f"{label}.json")
        self.log_path = os.path.join(trial.log_dir, f"{label}.log")
        self._log = open(self.log_path, "w")  # closed by _close()
        self._buffer = b""
        self.timed_out = False
        self.killed = False
        self.proc = subprocess.Popen(
            [
                sys.executable,
                SCRIPT,
                "--child",
                action,
                "--db",
                db,
                f"--addons-path={trial.args.addons_path}",
                "--params",
                json.dumps(params),
                "--result",
                self.result_path,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )

    def wait_ready(self, timeout=180):
        """Until the child has loaded Odoo and waits for GO."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while READY.encode() not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TrialError(f"{self.label}: not ready after {timeout} s")
            readable, _w, _x = select.select([fd], [], [], min(remaining, 1.0))
            if readable:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.wait(10)
                    raise TrialError(
                        f"{self.label}: exited before it was ready "
                        f"(rc {self.proc.returncode}, log {self.log_path})"
                    )
                self._buffer += chunk

    def go(self):
        self.proc.stdin.write(b"GO\n")
        self.proc.stdin.flush()

    def wait(self, timeout):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.kill()
        self._close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.killed = True
        self.proc.wait(30)
        self._close()

    def _close(self):
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass
        self._log.close()

    def result(self):
        if os.path.exists(self.result_path):
            with open(self.result_path) as file:
                result = json.load(file)
        else:
            result = {"status": "killed" if self.killed else "no result"}
        result.update(returncode=self.proc.returncode, log=self.log_path)
        if self.timed_out:
            result["status"] = "timed out"
        return result


class Trial(Scenarios):
    def __init__(self, args):
        self.args = args
        self.book = args.book
        self.filestore_root = os.environ.get("FILESTORE_ROOT")
        if not self.filestore_root:
            raise TrialError("FILESTORE_ROOT is not set (lib.sh's odoo_facts)")
        self.log_dir = os.path.join(ROOT, "var", "log", "fault-trial")
        shutil.rmtree(self.log_dir, ignore_errors=True)
        os.makedirs(self.log_dir)
        self.tmp = tempfile.mkdtemp(
            prefix="fault-trial-tmp.", dir=os.path.join(ROOT, "var")
        )
        self.rng = None  # one per scenario, seeded
        self.copies = []
        self.children = []
        self.reference = None
        self.reference_rerun = None
        self.reference_duplicates = None
        self.reference_seconds = None
        self.rerun_seconds = None

    # ---- databases -----------------------------------------------------
    def lib(self, function, *args):
        """A function of scripts/lib.sh (copy_db, drop_db)."""
        env = dict(os.environ, FILESTORE_ROOT=self.filestore_root)
        done = subprocess.run(
            ["bash", "-c", 'source "$0" && "$@"', LIB_SH, function, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            raise TrialError(f"lib.sh {function} {' '.join(args)}: {done.stderr}")

    def copy(self, suffix):
        name = f"{self.book}_s{suffix}"
        self.wait_backends(self.book)
        self.lib("drop_db", name)
        self.lib("copy_db", self.book, name)
        self.copies.append(name)
        return name

    def drop(self, name):
        if self.args.keep_db:
            return
        self.wait_backends(name, timeout=10)
        self.lib("drop_db", name)

    def wait_backends(self, db, timeout=60):
        """Until no session of ours is left on ``db`` (a killed process's
        backend ends when PostgreSQL notices); past ``timeout``, end them.
        Returns how many had to be ended."""
        query = """SELECT pid FROM pg_stat_activity
                   WHERE datname = %s AND backend_type = 'client backend'
                     AND pid <> pg_backend_pid()"""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not sql("postgres", query, [db]):
                return 0
            time.sleep(0.2)
        pids = [pid for (pid,) in sql("postgres", query, [db])]
        for pid in pids:
            sql("postgres", "SELECT pg_terminate_backend(%s)", [pid])
        return len(pids)

    # ---- children ------------------------------------------------------
    def child(self, label, action, db, params=None):
        child = Child(self, label, action, db, dict(params or {}))
        self.children.append(child)
        return child

    def stop_children(self):
        """Kill the children of a scenario that are still running (after an
        error): each was started by this trial."""
        for child in self.children:
            if child.proc.poll() is None:
                child.kill()
        self.children = []

    def call(self, label, action, db, params=None):
        """Run one child to its end; its result (TrialError if it died)."""
        child = self.child(label, action, db, params)
        child.wait(self.args.run_timeout)
        result = child.result()
        if result.get("status") != "done":
            raise TrialError(
                f"{label}: {result.get('status')} {result.get('exception', '')} "
                f"(log {child.log_path})"
            )
        return result

    def start_run(self, label, db, how="worker", max_failures=3):
        child = self.child(
            label,
            "run",
            db,
            {
                "how": how,
                "wait_go": True,
                "max_failures": max_failures,
                "timeout": self.args.run_timeout,
            },
        )
        child.wait_ready()
        return child

    def run(self, label, db, how="worker", max_failures=3):
        child = self.start_run(label, db, how, max_failures)
        child.go()
        child.wait(self.args.run_timeout + 60)
        return child.result()

    # ---- the book ------------------------------------------------------
    def prepare(self):
        self.base = {
            table: sql(self.book, f"SELECT COALESCE(max(id), 0) FROM {table}")[0][0]
            for table in (
                "relance_event",
                "relance_dispatch",
                "mail_mail",
                "mail_activity",
            )
        }
        rows = sql(
            self.book,
            "SELECT value FROM ir_config_parameter WHERE key = %s",
            [benchmark.GEN_PARAM],
        )
        if not rows:
            raise TrialError(f"{self.book}: no generated book")
        self.book_facts = json.loads(rows[0][0])
        prepared = self.call(
            "book-prepare",
            "prepare-book",
            self.book,
            {"batch_size": self.args.batch_size},
        )
        self.code = dict(prepared["code"], action=prepared["action_code"])
        self.business_days_off = prepared["business_days_off"]

    def due_customers(self, db):
        """{customer: due invoice ids} of ``db`` (what today's run reminds)."""
        rows = sql(
            db,
            """SELECT commercial_partner_id, array_agg(id ORDER BY id)
               FROM account_move
               WHERE move_type = 'out_invoice' AND state = 'posted'
                 AND payment_state IN ('not_paid', 'partial')
                 AND relance_next_date <= CURRENT_DATE
                 AND NOT COALESCE(relance_excluded, false)
                 AND NOT COALESCE(relance_dispute, false)
               GROUP BY 1 ORDER BY 1""",
        )
        return dict(rows)

    def duplicates(self, db):
        """The two "never twice" rules; a breach the reference run has too
        (the same customers, channels and days) is said so."""
        checks = duplicate_checks(db)
        if self.reference_duplicates is None:
            self.reference_duplicates = {c["name"]: c.get("detail") for c in checks}
            return checks
        for item in checks:
            detail = item.get("detail")
            if detail and detail == self.reference_duplicates.get(item["name"]):
                item["value"] = f"{item['value']}, the same as in the reference run"
        return checks

    def events_count(self, db):
        return sql(
            db,
            "SELECT count(*) FROM relance_event WHERE id > %s",
            [self.base["relance_event"]],
        )[0][0]

    # ---- all -----------------------------------------------------------
    def scenarios_to_run(self):
        chosen = list(self.args.scenarios)
        if any(n in chosen for n in (2, 3, 4)) and 1 not in chosen:
            chosen.insert(0, 1)  # they compare with the reference
        return chosen

    def run_all(self):
        self.prepare()
        results = []
        for number in self.scenarios_to_run():
            _progress(f"Scenario {number}: {SCENARIOS[number]}")
            start = time.monotonic()
            # each scenario draws from its own sequence: the same whichever
            # scenarios run with it
            self.rng = random.Random(f"{self.args.seed}-{number}")
            try:
                checks, figures = getattr(self, f"scenario_{number}")()
                error = None
            except TrialError as exc:
                checks, figures, error = [], {}, str(exc)
            except Exception as exc:  # noqa: BLE001 - the next scenarios go on
                traceback.print_exc()
                checks, figures, error = [], {}, f"{type(exc).__name__}: {exc}"
            finally:
                self.stop_children()
            if number > 1 and self.reference is None:
                error = error or "the reference run failed"
            results.append(
                {
                    "id": number,
                    "name": SCENARIOS[number],
                    "requested": number in self.args.scenarios,
                    "pass": error is None and all(c["pass"] for c in checks),
                    "error": error,
                    "seconds": round(time.monotonic() - start, 1),
                    "checks": checks,
                    "figures": figures,
                }
            )
            _progress(
                f"Scenario {number}: {'PASS' if results[-1]['pass'] else 'FAIL'} "
                f"in {results[-1]['seconds']} s"
            )
            if number == 1 and self.reference is None:
                break
        return results

    def cleanup(self):
        self.stop_children()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.args.keep_db:
            if self.copies:
                _progress(f"Kept the scenarios' copies: {', '.join(self.copies)}")
            return
        for name in self.copies:
            try:
                self.drop(name)
            except TrialError as exc:
                _progress(f"Could not drop {name}: {exc}")
