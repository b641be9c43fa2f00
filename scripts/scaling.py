#!/usr/bin/env python3
"""Scaling of the daily dunning run: one worker in process, then N workers of
the job queue (relance_facture_queue on OCA queue_job), on the same book.

    python3 scripts/scaling.py inprocess --db DB --addons-path PATHS
        [--customers 10000] [--invoices 10] [--seed 42] --output FILE
    python3 scripts/scaling.py configure --db DB --addons-path PATHS --capacity N
    python3 scripts/scaling.py parallel --db DB --addons-path PATHS --workers N
        --output FILE [--timeout 3600]
    python3 scripts/scaling.py trigger --db DB --addons-path PATHS
    python3 scripts/scaling.py report --output-dir DIR RESULT.json...
    python3 scripts/scaling.py serve -c CONF

scripts/scaling.sh copies the book (scripts/book.sh), installs the addons on
each copy, assigns the customers' profiles (scripts/benchmark.py --phase
setup) and calls these subcommands, one measurement at a time:

  inprocess  the day as the cron worker runs it in one process
             (scripts/benchmark.py's run phase: ``measure``, mode cron), then
             the same-day re-run;
  configure  the setting Parallel run on, its Batches at once = N;
  parallel   writes an Odoo configuration (``workers = N``, queue_job
             server-wide, ``max_cron_threads = 0``, channels
             ``root:N,root.relance:N``), starts the server, waits for its job
             runner, triggers the day the way the scheduler does (the child
             ``trigger``: the daily action with ``cron_id`` in the context,
             which does the day's serial work and enqueues one job per batch
             of customers), waits until every job of the day is done or
             failed, triggers the same-day re-run, stops the server;
  serve      the server ``parallel`` starts: Odoo's (odoo-bin's main) with
             this script as argv[0], so that the prefork server's websocket
             process comes back here as an idle stand-in (``gevent_stand_in``:
             where gevent cannot start, the master would respawn it every
             second, importing Odoo each time, on the measured CPUs);
  report     the table of the measurements, one ``SCALING_JSON {...}`` line,
             var/scaling-<date>.json.

Each measurement records the wall time, the emails created (mail.mail rows),
the SQL queries (in process: every query of the run; in parallel: the
trigger's plus the count each job reports in its result, which leaves out
queue_job's own bookkeeping of the job), the peak of the summed RSS of the
Odoo processes (sampled every 0.2 s), the CPU used by Odoo and by the
PostgreSQL backends of the database against the machine's, the load average
before and after, the growth of the tables the run writes, the WAL written
(cluster-wide: other databases' writes count too), the duplicate checks and
the re-run.
"""

import argparse
import collections
import contextlib
import datetime
import functools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmark  # noqa: E402  (the in-process run and its Meter)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.abspath(__file__)
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


# ----------------------------------------------------------------------------
# Pure helpers (tests_unit/test_scaling.py)
# ----------------------------------------------------------------------------
def odoo_config(
    *,
    db,
    workers,
    addons_path,
    http_port,
    gevent_port,
    logfile,
    limit_time=3600,
    log_level="info",
):
    """The text of an Odoo configuration file for the parallel run: N HTTP
    workers that run the jobs, queue_job's runner (server-wide), no cron
    worker (the scheduler must not run the day too), channels of N."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    options = {
        "addons_path": addons_path,
        "db_name": db,
        "dbfilter": f"^{re.escape(db)}$",
        "list_db": "False",
        "server_wide_modules": "base,web,queue_job",
        "workers": workers,
        "max_cron_threads": 0,
        "http_interface": "127.0.0.1",
        "http_port": http_port,
        "gevent_port": gevent_port,
        # a batch runs inside one HTTP request of the runner
        "limit_time_cpu": limit_time,
        "limit_time_real": limit_time,
        "logfile": logfile,
        "log_level": log_level,
    }
    lines = ["[options]"]
    lines += [f"{key} = {value}" for key, value in options.items()]
    lines += ["", "[queue_job]", f"channels = root:{workers},{CHANNEL}:{workers}", ""]
    return "\n".join(lines)


def duplicate_sql(
    live_states=LIVE_DISPATCH_STATES, customer_channels=CUSTOMER_CHANNELS
):
    """{check name: SQL counting its offending groups}: the "never twice"
    rules of the whole database (a copy of the book: all its history is the
    measured days')."""

    def quoted(values):
        return ", ".join("'%s'" % value.replace("'", "''") for value in values)

    def groups(select):
        return f"SELECT count(*) FROM ({select}) AS twice"

    return {
        # one event per (invoice, step, instalment)
        "event_twice": groups(
            """SELECT 1 FROM relance_event
               GROUP BY move_id, level_id, COALESCE(plan_line_id, 0)
               HAVING count(*) > 1"""
        ),
        # one email per dispatch (the email's record is its dispatch)
        "dispatch_two_emails": groups(
            """SELECT 1 FROM mail_mail m
               JOIN mail_message mm ON mm.id = m.mail_message_id
               WHERE mm.model = 'relance.dispatch'
               GROUP BY mm.res_id HAVING count(*) > 1"""
        ),
        "email_of_two_dispatches": groups(
            """SELECT 1 FROM relance_dispatch WHERE mail_id IS NOT NULL
               GROUP BY mail_id HAVING count(*) > 1"""
        ),
        # one message a day per customer and channel
        "customer_message_twice": groups(
            f"""SELECT 1 FROM relance_dispatch
                WHERE state IN ({quoted(live_states)})
                  AND channel IN ({quoted(customer_channels)})
                GROUP BY partner_id, date, channel HAVING count(*) > 1"""
        ),
        # one dunning email a day per recipient (partner, else address)
        "recipient_two_emails_a_day": groups(
            """SELECT 1 FROM (
                    SELECT m.id, m.create_date::date AS day,
                           COALESCE(r.res_partner_id::text,
                                    lower(trim(m.email_to))) AS recipient
                    FROM mail_mail m
                    JOIN mail_message mm ON mm.id = m.mail_message_id
                    LEFT JOIN mail_mail_res_partner_rel r ON r.mail_mail_id = m.id
                    WHERE mm.model = 'relance.dispatch'
                ) AS sent
                WHERE recipient IS NOT NULL
                GROUP BY recipient, day HAVING count(DISTINCT id) > 1"""
        ),
    }


JOB_RESULT = re.compile(
    r"^(?P<invoices>\d+) (?:invoices of|factures de) (?P<customers>\d+) .*?"
    r"(?P<passed>\d+) (?:customers held|clients retenus)"
    r"(?:.*?(?P<queries>\d+) (?:SQL queries|requêtes SQL))?",
    re.S,
)


def parse_job_result(text):
    """The figures of a dunning job's result ("12 invoices of 3 customers
    processed, 0 customers held ...; 456 SQL queries."), English or French;
    None for what it does not say."""
    match = JOB_RESULT.search(text or "")
    if not match:
        return {"invoices": None, "customers": None, "passed": None, "queries": None}
    return {
        key: int(value) if value is not None else None
        for key, value in match.groupdict().items()
    }


def _seconds(start, end):
    return (end - start).total_seconds()


def concurrency(intervals):
    """(peak, mean) number of jobs running at once over ``intervals``
    (start, end) of datetimes or numbers: the mean is the busy time over
    the span from the first start to the last end."""
    intervals = [(s, e) for s, e in intervals if s is not None and e is not None]
    if not intervals:
        return 0, 0.0
    edges = sorted([(s, 1) for s, _e in intervals] + [(e, -1) for _s, e in intervals])
    running = peak = 0
    for _when, step in edges:
        running += step
        peak = max(peak, running)
    first = min(s for s, _e in intervals)
    last = max(e for _s, e in intervals)
    diff = _seconds if isinstance(first, datetime.datetime) else (lambda a, b: b - a)
    span = diff(first, last)
    busy = sum(diff(s, e) for s, e in intervals)
    return peak, round(busy / span, 2) if span > 0 else float(peak)


def summarize_jobs(rows):
    """The day's jobs, from their rows (dicts with state, result, retry,
    exec_time, date_started, date_done, worker_pid)."""
    states = collections.Counter(row["state"] for row in rows)
    parsed = [parse_job_result(row["result"]) for row in rows]
    reported = [p["queries"] for p in parsed if p["queries"] is not None]
    exec_times = [row["exec_time"] or 0.0 for row in rows]
    peak, mean = concurrency([(row["date_started"], row["date_done"]) for row in rows])
    return {
        "jobs": len(rows),
        "by_state": dict(sorted(states.items())),
        # queue_job counts the first try
        "retries": sum(max((row["retry"] or 0) - 1, 0) for row in rows),
        "invoices": sum(p["invoices"] or 0 for p in parsed),
        "customers": sum(p["customers"] or 0 for p in parsed),
        "customers_passed": sum(p["passed"] or 0 for p in parsed),
        "queries": sum(reported),
        "jobs_reporting_queries": len(reported),
        "exec_seconds_sum": round(sum(exec_times), 2),
        "exec_seconds_max": round(max(exec_times, default=0.0), 2),
        "worker_pids": len({row["worker_pid"] for row in rows if row["worker_pid"]}),
        "peak_concurrency": peak,
        "mean_concurrency": mean,
    }


def parse_proc_stat(text):
    """(session id, CPU ticks user + system, RSS pages) of a /proc/PID/stat
    line (the command name may hold spaces and parentheses)."""
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): session is field 6, utime 14, stime 15,
    # rss 24
    return int(fields[3]), int(fields[11]) + int(fields[12]), int(fields[21])


def cpu_busy_ticks(proc_stat_text):
    """(busy, total) ticks of the machine from /proc/stat's "cpu" line."""
    for line in proc_stat_text.splitlines():
        if line.startswith("cpu "):
            values = [int(v) for v in line.split()[1:]]
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            # guest time is counted in user already
            total = sum(values[:8])
            return total - idle, total
    raise ValueError("no cpu line in /proc/stat")


def cpu_figures(cpu, emails):
    """CPU of the run (the Sampler's figures): ours (Odoo and the database's
    PostgreSQL backends), per email, and the cores other work took."""
    ours = round(cpu["odoo_cpu_seconds"] + cpu["postgres_cpu_seconds"], 1)
    seconds = cpu["seconds"]
    return {
        "cpu_seconds": ours,
        "cpu_ms_per_email": round(1000 * ours / emails, 1) if emails else None,
        "our_cores": round(ours / seconds, 2) if seconds else None,
        "others_cores": round(cpu["others_cpu_seconds"] / seconds, 2)
        if seconds
        else None,
    }


def per_email(value, emails):
    return round(value / emails, 2) if emails else None


def speedup(base, value):
    return round(base / value, 2) if base and value else None


def project(serial_seconds, parallel_seconds, scale, workers, efficiency=1.0):
    """Seconds of a day ``scale`` times bigger on ``workers`` workers, if the
    serial part and the parallel part both grow linearly and the parallel
    part divides by workers x efficiency (Amdahl)."""
    return round(
        scale * (serial_seconds + parallel_seconds / (workers * efficiency)), 1
    )


def _cell(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(rows):
    """The measurements as a text table (one row per book x workers);
    speedup against the in-process run of the book, and against one worker
    of the queue when measured."""
    header = (
        "book",
        "workers",
        "wall s",
        "speedup",
        "vs queue 1",
        "emails",
        "queries",
        "q/email",
        "peak RSS MB",
        "CPU s",
        "our/others cores",
        "dup",
        "re-run",
        "load 1m before/after",
    )
    body = []
    for row in rows:
        rerun = row["rerun"]
        kind = "in process" if _mode(row) == IN_PROCESS else "queue"
        body.append(
            (
                row["book_label"],
                f"{row['workers']} {kind}",
                _cell(row["wall_seconds"]),
                _cell(row.get("speedup"), 2),
                _cell(row.get("speedup_vs_queue_1"), 2),
                _cell(row["emails"]),
                _cell(row["queries"]),
                _cell(row["queries_per_email"], 2),
                _cell(row["rss_peak_mb"], 0),
                _cell(row["cpu_seconds"]),
                f"{_cell(row['our_cores'], 2)}/{_cell(row['others_cores'], 2)}",
                _cell(row["duplicates"]),
                f"{_cell(rerun['seconds'], 2)} s, {rerun['emails']} emails, "
                f"{rerun.get('jobs', 0)} jobs",
                f"{_cell(row['load_before'][0], 2)}/{_cell(row['load_after'][0], 2)}",
            )
        )
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in [header, *body]
    )


def book_label(customers, invoices):
    return f"{customers}x{invoices}"


# ----------------------------------------------------------------------------
# Reading the database and the machine
# ----------------------------------------------------------------------------
def connect(db):
    import psycopg2

    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    return conn


def sql(conn, query, params=None):
    with conn.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchall() if cr.description else []


def db_state(conn):
    """What the measures compare before and after: highest ids, table
    sizes, the WAL position."""
    ids = {}
    for table_name in ("mail_mail", "relance_event", "relance_dispatch", "queue_job"):
        rows = sql(conn, "SELECT to_regclass(%s)", [table_name])
        ids[table_name] = (
            sql(conn, f"SELECT COALESCE(max(id), 0) FROM {table_name}")[0][0]
            if rows[0][0]
            else 0
        )
    sizes = dict(
        sql(
            conn,
            """SELECT relname::text, pg_total_relation_size(oid)
               FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)""",
            [list(GROWING_TABLES)],
        )
    )
    [(lsn,)] = sql(conn, "SELECT pg_current_wal_lsn()::text")
    return {"ids": ids, "sizes": sizes, "wal_lsn": lsn}


def db_growth(conn, before, after):
    """Rows created and bytes added since ``before``."""
    created = {
        table_name: sql(
            conn,
            f"SELECT count(*) FROM {table_name} WHERE id > %s",
            [before["ids"][table_name]],
        )[0][0]
        for table_name in ("mail_mail", "relance_event", "relance_dispatch")
    }
    [(wal,)] = sql(
        conn,
        "SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::bigint",
        [after["wal_lsn"], before["wal_lsn"]],
    )
    bytes_added = {
        name: after["sizes"].get(name, 0) - before["sizes"].get(name, 0)
        for name in GROWING_TABLES
        if after["sizes"].get(name, 0) != before["sizes"].get(name, 0)
    }
    return {
        "created": created,
        "table_bytes": dict(sorted(bytes_added.items())),
        "table_bytes_total": sum(bytes_added.values()),
        "wal_bytes_cluster": wal,
    }


def duplicates(conn):
    checks = {name: sql(conn, query)[0][0] for name, query in duplicate_sql().items()}
    return {"checks": checks, "total": sum(checks.values())}


def _read(path):
    with open(path) as file:
        return file.read()


class Sampler(threading.Thread):
    """Samples every SAMPLE_SECONDS: the summed RSS of the Odoo processes
    (``pids`` and every process of the ``sessions``), their CPU, the CPU of
    the PostgreSQL backends of ``db`` and the machine's."""

    def __init__(self, db, pids=(), sessions=(), server_session=None):
        super().__init__(daemon=True)
        self.db = db
        self.pids = set(pids)
        self.sessions = set(sessions)
        self.server_session = server_session
        if server_session is not None:
            self.sessions.add(server_session)
        self._stop_event = threading.Event()
        # set once the first sample is taken: the CPU figures start there
        self.ready = threading.Event()
        self.rss_peak = self.server_rss_peak = 0
        self.odoo_ticks = {}  # pid: (first, last)
        self.pg_ticks = {}
        self.pg_pids = {}  # pid: backend type (client backend, autovacuum ...)
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._hz = os.sysconf("SC_CLK_TCK")

    def run(self):
        conn = connect(self.db)
        [(own,)] = sql(conn, "SELECT pg_backend_pid()")
        last_pg = 0.0
        self._cpu0 = cpu_busy_ticks(_read("/proc/stat"))
        self._t0 = time.monotonic()
        try:
            while True:
                if time.monotonic() - last_pg >= 1.0:
                    self.pg_pids.update(
                        sql(
                            conn,
                            """SELECT pid, backend_type FROM pg_stat_activity
                               WHERE datname = %s AND pid != %s""",
                            [self.db, own],
                        )
                    )
                    last_pg = time.monotonic()
                self._sample()
                self.ready.set()
                if self._stop_event.wait(SAMPLE_SECONDS):
                    break
            self._sample()
        finally:
            conn.close()
        self._cpu1 = cpu_busy_ticks(_read("/proc/stat"))
        self._t1 = time.monotonic()

    def _sample(self):
        rss = server_rss = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                session, ticks, pages = parse_proc_stat(_read(f"/proc/{pid}/stat"))
            except (OSError, ValueError, IndexError):
                continue
            if pid in self.pids or session in self.sessions:
                rss += pages * self._page
                if session == self.server_session:
                    server_rss += pages * self._page
                first, _last = self.odoo_ticks.get(pid, (ticks, ticks))
                self.odoo_ticks[pid] = (first, ticks)
            elif pid in self.pg_pids:
                first, _last = self.pg_ticks.get(pid, (ticks, ticks))
                self.pg_ticks[pid] = (first, ticks)
        self.rss_peak = max(self.rss_peak, rss)
        self.server_rss_peak = max(self.server_rss_peak, server_rss)

    def stop(self):
        self._stop_event.set()
        self.join()
        seconds = self._t1 - self._t0
        busy = (self._cpu1[0] - self._cpu0[0]) / self._hz
        odoo = sum(last - first for first, last in self.odoo_ticks.values()) / self._hz
        pg = sum(last - first for first, last in self.pg_ticks.values()) / self._hz
        pg_by_type = collections.Counter()
        for pid, (first, last) in self.pg_ticks.items():
            pg_by_type[self.pg_pids[pid]] += (last - first) / self._hz
        return {
            "rss_peak_mb": round(self.rss_peak / 2**20, 1),
            "server_rss_peak_mb": round(self.server_rss_peak / 2**20, 1),
            "cpu": {
                "seconds": round(seconds, 1),
                "odoo_cpu_seconds": round(odoo, 1),
                "postgres_cpu_seconds": round(pg, 1),
                "postgres_cpu_seconds_by_backend": {
                    kind: round(value, 1) for kind, value in sorted(pg_by_type.items())
                },
                "machine_busy_cpu_seconds": round(busy, 1),
                "others_cpu_seconds": round(max(busy - odoo - pg, 0.0), 1),
                "machine_busy_cores": round(busy / seconds, 2) if seconds else None,
                "cpus": os.cpu_count(),
            },
        }


# ----------------------------------------------------------------------------
# In an Odoo process
# ----------------------------------------------------------------------------
def instrument(registry):
    """Times TIMED_METHODS on the registry's classes; returns the figures
    ({"model.method": {"calls", "seconds", "queries"}}), filled as they run."""
    from odoo import sql_db

    figures = {}

    def timed(name, method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            start, queries = time.perf_counter(), sql_db.sql_counter
            try:
                return method(self, *args, **kwargs)
            finally:
                entry = figures.setdefault(
                    name, {"calls": 0, "seconds": 0.0, "queries": 0}
                )
                entry["calls"] += 1
                entry["seconds"] += time.perf_counter() - start
                entry["queries"] += sql_db.sql_counter - queries

        return wrapper

    for model, methods in TIMED_METHODS.items():
        cls = registry[model]
        for method in methods:
            if hasattr(cls, method):
                setattr(cls, method, timed(f"{model}.{method}", getattr(cls, method)))
    return figures


def _rounded(figures):
    return {
        name: {**entry, "seconds": round(entry["seconds"], 3)}
        for name, entry in sorted(figures.items())
    }


def _bootstrap(db, addons_path, module):
    registry = benchmark.bootstrap(
        argparse.Namespace(db=db, addons_path=addons_path, log_level="warn")
    )
    if module not in registry._init_modules:
        sys.exit(f"{db}: the module {module} is not installed")
    return registry


def _book_facts(registry):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        facts = json.loads(
            env["ir.config_parameter"].get_param(benchmark.GEN_PARAM) or "{}"
        )
    _check_facts(facts)
    return facts


def _check_facts(facts):
    if facts.get("date") != datetime.date.today().isoformat():
        sys.exit(f"book dated {facts.get('date')}, not today")
    if "profiles" not in facts:
        sys.exit("no dunning profiles (scripts/benchmark.py --phase setup)")


def _book_facts_sql(conn):
    """The book's facts, read in SQL (no registry in the orchestrator)."""
    rows = sql(
        conn,
        "SELECT value FROM ir_config_parameter WHERE key = %s",
        [benchmark.GEN_PARAM],
    )
    facts = json.loads(rows[0][0]) if rows else {}
    _check_facts(facts)
    [(installed,)] = sql(
        conn,
        "SELECT count(*) FROM ir_module_module WHERE name = %s AND state = 'installed'",
        [QUEUE_ADDON],
    )
    if not installed:
        sys.exit(f"{QUEUE_ADDON} is not installed")
    return facts


def _measure_inprocess(registry, conn, db, label, steps):
    """One call of the day as the cron worker runs it (scripts/
    benchmark.py's ``measure``, mode cron: its pieces, so that the sampler
    covers the run only, not the count of what it created)."""
    from odoo import SUPERUSER_ID, api

    job = benchmark._cron_job(registry)
    with registry.cursor() as cr:
        high_ids = benchmark._high_ids(api.Environment(cr, SUPERUSER_ID, {}))
    steps.clear()
    load_before = os.getloadavg()
    before = db_state(conn)
    sampler = Sampler(db, pids=[os.getpid()])
    sampler.start()
    sampler.ready.wait(10)
    with benchmark.Meter() as meter:
        calls = benchmark.run_daily(registry, job, "cron")
    sampled = sampler.stop()
    load_after = os.getloadavg()
    after = db_state(conn)
    with registry.cursor() as cr:
        created = benchmark._created(api.Environment(cr, SUPERUSER_ID, {}), high_ids)
    figures = meter.result
    emails = created["emails_created"]
    _progress(
        f"{label}: {figures['seconds']} s, {figures['queries']} queries, "
        f"{emails} emails"
    )
    return {
        "seconds": figures["seconds"],
        "emails": emails,
        "emails_queued": created["emails_queued"],
        "events": created["events"],
        "dispatches": created["dispatches"],
        "queries": figures["queries"],
        "queries_per_email": per_email(figures["queries"], emails),
        "scheduler_calls": calls,
        "rss_peak_mb": figures["rss_peak_mb"],
        "sampled": sampled,
        "load_before": list(load_before),
        "load_after": list(load_after),
        "growth": db_growth(conn, before, after),
        "steps": _rounded(steps),
    }


def inprocess(args):
    """The day in one process as the cron worker runs it, then the same-day
    re-run."""
    registry = _bootstrap(args.db, args.addons_path, benchmark.ADDON)
    facts = _book_facts(registry)
    steps = instrument(registry)
    conn = connect(args.db)
    try:
        run = _measure_inprocess(registry, conn, args.db, "daily run", steps)
        rerun = _measure_inprocess(registry, conn, args.db, "same-day re-run", steps)
        found = duplicates(conn)
    finally:
        conn.close()
    return _result(args, 1, facts, run, rerun, found)


def _result(args, workers, facts, run, rerun, found, extra=None):
    day_start = run["steps"].get("relance.engine._relance_day_start", {})
    # the part no worker shares: the day start in process; the trigger (day
    # start and enqueuing) in the parallel run
    serial = run["trigger"]["seconds"] if "trigger" in run else day_start.get("seconds")
    return {
        "date": datetime.date.today().isoformat(),
        "database": args.db,
        "mode": IN_PROCESS if "trigger" not in run else QUEUE,
        "workers": workers,
        "customers": args.customers,
        "invoices_per_customer": args.invoices,
        "seed": args.seed,
        "book": {
            key: facts.get(key)
            for key in ("customers", "invoices", "payment_state", "profiles")
        },
        "wall_seconds": run["seconds"],
        "serial_seconds": serial,
        "day_start_seconds": day_start.get("seconds"),
        "day_start_queries": day_start.get("queries"),
        "emails": run["emails"],
        "queries": run["queries"],
        "queries_per_email": run["queries_per_email"],
        "rss_peak_mb": run["sampled"]["rss_peak_mb"],
        **cpu_figures(run["sampled"]["cpu"], run["emails"]),
        "duplicates": found["total"],
        "duplicate_checks": found["checks"],
        "load_before": run["load_before"],
        "load_after": run["load_after"],
        "run": run,
        "rerun": {
            "seconds": rerun["seconds"],
            "emails": rerun["emails"],
            "queries": rerun["queries"],
            "jobs": rerun.get("jobs", {}).get("jobs", 0),
            "detail": rerun,
        },
        **(extra or {}),
    }


def configure(args):
    """Settings › Dunning: Parallel run on, Batches at once = capacity (what
    res.config.settings' set_values writes, and the workspace card)."""
    from odoo import SUPERUSER_ID, api

    registry = _bootstrap(args.db, args.addons_path, QUEUE_ADDON)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        params = env["ir.config_parameter"].sudo()
        params.set_param(PARALLEL_PARAM, "True")
        params.set_param(CAPACITY_PARAM, str(args.capacity))
        env["relance.workspace"]._relance_queue_sync_card()
    print(f"{args.db}: parallel run on, {args.capacity} batches at once", flush=True)
    return 0


def trigger(args):
    """The daily action as the scheduler calls it (``cron_id`` in the
    context; scripts/benchmark.py's run_daily, mode cron), committed; prints
    one TRIGGER_JSON line."""
    from odoo import SUPERUSER_ID, api

    registry = _bootstrap(args.db, args.addons_path, QUEUE_ADDON)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if not env["relance.engine"]._relance_queue_parallel():
            sys.exit(f"{args.db}: the parallel run is off (scaling.py configure)")
    job = benchmark._cron_job(registry)
    steps = instrument(registry)
    # loaded: the parent starts its measures, then says go
    print("READY", flush=True)
    sys.stdin.readline()
    started = time.time()
    with benchmark.Meter() as meter:
        calls = benchmark.run_daily(registry, job, "cron")
    result = {
        "started": started,
        "ended": time.time(),
        **meter.result,
        "scheduler_calls": calls,
        "steps": _rounded(steps),
    }
    print(TRIGGER_PREFIX + json.dumps(result), flush=True)
    return 0


# ----------------------------------------------------------------------------
# The parallel run: an Odoo server with N workers
# ----------------------------------------------------------------------------
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


def _progress(text):
    print(f"  {text}", file=sys.stderr, flush=True)


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


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------
def _mode(row):
    """A row's mode; rows written before the mode was recorded ran one
    worker in process or N queue_job workers."""
    return row.get("mode") or (IN_PROCESS if row["workers"] == 1 else QUEUE)


def _same_book(rows, label, mode, workers=None):
    return [
        row
        for row in rows
        if row["book_label"] == label
        and _mode(row) == mode
        and (workers is None or row["workers"] == workers)
    ]


def _run_value(row, *keys):
    """A figure of the row's run, 0 when the measurement did not record it."""
    value = row.get("run", {})
    for key in keys:
        value = value.get(key, {}) if isinstance(value, dict) else {}
    return value if isinstance(value, int | float) else 0


def _step_seconds(row, step):
    steps = row.get("run", {}).get("steps", {})
    return steps.get(f"relance.engine.{step}", {}).get("seconds", 0.0)


def model(rows):
    """The parts of the day on the biggest book measured in process and in
    the queue: serial (no worker shares it), batches, what the in-process
    cron mode repeats at each of its calls; the efficiency of N workers; the
    day of 1,000,000 invoices projected from the queue's figures."""
    inproc = [row for row in rows if _mode(row) == IN_PROCESS and row["emails"]]
    if not inproc:
        return None
    base = inproc[-1]
    label = base["book_label"]
    queue = sorted(_same_book(rows, label, QUEUE), key=lambda row: row["workers"])
    invoices = base["book"].get("invoices") or (
        base["customers"] * base["invoices_per_customer"]
    )
    # in process, each call of the cron redoes the day start and selects the
    # day's customers again
    repeated = sum(
        _step_seconds(base, step)
        for step in (
            "_relance_day_start",
            "_relance_day_customers",
            "_relance_count_due_moves",
        )
    )
    batches_1 = _step_seconds(base, "_relance_run_customers")
    one = _same_book(rows, label, QUEUE, 1)
    if one:  # the batches on one worker of the queue
        batches_1 = one[0]["wall_seconds"] - one[0]["serial_seconds"]
    serial = max((row["serial_seconds"] for row in queue), default=None)
    result = {
        "book": label,
        "invoices": invoices,
        "emails": base["emails"],
        "in_process": {
            "wall_seconds": base["wall_seconds"],
            "scheduler_calls": base.get("run", {}).get("scheduler_calls"),
            "repeated_per_call_seconds": round(repeated, 1),
            "batches_seconds": round(_step_seconds(base, "_relance_run_customers"), 1),
        },
        "queue_serial_seconds": serial,
        "batches_one_worker_seconds": round(batches_1, 1),
        "batch_ms_per_email": round(1000 * batches_1 / base["emails"], 1),
        "queue": {
            str(row["workers"]): {
                "wall_seconds": row["wall_seconds"],
                "batches_seconds": round(
                    row["wall_seconds"] - row["serial_seconds"], 1
                ),
                "parallel_efficiency": round(
                    batches_1
                    / (
                        row["workers"]
                        * max(row["wall_seconds"] - row["serial_seconds"], 1e-9)
                    ),
                    2,
                ),
                "cpu_ms_per_email": row.get("cpu_ms_per_email"),
                "odoo_cpu_ms_per_email": per_email(
                    1000 * _run_value(row, "sampled", "cpu", "odoo_cpu_seconds"),
                    row["emails"],
                ),
                "postgres_cpu_ms_per_email": per_email(
                    1000 * _run_value(row, "sampled", "cpu", "postgres_cpu_seconds"),
                    row["emails"],
                ),
                "table_bytes_per_email": per_email(
                    _run_value(row, "growth", "table_bytes_total"), row["emails"]
                ),
            }
            for row in queue
        },
    }
    if serial is not None:
        scale = 1_000_000 / invoices
        result["projection_1m_invoices_seconds"] = {
            str(workers): project(serial, batches_1, scale, workers)
            for workers in (1, 2, 4, 8, 16, 32)
        }
        result["projection_note"] = (
            "queue path: its serial part and the batches linear in the "
            "invoices, the batches divided by the workers, each with a core of "
            "its own and PostgreSQL not saturated (on this machine's 2 CPUs "
            "the efficiency measured is given per worker count)"
        )
    return result


def report(args):
    rows = []
    for path in args.results:
        with open(path) as file:
            row = json.load(file)
        row["book_label"] = book_label(row["customers"], row["invoices_per_customer"])
        rows.append(row)
    rows.sort(
        key=lambda row: (row["customers"], _mode(row) != IN_PROCESS, row["workers"])
    )
    for row in rows:
        for key, mode in (("speedup", IN_PROCESS), ("speedup_vs_queue_1", QUEUE)):
            base = _same_book(rows, row["book_label"], mode, 1)
            row[key] = speedup(base and base[0]["wall_seconds"], row["wall_seconds"])
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "note": "other work may share the machine: see each row's load_before/"
        "load_after and run.sampled.cpu.others_cpu_seconds",
        "rows": rows,
        "model": model(rows),
    }
    os.makedirs(args.output_dir, exist_ok=True)
    path = os.path.join(args.output_dir, f"scaling-{result['date']}.json")
    with open(path, "w") as file:
        json.dump(result, file, indent=2, sort_keys=True, default=str)
    print(table(rows))
    print(f"Written to {os.path.relpath(path, os.getcwd())}")
    print("SCALING_JSON " + json.dumps(result, sort_keys=True, default=str), flush=True)
    bad = [row for row in rows if row["duplicates"] or row["rerun"]["emails"]]
    return 3 if bad else 0


# ----------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def odoo_db(name):
        command = sub.add_parser(name)
        command.add_argument("--db", required=True)
        command.add_argument("--addons-path", required=True)
        command.add_argument("--customers", type=int, default=10000)
        command.add_argument("--invoices", type=int, default=10)
        command.add_argument("--seed", type=int, default=42)
        return command

    odoo_db("inprocess").add_argument("--output", required=True)
    odoo_db("configure").add_argument("--capacity", type=int, required=True)
    odoo_db("trigger")
    command = odoo_db("parallel")
    command.add_argument("--workers", type=int, required=True)
    command.add_argument("--output", required=True)
    command.add_argument("--conf", help="the Odoo configuration file to write")
    command.add_argument("--log", help="the server's log file")
    command.add_argument("--timeout", type=float, default=3600)
    command = sub.add_parser("report")
    command.add_argument("--output-dir", default=os.path.join(ROOT, "var"))
    command.add_argument("results", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "parallel":
        if args.workers < 1:
            parser.error("--workers must be at least 1")
        args.conf = args.conf or os.path.join(ROOT, "var", f"scaling-{args.db}.conf")
        args.log = args.log or os.path.join(ROOT, "var", "log", f"{args.db}.log")
    return args


def _write(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as file:
        json.dump(data, file, indent=2, sort_keys=True, default=str)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return serve(argv[1:])
    if argv[:1] == ["gevent"]:
        return gevent_stand_in()
    args = parse_args(argv)
    if args.command == "report":
        return report(args)
    if args.command == "configure":
        return configure(args)
    if args.command == "trigger":
        return trigger(args)
    result = inprocess(args) if args.command == "inprocess" else parallel(args)
    _write(args.output, result)
    print(
        f"{args.db}: {result['workers']} worker(s), {result['wall_seconds']} s, "
        f"{result['emails']} emails, {result['queries_per_email']} queries/email, "
        f"RSS peak {result['rss_peak_mb']} MB, {result['duplicates']} duplicates",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
