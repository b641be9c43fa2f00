"""What scripts/scaling.py runs in an Odoo process (a registry loaded): the
timing of the engine's steps, the ``inprocess``, ``configure`` and
``trigger`` subcommands, and the result row of a measurement."""

import argparse
import datetime
import functools
import json
import os
import sys
import time

import benchmark
from scaling_base import (
    CAPACITY_PARAM,
    IN_PROCESS,
    PARALLEL_PARAM,
    QUEUE,
    QUEUE_ADDON,
    TIMED_METHODS,
    TRIGGER_PREFIX,
    _progress,
)
from scaling_figures import cpu_figures, per_email
from scaling_probes import Sampler, connect, db_growth, db_state, duplicates, sql


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
