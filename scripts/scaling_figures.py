"""Pure helpers of scripts/scaling.py (tests_unit/test_scaling.py): the Odoo
configuration of the parallel run, the duplicate checks, the jobs' results,
the CPU figures, the projection and the text table."""

import collections
import datetime
import re

from scaling_base import (
    CHANNEL,
    CUSTOMER_CHANNELS,
    IN_PROCESS,
    LIVE_DISPATCH_STATES,
    _mode,
)


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
