"""The parallel run of scripts/scaling.py: an Odoo server with N workers and
queue_job's runner (``serve``, its idle websocket stand-in), the child
``trigger``, the wait for the day's jobs, the ``parallel`` subcommand."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from scaling_base import (
    CHANNEL,
    JOB_DONE_STATES,
    READY_TIMEOUT,
    SCRIPT,
    TRIGGER_PREFIX,
    _progress,
    _read,
)
from scaling_figures import odoo_config, per_email, summarize_jobs
from scaling_in_odoo import _book_facts_sql, _result
from scaling_probes import Sampler, connect, db_growth, db_state, duplicates, sql


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(argv):
    """``scaling.py serve -c CONF``: Odoo's server (odoo-bin's main) with
    this script as argv[0]. The prefork server starts its websocket process
    as ``argv[0] gevent ...``: it comes back here, to ``gevent_stand_in``."""
    os.environ["TZ"] = "UTC"  # as odoo-bin
    time.tzset()
    sys.argv = [SCRIPT, *argv]
    import odoo

    odoo.cli.main()
    return 0


def gevent_stand_in():
    """The websocket (bus) process of the prefork server, idle: the day
    needs no websocket, and where gevent cannot start (as here: its plugin
    entry points want the zope.interface distribution) the master would
    spawn it again every second, each time importing Odoo, which would
    weigh on the measure. Ends with its master."""
    master = os.getppid()
    while os.getppid() == master:
        time.sleep(1)
    return 0


class Server:
    """``odoo -c CONF`` in its own session; stopped with its whole session."""

    def __init__(self, conf, log, port):
        self.conf, self.log, self.port = conf, log, port
        self.process = None

    def start(self):
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, SCRIPT, "serve", "-c", self.conf],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self.process.pid

    def wait_ready(self, db, timeout=READY_TIMEOUT):
        """Until the HTTP workers answer and the job runner is ready for
        ``db`` (its log line)."""
        deadline = time.monotonic() + timeout
        http_ok = runner_ok = False
        url = f"http://127.0.0.1:{self.port}/web/health"
        ready_line = f"queue job runner ready for db {db}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server stopped (exit {self.process.returncode}); "
                    f"see {self.log}"
                )
            if not http_ok:
                with contextlib.suppress(OSError, urllib.error.URLError):
                    with urllib.request.urlopen(url, timeout=2) as response:
                        http_ok = response.status == 200
            if not runner_ok:
                with contextlib.suppress(OSError):
                    runner_ok = ready_line in _read(self.log)
            if http_ok and runner_ok:
                return
            time.sleep(0.5)
        raise RuntimeError(
            f"the server was not ready in {timeout} s (HTTP {http_ok}, job runner "
            f"{runner_ok}); see {self.log}"
        )

    def stop(self, timeout=60):
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        # workers left behind by the master
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


JOB_COLUMNS = (
    "state",
    "result",
    "retry",
    "exec_time",
    "date_started",
    "date_done",
    "worker_pid",
)


def _day_jobs(conn, after_id):
    rows = sql(
        conn,
        f"""SELECT {", ".join(JOB_COLUMNS)} FROM queue_job
            WHERE id > %s AND channel = %s ORDER BY id""",
        [after_id, CHANNEL],
    )
    return [dict(zip(JOB_COLUMNS, row, strict=True)) for row in rows]


def _run_trigger(args, log, server_session):
    """The child ``trigger``, once its registry is loaded; returns the
    Sampler started then (the server's and the child's processes) and the
    child's TRIGGER_JSON figures."""
    with open(log, "ab") as err:
        child = subprocess.Popen(
            [
                sys.executable,
                SCRIPT,
                "trigger",
                *("--db", args.db, "--addons-path", args.addons_path),
            ],
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.PIPE,
            start_new_session=True,
        )
    try:
        if child.stdout.readline().strip() != b"READY":
            child.wait()
            raise RuntimeError(
                f"the trigger failed (exit {child.returncode}); see {log}"
            )
        sampler = Sampler(args.db, sessions=[child.pid], server_session=server_session)
        sampler.start()
        sampler.ready.wait(10)
        child.stdin.write(b"go\n")
        child.stdin.close()
        out = child.stdout.read()
        child.wait()
    except BaseException:
        child.kill()
        child.wait()
        raise
    lines = [
        line[len(TRIGGER_PREFIX) :]
        for line in out.decode().splitlines()
        if line.startswith(TRIGGER_PREFIX)
    ]
    if child.returncode or not lines:
        raise RuntimeError(f"the trigger failed (exit {child.returncode}); see {log}")
    return sampler, json.loads(lines[-1])


def _wait_jobs(conn, after_id, timeout, settle=2.0):
    """Until every job of the day (channel root.relance, id > after_id) is
    done, failed or cancelled; returns (the time it was seen, timed out)."""
    deadline = time.monotonic() + timeout
    last_report = empty_since = 0.0
    while True:
        counts = dict(
            sql(
                conn,
                """SELECT state, count(*) FROM queue_job
                   WHERE id > %s AND channel = %s GROUP BY state""",
                [after_id, CHANNEL],
            )
        )
        total = sum(counts.values())
        finished = sum(counts.get(state, 0) for state in JOB_DONE_STATES)
        now = time.time()
        if total and finished == total:
            return now, False
        if not total:
            # nothing enqueued (a re-run): a few polls to be sure
            empty_since = empty_since or time.monotonic()
            if time.monotonic() - empty_since >= settle:
                return now, False
        if time.monotonic() - last_report >= 15:
            _progress(
                f"jobs: {finished}/{total} finished {dict(sorted(counts.items()))}"
            )
            last_report = time.monotonic()
        if time.monotonic() > deadline:
            return now, True
        time.sleep(0.25)


def _parallel_measure(args, conn, server, label, log):
    """One trigger and its jobs: wall time, queries, emails, memory."""
    load_before = os.getloadavg()
    before = db_state(conn)
    _progress(f"{label}: triggering the daily action")
    sampler, triggered = _run_trigger(args, log, server.process.pid)
    seen, timed_out = _wait_jobs(conn, before["ids"]["queue_job"], args.timeout)
    sampled = sampler.stop()
    after = db_state(conn)
    growth = db_growth(conn, before, after)
    jobs = summarize_jobs(_day_jobs(conn, before["ids"]["queue_job"]))
    emails = growth["created"]["mail_mail"]
    queries = triggered["queries"] + jobs["queries"]
    # nothing enqueued (a re-run): the trigger is the whole day
    end = seen if jobs["jobs"] else triggered["ended"]
    wall = round(end - triggered["started"], 3)
    _progress(
        f"{label}: {wall} s, {jobs['jobs']} jobs {jobs['by_state']}, {emails} emails, "
        f"{queries} queries"
    )
    return {
        "seconds": wall,
        "timed_out": timed_out,
        "emails": emails,
        "events": growth["created"]["relance_event"],
        "dispatches": growth["created"]["relance_dispatch"],
        "queries": queries,
        "queries_per_email": per_email(queries, emails),
        "trigger": triggered,
        "jobs": jobs,
        "rss_peak_mb": sampled["rss_peak_mb"],
        "sampled": sampled,
        "load_before": list(load_before),
        "load_after": list(os.getloadavg()),
        "growth": growth,
        "steps": triggered["steps"],
    }


def parallel(args):
    """The day on an Odoo server with ``args.workers`` workers."""
    os.makedirs(os.path.dirname(args.conf), exist_ok=True)
    port = free_port()
    with open(args.conf, "w") as file:
        file.write(
            odoo_config(
                db=args.db,
                workers=args.workers,
                addons_path=args.addons_path,
                http_port=port,
                gevent_port=free_port(),
                logfile=args.log,
            )
        )
    conn = connect(args.db)
    facts = _book_facts_sql(conn)
    server = Server(args.conf, args.log, port)
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(143))
    try:
        pid = server.start()
        _progress(f"server {pid} on port {port}, {args.workers} workers ({args.conf})")
        start = time.monotonic()
        server.wait_ready(args.db)
        _progress(f"server and job runner ready in {time.monotonic() - start:.1f} s")
        run = _parallel_measure(args, conn, server, "daily run", args.log)
        rerun = _parallel_measure(args, conn, server, "same-day re-run", args.log)
    finally:
        server.stop()
    try:
        found = duplicates(conn)
    finally:
        conn.close()
    extra = {"config": args.conf, "log": args.log, "http_port": port}
    return _result(args, args.workers, facts, run, rerun, found, extra)
