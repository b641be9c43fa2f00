#!/usr/bin/env python3
"""Benchmark of the daily dunning run on a generated book of invoices.

    python3 scripts/benchmark.py --db DB --addons-path PATHS [--phase PHASE]
        [--customers 1000] [--invoices 10] [--seed 42] [--mode cron|direct]
        [--profile] [--tracemalloc]

DB must hold relance_facture (installed without demo data). The book is made
by scripts/book.py (generator and cloner): scripts/benchmark.sh copies the
book's template database (scripts/book.sh, ensure_book), installs
relance_facture on the copy and calls this script once per phase, so that
the run is measured in a fresh process (as a cron worker after a restart)
and its memory figures are not those of the preparation.

Phases:
  setup     on a copied book, relance_facture just installed: the customers'
            dunning profiles (scripts/book.py's assign_profiles); the figures
            of the plan are added to the book's facts.
  generate  the ORM path in this database (relance_facture installed before
            the book): generates the book with scripts/book.py's generator,
            then the profiles; used by scripts/fault_trial.sh.
  run       times today's daily run as the scheduler runs it, then a same-day
            re-run; prints the summary, one ``BENCHMARK_JSON {...}`` line and
            writes var/benchmark-<date>.json.
  all       generate and run, in this process.

--mode cron (default) runs the scheduled action the way the cron worker does:
one batch per call with ``cron_id`` in the context, a commit after each batch,
again while the progress says work remains. --mode direct calls
``relance.engine._cron_run_daily()`` once (it loops over the batches itself)
and commits at the end. --profile counts queries by statement and by the
relance_facture function that issued them (timings are then inflated).
"""

import argparse
import collections
import cProfile
import datetime
import json
import os
import pstats
import random
import re
import resource
import sys
import threading
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import book  # noqa: E402  (the generator, also for benchmark_stats.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON = "relance_facture"
GEN_PARAM = book.GEN_PARAM
CHUNK = book.CHUNK
PROFILES = book.PROFILES
invoice_vals = book.invoice_vals
post_invoices = book.post_invoices
# The targets (1000 customers x 10 invoices).
TARGET_RUN_SECONDS = 15.0
TARGET_RUN_INVOICES = 10_000
TARGET_QUERIES_PER_EMAIL = 2.5
# Issue 14: the day of 10,000 customers x 10 invoices within 2 minutes.
TARGET_LARGE_RUN_SECONDS = 120.0
TARGET_LARGE_RUN_INVOICES = 100_000
TARGET_RERUN_SECONDS = 1.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", required=True, help="database holding the addon")
    parser.add_argument("--addons-path", help="Odoo's --addons-path")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--invoices", type=int, default=10, help="per customer")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--phase", choices=("all", "generate", "setup", "run"), default="all"
    )
    parser.add_argument("--mode", choices=("cron", "direct"), default="cron")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="count the run's queries by statement and addon function, and "
        "write a cProfile dump to var/ (inflates the timings)",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python allocations during the run (slows it down)",
    )
    parser.add_argument("--log-level", default="warn")
    parser.add_argument(
        "--source", default="", help="what code is measured (recorded in the JSON)"
    )
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "var"))
    parser.add_argument("--book", default="", help="the book's template database")
    parser.add_argument(
        "--copy-seconds", type=float, help="time to copy the book (recorded)"
    )
    parser.add_argument(
        "--install-seconds",
        type=float,
        help="time to install relance_facture on the copy (recorded)",
    )
    args = parser.parse_args(argv)
    if args.customers < 1 or args.invoices < 1:
        parser.error("--customers and --invoices must be positive")
    return args


def bootstrap(args, module=ADDON):
    """Odoo configured for ``args.db``; returns the registry, once
    ``module`` is installed there."""
    from odoo.tools import config

    options = ["-d", args.db, "--no-http", f"--log-level={args.log_level}"]
    if args.addons_path:
        options.append(f"--addons-path={args.addons_path}")
    config.parse_config(options)
    from odoo.modules.registry import Registry

    registry = Registry(args.db)
    if module not in registry._init_modules:
        sys.exit(f"{args.db}: the module {module} is not installed")
    return registry


# ----------------------------------------------------------------------------
# Generation (scripts/book.py)
# ----------------------------------------------------------------------------
def generate(registry, args):
    """The ORM path in a database where relance_facture is installed: the
    book of scripts/book.py's generator, then the customers' profiles."""
    with registry.cursor() as cr:
        env = book._env(cr)
        book.generate(
            env,
            random.Random(args.seed),
            args.customers,
            args.invoices,
            datetime.date.today(),
            seed=args.seed,
        )
    facts = book.assign_profiles(registry, args)
    print(
        f"Generated {facts['customers']} customers, {facts['invoices']} invoices "
        f"in {facts['generation_seconds']} s",
        flush=True,
    )
    return facts


def _generate_customers(env, rng, count):
    """scripts/book.py's customers with a profile each, drawn at random
    (scripts/benchmark_stats.py's seed book). Returns (customers, {customer:
    invoice contact})."""
    customers, bill_to = book.generate_customers(env, rng, count)
    parts = book._pick_shares(rng, customers, [share for _xmlid, share in PROFILES])
    parts[-1] = parts[-1] + list(set(customers) - set().union(*map(set, parts)))
    for (xmlid, _share), part in zip(PROFILES, parts, strict=True):
        env["res.partner"].concat(*part).relance_profile_id = env.ref(xmlid)
    env.flush_all()
    return customers, bill_to


# ----------------------------------------------------------------------------
# Measure
# ----------------------------------------------------------------------------
def _rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Meter:
    """Wall time, SQL queries (every cursor), peak RSS, optional tracemalloc
    peak and per-statement profile of one block."""

    def __init__(self, profile=False, trace_malloc=False, cprofile_path=None):
        self.profile = profile
        self.trace_malloc = trace_malloc
        self.cprofile_path = cprofile_path
        self.by_statement = collections.Counter()
        self.by_statement_ms = collections.Counter()
        self.by_code = collections.Counter()
        self.by_code_ms = collections.Counter()
        self.result = {}

    def __enter__(self):
        from odoo import sql_db

        self._sql_db = sql_db
        self._stop = threading.Event()
        self._rss0 = self._rss_peak = _rss_bytes()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        self._maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self.profile:
            threading.current_thread().query_hooks = (self._hook,)
        if self.trace_malloc:
            tracemalloc.start()
        self._cprofile = cProfile.Profile() if self.cprofile_path else None
        self._queries0 = sql_db.sql_counter
        self._t0 = time.perf_counter()
        if self._cprofile:
            self._cprofile.enable()
        return self

    def __exit__(self, *exc):
        seconds = time.perf_counter() - self._t0
        if self._cprofile:
            self._cprofile.disable()
            self._cprofile.dump_stats(self.cprofile_path)
        queries = self._sql_db.sql_counter - self._queries0
        self._stop.set()
        self._sampler.join()
        self.result = {
            "seconds": round(seconds, 3),
            "queries": queries,
            "rss_peak_mb": round(self._rss_peak / 2**20, 1),
            "rss_growth_mb": round((self._rss_peak - self._rss0) / 2**20, 1),
            "maxrss_delta_mb": round(
                (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self._maxrss0)
                / 1024,
                1,
            ),
        }
        if self.trace_malloc:
            self.result["tracemalloc_peak_mb"] = round(
                tracemalloc.get_traced_memory()[1] / 2**20, 1
            )
            tracemalloc.stop()
        if self.profile:
            del threading.current_thread().query_hooks
        return False

    def _sample(self):
        while not self._stop.wait(0.02):
            self._rss_peak = max(self._rss_peak, _rss_bytes())
        self._rss_peak = max(self._rss_peak, _rss_bytes())

    def _hook(self, cr, query, params, start, delay):
        if isinstance(query, bytes):
            query = query.decode()
        statement = re.sub(r"\s+", " ", query).strip()[:200]
        self.by_statement[statement] += 1
        self.by_statement_ms[statement] += delay * 1000
        code = _addon_caller(sys._getframe(2))
        self.by_code[code] += 1
        self.by_code_ms[code] += delay * 1000

    def top(self, limit=20):
        return {
            "by_addon_code": [
                {"code": code, "queries": n, "ms": round(self.by_code_ms[code])}
                for code, n in self.by_code.most_common(limit)
            ],
            "by_statement": [
                {"statement": st, "queries": n, "ms": round(self.by_statement_ms[st])}
                for st, n in self.by_statement.most_common(limit)
            ],
        }


def _addon_caller(frame, depth=3):
    """The innermost ``depth`` relance_facture frames of a stack, as text."""
    chain = []
    while frame is not None and len(chain) < depth:
        path = frame.f_code.co_filename
        if f"/{ADDON}/" in path:
            chain.append(
                f"{os.path.basename(path)}:{frame.f_code.co_name}:{frame.f_lineno}"
            )
        frame = frame.f_back
    return " < ".join(chain) or "(outside relance_facture)"


def _high_ids(env):
    models = ("mail.mail", "mail.activity", "relance.event", "relance.dispatch")
    return {
        model: env[model]
        .sudo()
        .with_context(active_test=False)
        .search([], order="id desc", limit=1)
        .id
        or 0
        for model in models
    }


def _created(env, before):
    """What a run created (records still there at the end)."""

    def new(model):
        return env[model].sudo().search([("id", ">", before[model])])

    mails = new("mail.mail")
    events = new("relance.event")
    dispatches = new("relance.dispatch")
    activities = new("mail.activity")
    counter = collections.Counter
    return {
        "emails_queued": len(mails.filtered(lambda m: m.state == "outgoing")),
        "emails_created": len(mails),
        "events": len(events),
        "events_by_state": dict(sorted(counter(e.state for e in events).items())),
        "events_by_channel": dict(sorted(counter(e.channel for e in events).items())),
        "dispatches": len(dispatches),
        "dispatches_by_channel": dict(
            sorted(counter(d.channel for d in dispatches).items())
        ),
        "activities": len(activities),
        "activities_by_type": dict(
            sorted(counter(a.activity_type_id.name for a in activities).items())
        ),
    }


def _cron_job(registry):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cron = env.ref(f"{ADDON}.ir_cron_relance_daily")
        return {
            "id": cron.id,
            "user_id": cron.user_id.id,
            "lastcall": cron.lastcall,
            "ir_actions_server_id": cron.ir_actions_server_id.id,
            "name": cron.name,
        }


def run_daily(registry, job, mode):
    """Today's run as the scheduler does it; returns the number of batches
    (calls of the scheduled action) in cron mode."""
    from odoo import api

    with registry.cursor() as cr:
        context = {"lastcall": job["lastcall"]}
        if mode == "direct":
            env = api.Environment(cr, job["user_id"], context)
            env["relance.engine"]._cron_run_daily()
            env.flush_all()
            cr.commit()
            return 1
        # What ir.cron._run_job does, without its limit of 10 calls per job
        # (past it, the worker calls again at once through a trigger).
        env = api.Environment(cr, job["user_id"], {**context, "cron_id": job["id"]})
        cron = env["ir.cron"].browse(job["id"])
        calls = 0
        while True:
            cron, progress = cron._add_progress()
            cr.commit()
            cron.env["ir.actions.server"].browse(job["ir_actions_server_id"]).run()
            cron.env.flush_all()
            cr.commit()
            calls += 1
            if not (progress.done and progress.remaining):
                return calls


def measure(registry, args, label, cprofile_path=None):
    from odoo import SUPERUSER_ID, api

    job = _cron_job(registry)
    with registry.cursor() as cr:
        before = _high_ids(api.Environment(cr, SUPERUSER_ID, {}))
    meter = Meter(args.profile, args.tracemalloc, cprofile_path)
    with meter:
        calls = run_daily(registry, job, args.mode)
    with registry.cursor() as cr:
        figures = _created(api.Environment(cr, SUPERUSER_ID, {}), before)
    figures.update(meter.result, scheduler_calls=calls)
    emails = figures["emails_queued"]
    figures["queries_per_email"] = (
        round(figures["queries"] / emails, 2) if emails else None
    )
    if args.profile:
        figures["profile"] = meter.top()
    print(
        f"  {label}: {figures['seconds']} s, {figures['queries']} queries, "
        f"{emails} emails",
        file=sys.stderr,
        flush=True,
    )
    return figures


def targets(args, run, rerun):
    invoices = args.customers * args.invoices
    if invoices <= TARGET_RUN_INVOICES:
        budget, note = TARGET_RUN_SECONDS, ""
    else:
        # 2 minutes for 100,000 invoices, scaled to the book's size
        budget = TARGET_LARGE_RUN_SECONDS * invoices / TARGET_LARGE_RUN_INVOICES
        note = f" (120 s for 100000 invoices, scaled to {invoices})"
    qpe = run["queries_per_email"]
    checks = [
        {
            "name": "run_seconds",
            "target": f"<= {budget:g} s{note}",
            "value": run["seconds"],
            "pass": run["seconds"] <= budget,
        },
        {
            "name": "queries_per_email",
            "target": f"<= {TARGET_QUERIES_PER_EMAIL:g}",
            "value": qpe,
            "pass": qpe is not None and qpe <= TARGET_QUERIES_PER_EMAIL,
        },
        {
            "name": "rerun_seconds",
            "target": f"< {TARGET_RERUN_SECONDS:g} s",
            "value": rerun["seconds"],
            "pass": rerun["seconds"] < TARGET_RERUN_SECONDS,
        },
        {
            "name": "rerun_emails",
            "target": "0",
            "value": rerun["emails_queued"],
            "pass": rerun["emails_queued"] == 0,
        },
    ]
    return checks


def run_phase(registry, args):
    import odoo
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        facts = json.loads(env["ir.config_parameter"].get_param(GEN_PARAM) or "{}")
        if not facts:
            sys.exit(f"{args.db}: no generated book (run --phase generate first)")
        if facts["date"] != datetime.date.today().isoformat():
            sys.exit(f"{args.db}: book dated {facts['date']}, not today")
        if "profiles" not in facts:
            sys.exit(f"{args.db}: no dunning profiles (run --phase setup first)")
    os.makedirs(args.output_dir, exist_ok=True)
    today = datetime.date.today().isoformat()
    cprofile_path = (
        os.path.join(args.output_dir, f"benchmark-{today}.prof")
        if args.profile
        else None
    )
    run = measure(registry, args, "daily run", cprofile_path)
    rerun = measure(registry, args, "same-day re-run")
    checks = targets(args, run, rerun)
    result = {
        "date": today,
        "database": args.db,
        "parameters": {
            "customers": args.customers,
            "invoices_per_customer": args.invoices,
            "seed": args.seed,
            "mode": args.mode,
            "profile": args.profile,
            "tracemalloc": args.tracemalloc,
            "source": args.source,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "odoo": odoo.release.version,
        },
        "book": facts,
        "preparation": {
            "book_database": args.book,
            "copy_seconds": args.copy_seconds,
            "install_seconds": args.install_seconds,
            "profiles_seconds": facts.get("setup_seconds"),
        },
        "run": run,
        "rerun": rerun,
        "targets": checks,
        "pass": all(check["pass"] for check in checks),
    }
    return result


def summary(result):
    book, run, rerun = result["book"], result["run"], result["rerun"]
    params = result["parameters"]
    lines = [
        "",
        f"Dunning benchmark {result['date']} ({result['machine']['cpus']} CPUs, "
        f"Odoo {result['machine']['odoo']}, mode {params['mode']})"
        + (f", {params['source']}" if params["source"] else ""),
        f"Book: {book['customers']} customers ({book['consumers']} consumers, "
        f"{book['customers_without_email']} without email, "
        f"{book['invoice_contacts']} invoice contacts) x "
        f"{params['invoices_per_customer']} = {book['invoices']} invoices "
        f"and {book.get('credit_notes', 0)} credit notes "
        f"{book.get('credit_note_payment_state', {})}; payment state "
        f"{book['payment_state']}; profiles {book['profiles']}",
        "Preparation: " + preparation(result),
        f"Daily run: {run['seconds']} s, {run['queries']} queries, "
        f"{run['emails_queued']} emails queued "
        f"({run['queries_per_email']} queries/email), {run['events']} events "
        f"{run['events_by_state']}, {run['dispatches']} messages, "
        f"{run['activities']} activities, {run['scheduler_calls']} scheduler "
        f"call(s), RSS peak {run['rss_peak_mb']} MB (+{run['rss_growth_mb']} MB)"
        + (
            f", tracemalloc peak {run['tracemalloc_peak_mb']} MB"
            if "tracemalloc_peak_mb" in run
            else ""
        ),
        f"Same-day re-run: {rerun['seconds']} s, {rerun['queries']} queries, "
        f"{rerun['emails_queued']} emails, {rerun['events']} events",
        "Targets:",
    ]
    for check in result["targets"]:
        lines.append(
            f"  {'PASS' if check['pass'] else 'FAIL'}  {check['name']}: "
            f"{check['value']} (target {check['target']})"
        )
    if "profile" in run:
        lines.append("Queries of the daily run by relance_facture code (top 20):")
        for row in run["profile"]["by_addon_code"]:
            lines.append(f"  {row['queries']:7d} {row['ms']:7d} ms  {row['code']}")
        lines.append("Queries of the daily run by statement (top 20):")
        for row in run["profile"]["by_statement"]:
            lines.append(
                f"  {row['queries']:7d} {row['ms']:7d} ms  {row['statement'][:150]}"
            )
    return "\n".join(lines)


def preparation(result):
    """How the book was made and installed, in words."""
    facts, prep = result["book"], result.get("preparation", {})
    block = facts.get("block")
    if block:
        made = (
            f"{block['customers']} customers x {facts['invoices_per_customer']} "
            f"through the ORM in {block['generation_seconds']} s, cloned "
            f"{facts['copies']} times in SQL in {facts['clone_seconds']} s "
            f"(self-check {facts.get('verify_seconds')} s)"
        )
    else:
        made = f"generated through the ORM in {facts['generation_seconds']} s"
    text = f"book {made}"
    if facts.get("built"):
        text += f", built {facts['built']} (dates moved {facts['shifted_days']} days)"
    if prep.get("book_database"):
        text += f"; {prep['book_database']} copied in {prep['copy_seconds']} s"
    if prep.get("install_seconds") is not None:
        text += f"; {ADDON} installed in {prep['install_seconds']} s"
    return text + f"; profiles assigned in {facts.get('setup_seconds')} s"


def write_result(result, output_dir):
    path = os.path.join(output_dir, f"benchmark-{result['date']}.json")
    with open(path, "w") as file:
        json.dump(result, file, indent=2, sort_keys=True)
    with open(os.path.join(output_dir, "benchmark-history.jsonl"), "a") as file:
        file.write(json.dumps(result, sort_keys=True) + "\n")
    return path


def main(argv=None):
    args = parse_args(argv)
    registry = bootstrap(args)
    if args.phase in ("all", "generate"):
        generate(registry, args)
    if args.phase == "setup":
        book.assign_profiles(registry, args)
    if args.phase in ("generate", "setup"):
        return 0
    result = run_phase(registry, args)
    path = write_result(result, args.output_dir)
    print(summary(result))
    print(f"Written to {os.path.relpath(path, os.getcwd())}")
    print("BENCHMARK_JSON " + json.dumps(result, sort_keys=True), flush=True)
    if args.profile:
        stats = pstats.Stats(
            os.path.join(args.output_dir, f"benchmark-{result['date']}.prof")
        )
        stats.sort_stats("cumulative").print_stats(r"relance_facture", 25)
    return 0 if result["pass"] else 3


if __name__ == "__main__":
    sys.exit(main())
