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
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scaling_base import QUEUE, ROOT  # noqa: E402
from scaling_figures import (  # noqa: E402  (tests_unit/test_scaling.py)
    concurrency,
    cpu_busy_ticks,
    cpu_figures,
    duplicate_sql,
    odoo_config,
    parse_job_result,
    parse_proc_stat,
    per_email,
    project,
    speedup,
    summarize_jobs,
    table,
)
from scaling_in_odoo import configure, inprocess, trigger  # noqa: E402
from scaling_parallel import gevent_stand_in, parallel, serve  # noqa: E402
from scaling_report import model, report  # noqa: E402

# the entry, and the pure helpers tests_unit/test_scaling.py reads here
__all__ = [
    "QUEUE",
    "concurrency",
    "cpu_busy_ticks",
    "cpu_figures",
    "duplicate_sql",
    "main",
    "model",
    "odoo_config",
    "parse_args",
    "parse_job_result",
    "parse_proc_stat",
    "per_email",
    "project",
    "speedup",
    "summarize_jobs",
    "table",
]


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
